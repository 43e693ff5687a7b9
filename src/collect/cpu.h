#pragma once
// CPU facts of the host: /proc/cpuinfo (model, vendor, topology, flags) and sysfs (online CPUs, NUMA nodes,
// cpufreq governors and maximum frequency). Inside a container these still describe the host: the
// container's share is in CgroupFacts and ProcessFacts.cpus_allowed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

struct CpuInfo {
  std::string model;       // x86 "model name"; aarch64: the part name ("Neoverse-N1") or "implementer 0x41 part 0xd0c"
  std::string vendor;      // x86 "vendor_id"; aarch64: the implementer's name ("ARM") or its code
  int64_t processors = 0;  // "processor" entries
  std::optional<int64_t> sockets;  // distinct "physical id"; nullopt when cpuinfo has none (aarch64, some VMs)
  std::optional<int64_t> cores;    // distinct (physical id, core id) pairs; nullopt likewise
  std::vector<std::string> flags;  // "flags" (x86) or "Features" (aarch64) of the first processor
};

// nullopt when the text has no "processor" entry.
std::optional<CpuInfo> parse_cpuinfo(std::string_view text);

// The flags among avx, avx2, avx512f, avx512_bf16, avx512_fp16, amx_tile, amx_bf16, fma that are present,
// in that order.
std::vector<std::string> cpu_flags_of_interest(const std::vector<std::string>& flags);

// /sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq: kHz -> MHz; nullopt when malformed or zero.
std::optional<double> parse_cpufreq_khz_as_mhz(std::string_view text);

// scaling_governor: one word of [a-z0-9_-] ("performance", "powersave", "schedutil"); nullopt otherwise.
std::optional<std::string> parse_governor(std::string_view text);

void collect_cpu(const FsRoot& fs, CpuFacts& out);

}  // namespace infertune
