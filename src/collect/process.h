#pragma once
// Facts about the diagnosed process (FsRoot::process(), "self" by default): /proc/<p>/status,
// /proc/<p>/limits and the GPU/framework-relevant part of /proc/<p>/environ.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

struct ProcStatus {
  std::optional<int64_t> pid;                    // "Pid:"
  std::optional<std::string> cpus_allowed_list;  // "Cpus_allowed_list:", e.g. "0-63"
};
ProcStatus parse_proc_status(std::string_view text);

struct ProcLimit {
  int64_t soft = 0;  // kUnlimited (-1) for "unlimited"
  int64_t hard = 0;
};
// /proc/<pid>/limits: "Max open files  1024  4096  files" -> {"Max open files", {1024, 4096}}.
// "unlimited", and values above INT64_MAX (no practical limit), map to kUnlimited. Malformed rows are skipped.
std::map<std::string, ProcLimit> parse_limits(std::string_view text);

// Whether an environment variable changes GPU or framework behaviour and is kept in the snapshot.
bool is_relevant_env(std::string_view name);
// The names is_relevant_env() accepts, in the order they are declared.
const std::vector<std::string_view>& relevant_env_names();

// /proc/<pid>/environ: NUL-separated NAME=value entries. Keeps the relevant variables only; entries without
// '=' (or with an empty name) or that are not valid UTF-8 are skipped; the first of duplicate names wins.
std::map<std::string, std::string> parse_environ(std::string_view text);

void collect_process(const FsRoot& fs, ProcessFacts& out);

}  // namespace infertune
