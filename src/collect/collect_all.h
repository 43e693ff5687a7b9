#pragma once
// Runs every collector against a root and returns the Snapshot. Collectors never decide what is wrong.

#include <cstdint>
#include <string>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

// Entry points of the collectors (collect/<area>.cc).
void collect_os(const FsRoot& fs, OsFacts& out);
void collect_cpu(const FsRoot& fs, CpuFacts& out);
void collect_memory(const FsRoot& fs, MemoryFacts& out);
void collect_process(const FsRoot& fs, ProcessFacts& out);
void collect_pci_gpus(const FsRoot& fs, GpuFacts& out);
void collect_cgroup(const FsRoot& fs, CgroupFacts& out);
void collect_container(const FsRoot& fs, const CgroupFacts& cg, ContainerFacts& out);

// Why gpu.devices is unknown after a collection: said plainly wherever NVML would be needed.
inline constexpr const char* kNoNvmlYet =
    "NVML/CUDA probing is not part of this build yet; import nvidia-smi -q -x output with --from-smi-xml FILE";

// What a collection looks at beyond the machine itself (command-line choices).
struct CollectOptions {
  int64_t target_pid = 0;        // --pid: the serving process to judge (0 = none)
  std::string target_process;    // --process NAME: resolved to a PID by the collector
  std::string python;            // --python PATH: the interpreter whose packages to inventory
  double probe_timeout_s = 5.0;  // deadline of each NVML/CUDA probe
  double sample_window_s = 1.0;  // per-process GPU utilization sampling window

  // compat: ask system libcudart/libcudnn for their version through dlopen (live only, within probe_timeout_s)
  bool load_cuda_libraries = true;
};

// The compatibility inventory (collect/compat.cc).
void collect_compat(const FsRoot& fs, const CollectOptions& opts, CompatFacts& out);

Snapshot collect_snapshot(const FsRoot& fs, const CollectOptions& opts = {});

}  // namespace infertune
