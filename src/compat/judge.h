#pragma once
// The judgements the compat rules, the chain view and the fix chooser share: does this driver run this CUDA,
// does this GPU find code for its architecture in this build. Pure functions of their arguments and tables.

#include <optional>
#include <string>
#include <vector>

#include "base/version.h"
#include "compat/tables.h"

namespace infertune::compat {

enum class DriverFit {
  kNative,         // the driver is at least the one the CUDA release shipped with
  kMinorCompat,    // older, but within the major's minor-version compatibility (PTX JIT of newer PTX fails)
  kForwardCompat,  // too old; a data-center GPU can run it with the cuda-compat package
  kTooOld,         // too old: needs a driver upgrade
  kUnknown,
};

struct DriverCheck {
  DriverFit fit = DriverFit::kUnknown;
  std::optional<Version> native_min;        // first driver of that CUDA minor (Table 3)
  std::optional<Version> minor_compat_min;  // floor of the CUDA major
  std::string forward_compat_package;       // "cuda-compat-13-0"
  std::string why;                          // one line: "driver 535.104.05 < 570.26 (CUDA 12.8 GA) ..."
};

// `driver_cuda` is the CUDA version the driver itself reports (nvidia-smi "CUDA Version"), when known.
DriverCheck check_driver(const Tables& t, const Version& driver, const Version& cuda,
                         const std::optional<Version>& driver_cuda, bool forward_compat_gpu);

enum class ArchFit {
  kSass,     // machine code for this architecture (or a binary-compatible lower minor of the same major)
  kPtxJit,   // only PTX the driver must compile at first launch
  kMissing,  // "no kernel image is available for execution on the device"
  kUnknown,
};

struct ArchCheck {
  ArchFit fit = ArchFit::kUnknown;
  std::string why;  // "sm_90 in the build", "closest: sm_90 (no PTX)"
};

// `sass`: "sm_80", "sm_90a"; `ptx`: "compute_90". The arch-specific "a" variants run on their exact
// architecture only; plain cubins run on later minors of the same major.
ArchCheck check_arch(int device_cc, const std::vector<std::string>& sass, const std::vector<std::string>& ptx);
// Same over a table arch list (TORCH_CUDA_ARCH_LIST): ptx = the newest arch also ships as PTX.
ArchCheck check_arch_list(int device_cc, const std::vector<int>& sass, bool ptx_of_newest);

// A GPU model from the tables by a device name as the driver, nvidia-smi or pci.ids spell it
// ("NVIDIA H100 80GB HBM3", "GH100 [H100 SXM5 80GB]", "Tesla V100-SXM2-16GB", "L4"). Longest alias wins.
const GpuRow* find_gpu(const Tables& t, const std::string& name);

// The oldest driver that can run this GPU architecture, derived: the first driver of the first CUDA release
// whose arch list (cuda_arch_support.csv) has it (sm_120 -> CUDA 12.8 -> 570.26). `cuda` gets that release.
std::optional<Version> gpu_min_driver(const Tables& t, int cc, Version* cuda = nullptr);

// The first driver of a CUDA minor, e.g. 12.8 -> 570.26; nullopt when the tables do not know that minor.
std::optional<Version> native_min_driver(const Tables& t, const Version& cuda);
const CudaMajorRow* major_row(const Tables& t, long major);
// The newest CUDA minor this driver runs natively ("12.4" for 550.54.14); nullopt if below every row.
std::optional<Version> newest_native_cuda(const Tables& t, const Version& driver);

// Rows of the torch table for an installed version ("2.8.0+cu128", "2.5.1" = the PyPI default variant).
// None for builds not from download.pytorch.org/PyPI ("2.5.0a0+872d972e41.nv24.08"): their arch lists differ.
const TorchRow* find_torch(const Tables& t, const Version& torch, const std::optional<Version>& cuda);
const TensorflowRow* find_tensorflow(const Tables& t, const Version& tf);
const OrtRow* find_ort(const Tables& t, const Version& ort, std::optional<long> cuda_major);
const TensorrtRow* find_tensorrt(const Tables& t, const Version& trt);
const CudnnRow* find_cudnn(const Tables& t, const Version& cudnn, long cuda_major);

// An NVIDIA driver version as NVIDIA writes it: minor and patch with two digits ("580.65.06", "570.26").
std::string driver_text(const Version& v);

// "cu128" -> 12.8, "cu102" -> 10.2.
std::optional<Version> cuda_of_variant(const std::string& variant);
std::string variant_of_cuda(const Version& cuda);  // 12.8 -> "cu128"
// Same major.minor ("3.11.7" and "3.11").
bool same_minor(const Version& a, const Version& b);
std::string minor_text(const Version& v);  // "12.8.1" -> "12.8"

}  // namespace infertune::compat
