// `infertune trace analyze FILE`: read a PyTorch profiler (Kineto) trace, run the analyses, print the report.

#include <chrono>
#include <cstdio>
#include <memory>

#include "base/build_info.h"
#include "cli/command.h"
#include "cli/deliver.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "trace/reader.h"
#include "trace/trace_report.h"

namespace infertune::cli {

namespace {

struct TraceFlags {
  std::string action;
  std::string file;
  size_t top = 10;
};

int run_trace(const GlobalOptions& g, const TraceFlags& f) {
  auto t0 = std::chrono::steady_clock::now();
  auto trace = trace::read_trace_file(f.file);
  if (!trace) return fail("trace", trace.error());
  trace::TraceReportOptions opts;
  opts.top = f.top;
  Report rep = trace::trace_report(*trace, opts);
  return deliver("trace", rep, g, t0);
}

}  // namespace

Command trace_command() {
  auto flags = std::make_shared<TraceFlags>();
  Command c;
  c.name = "trace";
  c.summary = "Analyse a PyTorch profiler trace: GPU timeline, idle time, top kernels (trace analyze FILE)";
  c.add_flags = [flags](CLI::App& app) {
    app.add_option("action", flags->action, "What to do: analyze")->required()->check(CLI::IsMember({"analyze"}));
    app.add_option("file", flags->file, "The trace: Kineto/PyTorch profiler JSON, plain or gzip")
        ->required()
        ->type_name("FILE");
    app.add_option("--top", flags->top, "Rows in the top-kernels table (default 10)")
        ->type_name("N")
        ->check(CLI::Range(1, 100000));
  };
  c.run = [flags](const GlobalOptions& g) { return run_trace(g, *flags); };
  return c;
}

}  // namespace infertune::cli
