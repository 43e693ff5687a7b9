#pragma once
// Trace advice built on the kernel names and the GPU's datasheet: FP32 matrix work that could use tensor cores
// (TRACE-FP32-MATMUL), and a GPU left idle by small per-step work that a larger batch would fill
// (TRACE-SMALL-BATCH). Called by trace_findings; pure.

#include <string>
#include <vector>

#include "report/finding.h"
#include "trace/analyses/analyses.h"

namespace infertune::trace {

// ---- Precision of a GEMM/convolution kernel, from its name ----
//   kFp32Simt        FP32 data on the CUDA cores: cuBLAS/cuDNN SIMT kernels (volta_sgemm_…, ampere_sgemm_…,
//                    cutlass_80_simt_sgemm_…, magma_sgemmEx…, implicit/explicit_convolve_sgemm<float…>,
//                    …_scudnn_… (volta_scudnn_…, cudnn_infer_ampere_scudnn_…), and templated cuDNN engines whose
//                    first template argument is float (wgrad_alg0_engine<float, …>, dgrad_engine<float, …>,
//                    fft2d_r2c_32x32<float, …>, winograd…<float, float>, gemmSN_NN_kernel<float, …>)
//   kTensorOrReduced already on tensor cores or not FP32 data: any of tensorop, xmma, gmma, hmma, wmma, imma,
//                    s884/h884/s1688/h1688/s16816/h16816/i8816/161616 (tensor-core instruction shapes), tf32, bf16,
//                    bfloat16, f16, fp16, half, fp8, e4m3, e5m2, int8, nvjet (cuBLAS' Hopper+ kernels), sm90_, sm100_
//                    — checked first, so cutlass_80_tensorop_s1688gemm (TF32) and sm80_xmma_…_tf32f32_… are not FP32
//   kUnknown         neither (mangled names, vendor libraries we do not know): never counted
enum class KernelPrecision : uint8_t { kUnknown, kFp32Simt, kTensorOrReduced };
KernelPrecision kernel_precision(const std::string& name);
const char* kernel_precision_name(KernelPrecision p);

// ---- Datasheet peaks (dense TFLOPS) of NVIDIA GPUs with tensor cores ----
struct GpuPeaks {
  const char* model;  // the datasheet's model
  int cc_major, cc_minor;
  double fp32, tf32, fp16, bf16;  // 0 = not published / not supported (no TF32 before Ampere)
  const char* source;
};
// The row for a device of the trace's deviceProperties, matched by model word in its name (word boundaries:
// "H20" is not "H200") and its compute capability when the trace gives one; nullptr when the GPU is not in the
// table (AMD devices, unnamed devices, models without published FP32 and tensor peaks).
const GpuPeaks* gpu_peaks(const DeviceInfo& d);

// Appends TRACE-FP32-MATMUL and TRACE-SMALL-BATCH when they apply. `out` holds the findings raised so far (the
// small-batch estimate leaves out the idle that TRACE-LAUNCH-BOUND / TRACE-SYNC-STALLS already claim).
void precision_and_batch_findings(const Model& m, const AnalysisSet& a, const std::string& src,
                                  std::vector<Finding>& out);

}  // namespace infertune::trace
