#pragma once
// The diagnosed process's cgroup: version, CPU and memory limits (the tightest over the cgroup and its
// ancestors up to the mount root), throttling, OOM events and the cgroup's own PSI.
// Files (kernel Documentation/admin-guide/cgroup-v2.rst and cgroup-v1/{cpusets,memory}.rst,
// scheduler/sched-bwc.rst):
//   v2: cpu.max "max 100000" | "200000 100000", cpu.stat, cpuset.cpus.effective, memory.max, memory.current,
//       memory.stat, memory.swap.max, memory.events, {cpu,memory,io}.pressure
//   v1: cpu.cfs_quota_us / cpu.cfs_period_us, cpu.stat (throttled_time in ns), cpuset.cpus,
//       memory.limit_in_bytes, memory.usage_in_bytes, memory.stat, memory.memsw.limit_in_bytes,
//       memory.oom_control, memory.failcnt

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs_root.h"
#include "base/result.h"
#include "collect/mountinfo.h"
#include "facts/snapshot.h"

namespace infertune {

// One line of /proc/<pid>/cgroup: "hierarchy-ID:controller-list:cgroup-path".
// v2 has hierarchy 0 and an empty controller list ("0::/user.slice"); v1 lines name their controllers
// ("5:cpu,cpuacct:/kubepods.slice/...", "1:name=systemd:/...").
struct ProcCgroupEntry {
  int64_t hierarchy_id = 0;
  std::vector<std::string> controllers;
  std::string path;
};

// Malformed lines are skipped. The path keeps everything after the second ':'.
std::vector<ProcCgroupEntry> parse_proc_cgroup(std::string_view text);

// A CFS bandwidth limit. quota_us -1 = no limit. period_us 0 = not known (only possible without a limit).
struct CpuQuota {
  int64_t quota_us = -1;
  int64_t period_us = 0;
  bool limited() const { return quota_us >= 0; }
  double cores() const {
    return limited() && period_us > 0 ? static_cast<double>(quota_us) / static_cast<double>(period_us) : -1.0;
  }
};

inline constexpr int64_t kDefaultCfsPeriodUs = 100000;  // the kernel's default period

// cgroup v2 cpu.max: "$MAX $PERIOD" with MAX "max" or a number. A single number (what one may write) takes
// the kernel's default period. Errors on empty text, extra fields, non-numbers, a zero period.
Result<CpuQuota> parse_cpu_max(std::string_view text);
// cgroup v1 cpu.cfs_quota_us (-1 = no limit) and cpu.cfs_period_us (nullopt when the file is missing).
// The period must be a positive number when the quota sets a limit.
Result<CpuQuota> parse_cfs_quota(std::string_view quota_text, std::optional<std::string_view> period_text);

// memory.max / memory.swap.max ("max" or bytes) and v1 memory.*limit_in_bytes (a value of 2^62 or more, such
// as 9223372036854771712, is the "unlimited" page counter maximum). Returns -1 for no limit.
Result<int64_t> parse_memory_limit(std::string_view text);

// "key value" lines (cpu.stat, memory.stat, memory.events, memory.oom_control). Lines that are not exactly a
// key and an integer are skipped.
std::map<std::string, int64_t> parse_keyed_values(std::string_view text);

// "v2", "v1", "hybrid" (v1 controllers plus a cgroup2 mount) or "" when the table has no cgroup mounts.
std::string cgroup_version_of(const std::vector<MountInfo>& mounts);

// Where the cgroup `cgroup_path` (as in /proc/<pid>/cgroup) lives inside a cgroup mount with root `mount_root`
// at `mount_point`; nullopt when the cgroup is not under the mount's root. Both paths are taken relative to
// the reader's cgroup namespace, so they may start with "/.." ("/../../user-1000.slice/session-520.scope" in a
// mount whose root is "/../.."). Example: ("/", "/sys/fs/cgroup", "/a/b") -> "/sys/fs/cgroup/a/b".
std::optional<std::string> cgroup_dir_in_mount(std::string_view mount_root, std::string_view mount_point,
                                               std::string_view cgroup_path);

// The directories from `dir` up to and including `mount_point` (leaf first). `dir` must be under the mount
// point; otherwise only `dir` is returned.
std::vector<std::string> cgroup_dir_chain(std::string_view dir, std::string_view mount_point);

// Fills `out` for the process fs.self(...). Never fails: what cannot be read becomes an unknown with a reason.
void collect_cgroup(const FsRoot& fs, CgroupFacts& out);

}  // namespace infertune
