#pragma once
// Runs every collector against a root and returns the Snapshot. Collectors never decide what is wrong.

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

Snapshot collect_snapshot(const FsRoot& fs);

}  // namespace infertune
