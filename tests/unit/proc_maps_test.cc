// /proc/<pid>/maps parsing and CUDA library classification: real samples, odd names, truncated and garbage
// input.

#include "collect/proc_maps.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.h"

namespace infertune {
namespace {

std::vector<std::string> paths(const std::vector<MappedFile>& v) {
  std::vector<std::string> out;
  for (const auto& m : v) out.push_back(m.path);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(ProcMaps, RealPython3SampleListsEachFileOnceWithoutPseudoPaths) {
  auto maps = parse_proc_maps(test::read_text(test::data_path("target-roots/host/proc/4100/maps")));
  auto p = paths(maps);
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p.front(), "/usr/local/bin/python3.11");
  EXPECT_TRUE(has(p, "/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_TRUE(has(p, "/usr/local/lib/libpython3.11.so.1.0"));
  EXPECT_EQ(std::count(p.begin(), p.end(), "/usr/lib/x86_64-linux-gnu/libc.so.6"), 1);
  for (const auto& x : p) {
    EXPECT_EQ(x.front(), '/') << x;
    EXPECT_EQ(x.find("[heap]"), std::string::npos);
  }
  // 167 lines, 32 distinct files in the sample (the rest: anonymous, [heap], [stack], [vdso], [vvar], ...).
  EXPECT_EQ(p.size(), 32u);
}

TEST(ProcMaps, PseudoPathsAnonymousAndDeletedMarkers) {
  std::string text =
      "55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]\n"
      "7f0000000000-7f0000001000 rw-p 00000000 00:00 0 \n"
      "7f0000001000-7f0000002000 rw-p 00000000 00:00 0                          [anon:cuda host alloc]\n"
      "7f0000002000-7f0000003000 rw-s 00000000 00:01 2049                       /memfd:cuda-ipc (deleted)\n"
      "7f0000003000-7f0000004000 r-xp 00001000 fd:01 77                         /opt/app/lib/libfoo.so (deleted)\n"
      "7f0000004000-7f0000005000 r--p 00000000 fd:01 78                         /opt/my models/lib bar.so\n"
      "7f0000005000-7f0000006000 rw-s 00000000 00:05 697                        /dev/nvidia0\n"
      "7ffd6d4a5000-7ffd6d4c6000 rw-p 00000000 00:00 0                          [stack]\n"
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
  auto m = parse_proc_maps(text);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].path, "/memfd:cuda-ipc");  // a memfd, printed like a path
  EXPECT_EQ(m[1].path, "/opt/app/lib/libfoo.so");
  EXPECT_TRUE(m[1].deleted);
  EXPECT_EQ(m[2].path, "/opt/my models/lib bar.so");
  EXPECT_FALSE(m[2].deleted);
  EXPECT_EQ(m[3].path, "/dev/nvidia0");
}

TEST(ProcMaps, MemfdIsReportedAsPrinted) {
  auto m = parse_proc_maps("7f0000002000-7f0000003000 rw-s 00000000 00:01 2049   /memfd:cuda-ipc (deleted)\n");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].path, "/memfd:cuda-ipc");
  EXPECT_TRUE(m[0].deleted);
}

TEST(ProcMaps, TruncatedAndGarbageInput) {
  EXPECT_TRUE(parse_proc_maps("").empty());
  EXPECT_TRUE(parse_proc_maps("\n\n\n").empty());
  EXPECT_TRUE(parse_proc_maps("not a maps file\nat all /usr/lib/libcuda.so.1\n").empty());
  EXPECT_TRUE(parse_proc_maps("7f00-7f01 rw-p 0000 fd:01").empty());              // cut in the fields
  EXPECT_TRUE(parse_proc_maps("7f00-7f01 rwzp 0 fd:01 1 /lib/x.so\n").empty());   // bad perms
  EXPECT_TRUE(parse_proc_maps("7f00-zz rw-p 0 fd:01 1 /lib/x.so\n").empty());     // bad range
  EXPECT_TRUE(parse_proc_maps("7f00-7f01 rw-p 0 fd01 1 /lib/x.so\n").empty());    // bad device
  EXPECT_TRUE(parse_proc_maps("7f00-7f01 rw-p 0 fd:01 x1 /lib/x.so\n").empty());  // bad inode
  std::string bin("\0\xff\x01 - : /\n", 10);
  EXPECT_TRUE(parse_proc_maps(bin).empty());
  // A last line without its newline (a copy cut short) is still read; one cut inside the fields is not.
  auto m = parse_proc_maps("7f00-7f01 r--p 0 fd:01 1 /lib/a.so\n7f01-7f02 r--p 0 fd:01 2 /lib/libcud");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].path, "/lib/libcud");
  EXPECT_EQ(classify_cuda_library(m[1].path), "");
  // Windows line ends (a copy edited elsewhere).
  auto crlf = parse_proc_maps("7f00-7f01 r--p 0 fd:01 1 /lib/a.so\r\n");
  ASSERT_EQ(crlf.size(), 1u);
  EXPECT_EQ(crlf[0].path, "/lib/a.so");
}

