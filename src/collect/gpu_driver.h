#pragma once
// The NVIDIA kernel driver without any NVIDIA library: module version, nouveau, the persistence daemon and the
// /dev/nvidia* nodes with whether this user may open them.

#include <optional>
#include <string>
#include <string_view>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

// The driver version in /proc/driver/nvidia/version ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.54.03
// Tue Jun ..." or "... Open Kernel Module for x86_64  570.86.15  Release Build ..."); nullopt when absent.
std::optional<std::string> parse_nvrm_version(std::string_view text);

// "535.54.03", "418.43", "595.80": digits separated by dots, at least two parts.
bool looks_like_driver_version(std::string_view s);

// Fills every field of GpuDriverFacts that /proc, /sys and /dev can give. driver_version and cuda_driver_version
// come from nvidia-smi or NVML and are left unknown with the reason.
void collect_gpu_driver(const FsRoot& fs, GpuDriverFacts& out);

}  // namespace infertune
