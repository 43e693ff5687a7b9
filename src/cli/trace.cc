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
#include "trace/memory_snapshot.h"
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
  std::string group_by = "name";
  int stack_depth = 5;
  const CLI::Option* group_opt = nullptr;
  const CLI::Option* depth_opt = nullptr;
};

// --group-by / --stack-depth: only with the operator table, and --stack-depth only with --group-by stack.
std::string group_flags_error(const TraceFlags& f) {
  bool group_given = f.group_opt != nullptr && f.group_opt->count() > 0;
  bool depth_given = f.depth_opt != nullptr && f.depth_opt->count() > 0;
  if (f.action == "diff" && (group_given || depth_given)) {
    return "--group-by and --stack-depth apply to trace analyze, not trace diff";
  }
  if (depth_given && f.group_by != "stack") return "--stack-depth N needs --group-by stack";
  if (group_given && f.group_by != "name" && !f.sections.empty()) {
    bool ops = false;
    for (const std::string& s : f.sections) ops = ops || s == "ops";
    if (!ops) return "--group-by " + f.group_by + " groups the operator table: add ops to --section";
  }
  return "";
}

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

// `trace memory SNAPSHOT`: a torch.cuda.memory._dump_snapshot pickle (trace/memory_snapshot.h).
int run_memory(const GlobalOptions& g, const TraceFlags& f, std::chrono::steady_clock::time_point t0) {
  if (!f.second.empty()) {
    return fail("trace", usage_error("trace memory takes one snapshot; unexpected second file " + f.second));
  }
  if (!f.sections.empty() || (f.sort_opt != nullptr && f.sort_opt->count() > 0)) {
    return fail("trace", usage_error("--section and --sort apply to trace analyze, not trace memory"));
  }
  auto snap = trace::read_memory_snapshot_file(f.file);
  if (!snap) return fail("trace", snap.error());
  Report rep = trace::memory_snapshot_report(*snap, f.top);
  return deliver("trace", rep, g, t0);
}

int run_trace(const GlobalOptions& g, const TraceFlags& f) {
  auto t0 = std::chrono::steady_clock::now();
  if (std::string e = group_flags_error(f); !e.empty()) return fail("trace", usage_error(e));
  if (f.action == "diff") return run_diff(g, f, t0);
  if (f.action == "memory") return run_memory(g, f, t0);
  if (!f.second.empty()) {
    return fail("trace", usage_error("trace analyze takes one trace; unexpected second file " + f.second));
  }
  auto trace = trace::read_trace_file(f.file);
  if (!trace) return fail("trace", trace.error());
  trace::TraceReportOptions opts;
  opts.top = f.top;
  opts.sections.insert(f.sections.begin(), f.sections.end());
  opts.sort = f.sort;
  opts.group_by = f.group_by;
  opts.stack_depth = f.stack_depth;
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
      "kernels (trace analyze FILE); compare two (trace diff BASE NEW); a CUDA memory snapshot (trace memory "
      "SNAPSHOT.pickle)";
  c.add_flags = [flags](CLI::App& app) {
    app.add_option("action", flags->action,
                   "What to do: analyze FILE, diff BASE NEW, or memory SNAPSHOT (torch.cuda.memory._dump_snapshot "
                   "pickle, plain or gzip)")
        ->required()
        ->check(CLI::IsMember({"analyze", "diff", "memory"}));
    app.add_option("file", flags->file, "The trace (diff: the base): Kineto/PyTorch profiler JSON, plain or gzip")
        ->required()
        ->type_name("FILE");
    app.add_option("new", flags->second, "diff: the trace after the change")->type_name("NEW");
    app.add_option("--top", flags->top,
                   "Rows in each table: kernels, operators, sync callers, steps; diff: changes; memory: largest "
                   "allocations (default 10)")
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
  c.add_flags = [flags, add = c.add_flags](CLI::App& app) {
    add(app);
    flags->group_opt =
        app.add_option("--group-by", flags->group_by,
                       "Rows of the operator table, as key_averages(group_by_input_shape / group_by_stack_n): name "
                       "(default), input-shapes (needs record_shapes=True), stack (needs with_stack=True)")
            ->type_name("KEY")
            ->check(CLI::IsMember({"name", "input-shapes", "stack"}));
    flags->depth_opt = app.add_option("--stack-depth", flags->stack_depth,
                                      "--group-by stack: innermost Python frames in the key (default 5)")
                           ->type_name("N")
                           ->check(CLI::Range(1, 100));
  };
  c.run = [flags](const GlobalOptions& g) { return run_trace(g, *flags); };
  return c;
}

}  // namespace infertune::cli
