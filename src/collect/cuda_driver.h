#pragma once
// The CUDA driver API (libcuda.so.1, dlopen'ed) as a framework's first CUDA call meets it: cuInit's result,
// the driver API version and the devices visible under this process's CUDA_VISIBLE_DEVICES. Every call runs
// under the deadline (base/deadline.h).

#include <string>
#include <vector>

#include "collect/nvml.h"
#include "facts/snapshot.h"

namespace infertune {

// "CUDA_ERROR_NO_DEVICE" for 100; "CUDA_ERROR_<code>" when the code is not in the table. Pure.
std::string cuda_error_name(int code);

void collect_cuda_driver(const GpuProbeOptions& opts, CudaDriverApiFacts& out, std::vector<std::string>& notes);

}  // namespace infertune
