#pragma once
// The GPUs as NVML (libnvidia-ml.so.1, dlopen'ed) reports them, every call under a deadline. Fills gpu.devices,
// gpu.nvml and the NVML-given driver facts; never decides what is wrong (rules do).

#include <string>
#include <vector>

#include "facts/snapshot.h"

namespace infertune {

// Where a GPU probe looks and how long it waits.
struct GpuProbeOptions {
  std::string nvml_library;      // file or name to load; "" = $INFERTUNE_NVML_LIBRARY, else libnvidia-ml.so.1
  std::string cuda_library;      // "" = $INFERTUNE_CUDA_LIBRARY, else libcuda.so.1
  double timeout_s = 5.0;        // deadline of each call
  double sample_window_s = 1.0;  // per-process utilization: samples of the last window
};

inline constexpr const char* kNvmlLibraryEnv = "INFERTUNE_NVML_LIBRARY";
inline constexpr const char* kCudaLibraryEnv = "INFERTUNE_CUDA_LIBRARY";

// nvmlPciInfo_t.busId ("00000000:3B:00.0") in sysfs form ("0000:3b:00.0"). Pure.
std::string nvml_bus_id_to_sysfs(const std::string& bus_id);
// The active clock-event reasons of an NVML bitmask, named as nvidia-smi -q -x names them. Pure.
std::vector<std::string> decode_clock_event_reasons(unsigned long long mask);
// 12040 -> "12.4" (the encoding of nvmlSystemGetCudaDriverVersion and cuDriverGetVersion). Pure.
std::string cuda_version_string(int v);

// Probes NVML. gpu.driver.kernel_module_version (already collected) is compared with the library file's version.
// Adds to `notes` what the reader should know (library not found, timeouts).
void collect_nvml(const GpuProbeOptions& opts, GpuFacts& gpu, std::vector<std::string>& notes);

}  // namespace infertune