TEST(ProcMaps, ServingSampleHasTheCudaStack) {
  auto maps = parse_proc_maps(test::read_text(test::data_path("target-roots/host/proc/4027538/maps")));
  std::vector<std::string> kinds;
  for (const auto& m : maps) {
    auto k = classify_cuda_library(m.path);
    if (!k.empty()) kinds.push_back(k);
  }
  std::vector<std::string> want = {"libc10_cuda", "libtorch_cuda", "libcudart",   "libcublasLt",
                                   "libcublas",   "libcudnn",      "libcudnn",    "libnccl",
                                   "libnvrtc",    "libcuda",       "libnvidia-ml"};
  EXPECT_EQ(kinds, want);
}

TEST(ProcMaps, ClassifiesCudaLibraryNames) {
  EXPECT_EQ(classify_cuda_library("/usr/lib/x86_64-linux-gnu/libcuda.so.1"), "libcuda");
  EXPECT_EQ(classify_cuda_library("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"), "libcuda");
  EXPECT_EQ(classify_cuda_library("/x/torch/lib/libcudart-e409df5c.so.11.0"), "libcudart");
  EXPECT_EQ(classify_cuda_library("/x/nvidia/cuda_runtime/lib/libcudart.so.12"), "libcudart");
  EXPECT_EQ(classify_cuda_library("/x/libcublasLt.so.12"), "libcublasLt");
  EXPECT_EQ(classify_cuda_library("/x/libcublas.so.12"), "libcublas");
  EXPECT_EQ(classify_cuda_library("/x/libcudnn_cnn_infer.so.8"), "libcudnn");
  EXPECT_EQ(classify_cuda_library("/x/libnvrtc-builtins.so.12.4"), "libnvrtc");
  EXPECT_EQ(classify_cuda_library("/x/torch/lib/libtorch_cuda.so"), "libtorch_cuda");
  EXPECT_EQ(classify_cuda_library("/x/torch/lib/libtorch_cuda_linalg.so"), "libtorch_cuda");
  EXPECT_EQ(classify_cuda_library("/x/torch/lib/libc10_cuda.so"), "libc10_cuda");
  EXPECT_EQ(classify_cuda_library("/x/onnxruntime/capi/libonnxruntime_providers_cuda.so"), "onnxruntime_cuda");
  EXPECT_EQ(classify_cuda_library("/x/onnxruntime/capi/libonnxruntime_providers_tensorrt.so"), "onnxruntime_tensorrt");
  EXPECT_EQ(classify_cuda_library("/x/libnvinfer.so.10"), "libnvinfer");
  EXPECT_EQ(classify_cuda_library("/x/libnvinfer_plugin.so.10"), "libnvinfer");
  EXPECT_EQ(classify_cuda_library("/x/tensorflow/libtensorflow_framework.so.2"), "tensorflow");
  EXPECT_EQ(classify_cuda_library("/x/tensorflow/python/_pywrap_tensorflow_internal.so"), "tensorflow");
  EXPECT_EQ(classify_cuda_library("/x/libcupti.so.12"), "libcupti");
  EXPECT_EQ(classify_cuda_library("/usr/lib/libnvidia-ml.so.1"), "libnvidia-ml");
  EXPECT_EQ(classify_cuda_library("/x/libnccl.so.2"), "libnccl");
  // Not CUDA: look-alike names, the CPU parts of frameworks, non-libraries.
  EXPECT_EQ(classify_cuda_library("/x/torch/lib/libtorch_cpu.so"), "");
  EXPECT_EQ(classify_cuda_library("/x/libcudaX.so"), "");
  EXPECT_EQ(classify_cuda_library("/x/onnxruntime/capi/libonnxruntime_providers_shared.so"), "");
  EXPECT_EQ(classify_cuda_library("/dev/nvidia0"), "");
  EXPECT_EQ(classify_cuda_library("/x/libcuda.txt"), "");
  EXPECT_EQ(classify_cuda_library(""), "");
  EXPECT_TRUE(kind_means_cuda("libtorch_cuda"));
  EXPECT_FALSE(kind_means_cuda("tensorflow"));
  EXPECT_FALSE(kind_means_cuda("libnvidia-ml"));
  EXPECT_FALSE(kind_means_cuda(""));
}

}  // namespace
}  // namespace infertune
