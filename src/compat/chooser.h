#pragma once
// Exact fixes chosen from the tables for a given driver and GPU: which torch wheel to install, which driver
// branch a CUDA release needs, which base image runs here. Newest compatible choice first.

#include <optional>
#include <string>
#include <vector>

#include "base/version.h"
#include "compat/judge.h"
#include "compat/tables.h"

namespace infertune::compat {

struct Machine {
  std::optional<Version> driver;
  std::optional<Version> driver_cuda;  // what the driver reports, if known
  std::optional<int> cc;               // GPU compute capability (lowest when several)
  std::optional<Version> python;
  bool forward_compat_gpu = false;
};

struct TorchChoice {
  const TorchRow* row = nullptr;
  DriverFit driver_fit = DriverFit::kUnknown;
  ArchFit arch_fit = ArchFit::kUnknown;
  std::string pip;   // pip install "torch==2.8.*" --index-url https://download.pytorch.org/whl/cu128
  std::string note;  // "via minor-version compatibility", "PTX JIT at first launch"
};

// Torch wheels that run on `m`: driver native or minor-version compatible (then with machine code for the
// GPU, as PTX JIT needs a native driver), GPU arch in the build, Python in range. Newest release first;
// within a release the variant the driver runs natively first, then the newer CUDA.
std::vector<TorchChoice> choose_torch(const Tables& t, const Machine& m);
std::string pip_line(const TorchRow& r);

// "NVIDIA driver 570.26 or newer (branch 570: sudo apt install nvidia-driver-570)".
std::string driver_advice(const Tables& t, const Version& cuda);

struct ImageChoice {
  std::string image;  // "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"
  std::string why;
};
// nvidia/cuda images whose CUDA this driver runs natively and that can build for the GPU; newest first.
std::vector<ImageChoice> choose_cuda_images(const Tables& t, const Machine& m, size_t max = 2);
// A pytorch/pytorch tag seen for this torch release and CUDA, if the tables have one.
std::optional<std::string> pytorch_image(const Tables& t, const TorchRow& r);

}  // namespace infertune::compat
