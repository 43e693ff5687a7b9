// `infertune trace analyze FILE`: read a PyTorch profiler (Kineto) trace, run the analyses, print the report.
// `infertune trace diff BASE NEW`: the same analyses on two traces, compared.

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
#include "trace/analyses/analyses.h"
#include "trace/reader.h"
#include "trace/trace_diff.h"
#include "trace/trace_report.h"

namespace infertune::cli {

namespace {

struct TraceFlags {
  std::string action;
  std::string file;
  std::string second;  // diff: the new trace
  size_t top = 10;
  std::vector<std::string> sections;
  std::string sort = "cuda_time_total";
  const CLI::Option* sort_opt = nullptr;  // to tell a given --sort from the default
};

int run_diff(const GlobalOptions& g, const TraceFlags& f, std::chrono::steady_clock::time_point t0) {
  if (f.second.empty()) {
    return fail("trace", usage_error("trace diff needs two traces, BASE and NEW; got only " + f.file));
  }
  if (!f.sections.empty() || (f.sort_opt != nullptr && f.sort_opt->count() > 0)) {
    return fail("trace", usage_error("--section and --sort apply to trace analyze, not trace diff"));
  }
  auto base = trace::read_trace_file(f.file);
  if (!base) return fail("trace", base.error());
  auto now = trace::read_trace_file(f.second);
  if (!now) return fail("trace", now.error());
  trace::TraceDiffOptions opts;
  opts.top = f.top;
  Report rep = trace::trace_diff_report(*base, *now, opts);
  return deliver("trace", rep, g, t0);
}

int run_trace(const GlobalOptions& g, const TraceFlags& f) {
  auto t0 = std::chrono::steady_clock::now();
  if (f.action == "diff") return run_diff(g, f, t0);
  if (!f.second.empty()) {
    return fail("trace", usage_error("trace analyze takes one trace; unexpected second file " + f.second));
  }
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
      "kernels (trace analyze FILE); compare two (trace diff BASE NEW)";
  c.add_flags = [flags](CLI::App& app) {
    app.add_option("action", flags->action, "What to do: analyze FILE, or diff BASE NEW")
        ->required()
        ->check(CLI::IsMember({"analyze", "diff"}));
    app.add_option("file", flags->file, "The trace (diff: the base): Kineto/PyTorch profiler JSON, plain or gzip")
        ->required()
        ->type_name("FILE");
    app.add_option("new", flags->second, "diff: the trace after the change")->type_name("NEW");
    app.add_option("--top", flags->top,
                   "Rows in each table: kernels, operators, sync callers, steps; diff: changes (default 10)")
        ->type_name("N")
        ->check(CLI::Range(1, 100000));
    app.add_option("--section", flags->sections,
                   "Sections to show, comma-separated (default all): timeline, steps, breakdown, idle, launch, syncs, "
                   "copies, "
                   "ops, modules, kernels, memory")
        ->type_name("LIST")
        ->delimiter(',')
        ->check(CLI::IsMember(trace::trace_section_names()));
    flags->sort_opt =
        app.add_option("--sort", flags->sort,
                       "Order of the operator table: cuda_time_total (default), cpu_time_total, self_cuda_time_total, "
                       "self_cpu_time_total, count, cuda_memory_usage, cpu_memory_usage, self_cuda_memory_usage, "
                       "self_cpu_memory_usage")
            ->type_name("KEY")
            ->check(CLI::IsMember(trace::op_sort_names()));
  };
  c.run = [flags](const GlobalOptions& g) { return run_trace(g, *flags); };
  return c;
}

}  // namespace infertune::cli
