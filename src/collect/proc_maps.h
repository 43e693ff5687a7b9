#pragma once
// /proc/<pid>/maps: which files a process has mapped, and which of them are CUDA-related libraries.
// Pure parsing and classification; the IO lives in the collectors (target_process.cc).

#include <string>
#include <string_view>
#include <vector>

namespace infertune {

struct MappedFile {
  std::string path;      // as the kernel prints it, without the " (deleted)" marker
  bool deleted = false;  // the file was deleted (or replaced) after it was mapped
};

// Parses /proc/<pid>/maps ("start-end perms offset dev inode   pathname" per line). Returns every mapped file
// (pathname starting with '/') once, in order of first appearance. Anonymous mappings and pseudo-paths
// ([heap], [stack], [vdso], [anon:name], ...) are skipped; a " (deleted)" suffix is removed and recorded.
// File names may contain spaces; the kernel prints newlines inside names as "\012" (kept as printed).
// Malformed lines (not the six-field shape) are skipped; an unterminated last line is parsed like the others.
std::vector<MappedFile> parse_proc_maps(std::string_view text);

// The file-name part of a path ("/a/b/libcudart.so.12" -> "libcudart.so.12").
std::string_view path_basename(std::string_view path);

// What a CUDA-related library is, from its file name: "libcuda", "libcudart", "libcublas", "libcublasLt",
// "libcudnn", "libnccl", "libnvrtc", "libcufft", "libcurand", "libcusparse", "libcusolver", "libnvJitLink",
// "libcupti", "libtorch_cuda", "libc10_cuda", "onnxruntime_cuda", "onnxruntime_tensorrt", "libnvinfer",
// "jax_cuda", "tensorflow", "libnvidia-ml". "" when the file is none of them. Versioned and vendored names
// count (libcudart.so.12, libcudart-e409df5c.so.11.0, libcudnn_ops.so.9).
std::string classify_cuda_library(std::string_view path);

// Whether a library of this kind being mapped means CUDA user-space code is loaded (the process can create a
// GPU context): false for "tensorflow" (CPU builds have it too) and "libnvidia-ml" (monitoring only).
bool kind_means_cuda(std::string_view kind);

}  // namespace infertune
