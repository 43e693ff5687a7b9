#pragma once
// Runs every collector against a root and returns the Snapshot. Collectors never decide what is wrong.

#include <cstdint>
#include <string>
#include <vector>

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

// Why the NVML/CUDA facts are unknown when collecting from --root: the libraries answer for this machine, not
// for the copy of another machine's files.
inline constexpr const char* kGpuNotProbedUnderRoot =
    "NVML and CUDA are not probed under --root (the files are a copy of another machine); import that machine's "
    "nvidia-smi -q -x output with --from-smi-xml FILE";

// What a collection looks at beyond the machine itself (command-line choices).
struct CollectOptions {
  int64_t target_pid = 0;        // --pid: the serving process to judge (0 = none)
  std::string target_process;    // --process NAME: resolved to a PID by the collector
  std::string python;            // --python PATH: the interpreter whose packages to inventory
  double probe_timeout_s = 5.0;  // deadline of each NVML/CUDA call
  bool probe_gpu = true;         // load NVML and libcuda (live system only)
  double sample_window_s = 1.0;  // per-process GPU utilization sampling window

  // compat: ask system libcudart/libcudnn for their version through dlopen (live only, within probe_timeout_s)
  bool load_cuda_libraries = true;
};

// The compatibility inventory (collect/compat.cc).
void collect_compat(const FsRoot& fs, const CollectOptions& opts, CompatFacts& out);

// NVML and the CUDA driver API (live system only): gpu.devices, gpu.nvml, gpu.cuda, driver/NVML/CUDA versions.
void collect_gpu_probes(const FsRoot& fs, const CollectOptions& opts, GpuFacts& gpu, std::vector<std::string>& notes);

Snapshot collect_snapshot(const FsRoot& fs, const CollectOptions& opts = {});

}  // namespace infertune
