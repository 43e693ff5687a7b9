#pragma once
// What of the Snapshot the compat judgement looks at, gathered once: the driver, the GPUs (with their
// compute capability from the driver or the tables) and every build that needs CUDA (framework wheels,
// runtimes mapped into the --pid process, the nvcc toolkit). Pure: Snapshot + tables in, plain values out.

#include <optional>
#include <string>
#include <vector>

#include "base/version.h"
#include "compat/chooser.h"
#include "compat/tables.h"
#include "facts/snapshot.h"

namespace infertune::compat {

struct DriverInfo {
  std::optional<Version> version;       // "550.54.14"
  std::string source;                   // where it was read
  std::optional<Version> cuda_version;  // what the driver says it supports ("12.4")
};
DriverInfo driver_of(const Snapshot& s);

struct GpuInfo {
  std::string label;      // "GPU 0 NVIDIA H100 80GB HBM3"
  std::optional<int> cc;  // 90
  std::string cc_source;  // "nvidia-smi" / "gpus.csv: H100 (...)"
  const GpuRow* row = nullptr;
  bool forward_compat = false;  // a data-center part: cuda-compat forward compatibility applies
};
// From gpu.devices when known, else from the PCI devices (names from pci.ids).
std::vector<GpuInfo> gpus_of(const Snapshot& s, const Tables& t);
bool any_forward_compat(const std::vector<GpuInfo>& gpus);
// The machine the chooser plans for: driver, lowest GPU compute capability, and env's Python when given.
Machine machine_of(const Snapshot& s, const Tables& t, const PythonEnvFacts* env);

struct Build {
  std::string kind;   // "torch", "tensorflow", "onnxruntime-gpu", "tensorrt", "jax", "libcudart", "nvcc"
  std::string label;  // "torch 2.8.0+cu128 (/usr/bin/python3)"
  const PythonEnvFacts* env = nullptr;
  const PythonPackageFacts* pkg = nullptr;
  std::optional<Version> version;
  std::optional<Version> cuda;
  std::string cuda_source;
  std::optional<Version> cudnn;
  std::string cudnn_source;
  // GPU code: from the fatbin scan of the package's main CUDA library, else the table's arch list.
  bool arch_known = false;
  std::vector<std::string> sass;  // "sm_90"
  std::vector<std::string> ptx;   // "compute_90"
  std::string arch_source;
  bool cpu_only = false;  // a CPU-only build (torch +cpu, tensorflow-cpu, onnxruntime without -gpu)
  const TorchRow* torch_row = nullptr;
  const TensorflowRow* tf_row = nullptr;
  const OrtRow* ort_row = nullptr;
  const TensorrtRow* trt_row = nullptr;
};
std::vector<Build> builds_of(const Snapshot& s, const Tables& t);

// Whether the machine has an NVIDIA GPU (on the PCI bus or reported by the driver).
bool has_gpu(const Snapshot& s);

}  // namespace infertune::compat
