#pragma once
// --pid / --process, shared by `gpu` and `doctor`: the serving process whose GPU use is judged.

#include <cstdint>
#include <string>

#include "base/fs_root.h"
#include "base/result.h"
#include "collect/collect_all.h"

namespace CLI {
class App;
}

namespace infertune::cli {

struct TargetFlags {
  int64_t pid = 0;
  std::string process;
};

void add_target_flags(CLI::App& app, TargetFlags& t);

// Resolves the flags to a PID on `fs` (usage error, exit code 2, when no process or several match) and
// returns the collection options naming it. No flag: default options.
Result<CollectOptions> target_collect_options(const FsRoot& fs, const TargetFlags& t);

}  // namespace infertune::cli
