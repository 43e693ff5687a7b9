#pragma once
// The compatibility inventory (collect_compat in collect_all.h): Python environments and their framework
// packages, CUDA libraries on the loader's search path and in standard places, `nvcc --version`, the CUDA
// libraries a --pid process mapped, and the GPU architectures in the frameworks' main CUDA libraries.
// Nothing is imported; the only program run is `nvcc --version` (live only).
//
// The pure parsers below are exposed for tests and fuzzing.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

// `nvcc --version` output -> "13.0.88" (from "V13.0.88"), or "13.0" from "release 13.0" alone.
std::optional<std::string> parse_nvcc_version(std::string_view text);

// Simple top-level assignments of a generated Python module (torch/version.py, onnxruntime's
// version_info.py, TensorFlow's build_info.py): name -> value, string quotes removed, `None`/`True`/
// `False` kept as words. Annotated forms (`cuda: Optional[str] = '12.4'`) are understood. TensorFlow's
// OrderedDict([('cuda_version', '12.3'), ...]) pairs are added too.
std::map<std::string, std::string> parse_python_assignments(std::string_view text);

// "Name" and "Version" of a METADATA / PKG-INFO header (RFC 822 style; stops at the first blank line).
struct DistMetadata {
  std::string name;
  std::string version;
};
DistMetadata parse_dist_metadata(std::string_view text);

// PEP 503 normalisation: lower case, runs of '-', '_', '.' become one '-'.
std::string normalize_dist_name(std::string_view name);

// CUDA version from a local version tag: "2.5.1+cu124" -> "12.4", "+cu118" -> "11.8", "+cu130" -> "13.0";
// "+cpu" -> "" (no CUDA); nullopt when the version says nothing.
std::optional<std::string> cuda_from_local_version(std::string_view version);
// CUDA major from a distribution name: "nvidia-cudnn-cu12" -> "12", "jax-cuda12-plugin" -> "12",
// "cupy-cuda12x" -> "12".
std::optional<std::string> cuda_major_from_dist_name(std::string_view name);

// pyvenv.cfg "key = value" lines.
std::map<std::string, std::string> parse_pyvenv_cfg(std::string_view text);

// A CUDA library file name: "libcudart.so.13.0.96" -> {libcudart, libcudart.so.13, 13.0.96};
// "libcudnn_ops.so.9" -> {libcudnn_ops, libcudnn_ops.so.9, 9}; wheel-bundled hashed copies
// "libcudart-e409450e.so.11.0" -> {libcudart, libcudart.so.11, 11.0}. nullopt for other libraries and for
// unversioned development links ("libcudart.so").
struct CudaLibName {
  std::string name;
  std::string soname;
  std::string version;
};
std::optional<CudaLibName> parse_cuda_lib_filename(std::string_view file);

// Version numbers returned by the libraries' own functions: cudaRuntimeGetVersion 12040 -> "12.4";
// cudnnGetVersion 90100 -> "9.1.0" (cuDNN 9: major*10000+minor*100+patch; 8: major*1000+minor*100+patch).
std::string cudart_version_string(int v);
std::string cudnn_version_string(uint64_t v);

// The parts of collect_compat, for tests.
using EnvMap = std::map<std::string, std::string>;
std::vector<PythonEnvFacts> collect_python_envs(const FsRoot& fs, const std::string& python_flag, const EnvMap& env);
struct CudaLibOptions {
  bool load_libraries = false;  // dlopen system libcudart/libcudnn for their version functions (live only)
  double timeout_s = 5.0;
};
std::vector<CudaLibraryFacts> collect_cuda_libraries(const FsRoot& fs, const EnvMap& env,
                                                     const std::vector<PythonEnvFacts>& envs,
                                                     const CudaLibOptions& opts, std::vector<std::string>& notes);

}  // namespace infertune
