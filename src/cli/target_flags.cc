#include "cli/target_flags.h"

#include <CLI/CLI.hpp>

#include "collect/target_process.h"

namespace infertune::cli {

void add_target_flags(CLI::App& app, TargetFlags& t) {
  auto* pid = app.add_option("--pid", t.pid,
                             "Judge whether process PID (the serving process) really uses the GPU: CUDA libraries "
                             "mapped, GPU context, SM share")
                  ->type_name("PID")
                  ->check(CLI::PositiveNumber);
  auto* proc = app.add_option("--process", t.process,
                              "Like --pid, for the one process whose name (comm) or command line matches NAME")
                   ->type_name("NAME");
  pid->excludes(proc);
  proc->excludes(pid);
}

Result<CollectOptions> target_collect_options(const FsRoot& fs, const TargetFlags& t) {
  CollectOptions opts;
  if (t.pid == 0 && t.process.empty()) return opts;
  opts.target_pid = t.pid;
  opts.target_process = t.process;
  auto choice = resolve_target(fs, opts);
  if (!choice) return choice.error();
  opts.target_pid = choice->pid;
  return opts;
}

}  // namespace infertune::cli
