#pragma once
// The serving process named with --pid / --process: who it is (comm, command line, PIDs in each PID
// namespace), which CUDA-related libraries it has mapped and which /dev/nvidia* files it holds open.
// Parsers are pure; resolve_target() and collect_target_process() read through FsRoot only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs_root.h"
#include "base/result.h"
#include "collect/collect_all.h"
#include "facts/snapshot.h"

namespace infertune {

// The inode of the kernel's initial (host) PID namespace, PROC_PID_INIT_INO = 0xEFFFFFFC
// (include/linux/proc_ns.h); readlink /proc/<pid>/ns/pid prints it as "pid:[4026531836]".
inline constexpr const char* kHostPidNamespace = "pid:[4026531836]";

// The "NSpid:" line of /proc/<pid>/status: the PID in each namespace from the one of the reading /proc
// outwards-in (outermost first). Empty when the line is absent (kernels before 4.1) or malformed.
std::vector<int64_t> parse_nspid(std::string_view status);

// /proc/<pid>/cmdline: NUL-separated arguments. Trailing NULs dropped; an empty result means a kernel thread
// or a zombie.
std::vector<std::string> parse_cmdline(std::string_view raw);

// How a --process NAME matches one process: "comm", "command" (argv[0] or an argument's file name, or a
// Python module "-m NAME..."), "command line" (NAME appears anywhere in the command line), "" = no match.
std::string process_match(std::string_view name, std::string_view comm, const std::vector<std::string>& argv);

// The process --pid / --process names. Errors (usage kind, exit code 2): a PID that is not positive or that
// /proc does not have; a NAME matching no process, or several (the message lists them and asks for --pid).
struct TargetChoice {
  int64_t pid = 0;
  std::string selected_by;  // "--pid 1234", "--process vllm (command line)"
};
Result<TargetChoice> resolve_target(const FsRoot& fs, const CollectOptions& opts);

void collect_target_process(const FsRoot& fs, const TargetChoice& choice, TargetProcessFacts& out);

}  // namespace infertune
