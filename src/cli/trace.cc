// `infertune trace analyze FILE`: read a PyTorch profiler (Kineto) trace, run the analyses, print the report.

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

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
  std::vector<std::string> sections;
  std::string sort = "cuda_time_total";
};

int run_trace(const GlobalOptions& g, const TraceFlags& f) {
  auto t0 = std::chrono::steady_clock::now();
  auto trace = trace::read_trace_file(f.file);
  if (!trace) return fail("trace", trace.error());
  trace::TraceReportOptions opts;
  opts.top = f.top;
  opts.sections.insert(f.sections.begin(), f.sections.end());
  opts.sort = f.sort;
  Report rep = trace::trace_report(*trace, opts);
  return deliver("trace", rep, g, t0);
}

}  // namespace

Command trace_command() {
  auto flags = std::make_shared<TraceFlags>();
  Command c;
  c.name = "trace";
  c.summary =
      "Analyse a PyTorch profiler trace: GPU timeline, steps, idle causes, launches, syncs, copies, operators, "
      "kernels (trace analyze FILE)";
  c.add_flags = [flags](CLI::App& app) {
    app.add_option("action", flags->action, "What to do: analyze")->required()->check(CLI::IsMember({"analyze"}));
    app.add_option("file", flags->file, "The trace: Kineto/PyTorch profiler JSON, plain or gzip")
        ->required()
        ->type_name("FILE");
    app.add_option("--top", flags->top, "Rows in each table: kernels, operators, sync callers, steps (default 10)")
        ->type_name("N")
        ->check(CLI::Range(1, 100000));
    app.add_option("--section", flags->sections,
                   "Sections to show, comma-separated (default all): timeline, steps, breakdown, idle, launch, syncs, "
                   "copies, "
                   "ops, modules, kernels")
        ->type_name("LIST")
        ->delimiter(',')
        ->check(CLI::IsMember(trace::trace_section_names()));
    app.add_option("--sort", flags->sort,
                   "Order of the operator table: cuda_time_total (default), cpu_time_total, self_cuda_time_total, "
                   "self_cpu_time_total, count")
        ->type_name("KEY")
        ->check(CLI::IsMember(
            {"cuda_time_total", "cpu_time_total", "self_cuda_time_total", "self_cpu_time_total", "count"}));
  };
  c.run = [flags](const GlobalOptions& g) { return run_trace(g, *flags); };
  return c;
}

}  // namespace infertune::cli
