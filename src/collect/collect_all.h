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

Snapshot collect_snapshot(const FsRoot& fs);

}  // namespace infertune
