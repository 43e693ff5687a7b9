// Pure parsers of the compatibility inventory, on real samples (python-envs fixtures, nvcc output).

#include <gtest/gtest.h>

#include "collect/compat.h"
#include "collect/proc_maps.h"
#include "test_support.h"

namespace infertune {
namespace {

std::string shared_env(const std::string& rel) {
  // Real files from the shared public fixture collection, copied into tests/data/compat/public (SOURCES.md).
  return test::read_text(test::data_path("compat/public/" + rel.substr(rel.find('/') + 1)));
}
std::string data(const std::string& rel) { return test::read_text(test::data_path("compat/" + rel)); }

TEST(Nvcc, ParsesRealOutput) {
  EXPECT_EQ(parse_nvcc_version(data("nvcc/nvcc-13.0.txt")), "13.0.88");
  // CUDA 11.8's nvcc prints the same two lines.
  EXPECT_EQ(parse_nvcc_version("nvcc: NVIDIA (R) Cuda compiler driver\n"
                               "Cuda compilation tools, release 11.8, V11.8.89\n"
                               "Build cuda_11.8.r11.8/compiler.31833905_0\n"),
            "11.8.89");
  EXPECT_EQ(parse_nvcc_version("Cuda compilation tools, release 13.0"), "13.0");
  EXPECT_FALSE(parse_nvcc_version(""));
  EXPECT_FALSE(parse_nvcc_version("bash: nvcc: command not found\n"));
  EXPECT_FALSE(parse_nvcc_version("release , V\n"));
}

TEST(PythonAssignments, TorchVersionPyOfEveryGeneration) {
  auto a = parse_python_assignments(data("torch-variants/cu124/lib/python3.12/site-packages/torch/version.py"));
  EXPECT_EQ(a["__version__"], "2.5.1+cu124");
  EXPECT_EQ(a["cuda"], "12.4");
  EXPECT_EQ(a["hip"], "None");
  EXPECT_EQ(a["git_version"], "a8d6afb511a69687bbb2b7e88a3cf67917e1697e");
  auto old = parse_python_assignments(data("torch-variants/cu113/lib/python3.12/site-packages/torch/version.py"));
  EXPECT_EQ(old["cuda"], "11.3");  // 1.10: no annotations
  auto deb = parse_python_assignments(shared_env("debian/torch-1.13.0a0_debian-python3-torch_version.py"));
  EXPECT_EQ(deb["cuda"], "None");
  EXPECT_EQ(deb["git_version"], "Unknown");
  EXPECT_EQ(parse_python_assignments("x == 3\nif a:\n    cuda = '1'\n").size(), 0u);
}

TEST(PythonAssignments, TensorFlowBuildInfoAndOnnxRuntime) {
  auto tf = parse_python_assignments(shared_env("other/tensorflow-cuda12.3_build_info.py"));
  EXPECT_EQ(tf["cuda_version"], "12.3");
  EXPECT_EQ(tf["cudnn_version"], "8");
  EXPECT_EQ(tf["is_cuda_build"], "True");
  EXPECT_EQ(tf.count("cuda_compute_capabilities"), 0u);  // a list: not a scalar
  auto ort = parse_python_assignments(shared_env("other/onnxruntime-1.19.0_windows-cpu_version_info.py"));
  EXPECT_EQ(ort["use_cuda"], "False");
  // Garbage: unterminated strings and tuples, never a crash.
  auto g = parse_python_assignments("a = 'unterminated\n('key', \n('k'\nb: = \n= 3\n('x', [1])\n");
  EXPECT_EQ(g.count("a"), 0u);
}

TEST(DistMetadata, RealHeaders) {
  auto t = parse_dist_metadata(shared_env("metadata/torch-2.5.1_pypi-default-cu124_METADATA"));
  EXPECT_EQ(t.name, "torch");
  EXPECT_EQ(t.version, "2.5.1");
  auto n = parse_dist_metadata(shared_env("metadata/nvidia_cudnn_cu12-9.1.0.70_METADATA"));
  EXPECT_EQ(n.name, "nvidia-cudnn-cu12");
  EXPECT_EQ(n.version, "9.1.0.70");
  auto d = parse_dist_metadata(shared_env("debian/torch-1.13.0a0+gitunknown_debian_PKG-INFO"));
  EXPECT_EQ(d.version, "1.13.0a0+gitunknown");
  // The header ends at the first blank line: a "Version:" in the description does not count.
  auto b = parse_dist_metadata("Name: x\r\n\r\nVersion: 9\n");
  EXPECT_EQ(b.name, "x");
  EXPECT_EQ(b.version, "");
}

TEST(DistNames, NormalisationAndCudaFromNames) {
  EXPECT_EQ(normalize_dist_name("nvidia_cudnn_cu12"), "nvidia-cudnn-cu12");
  EXPECT_EQ(normalize_dist_name("ONNXRuntime.GPU"), "onnxruntime-gpu");
  EXPECT_EQ(normalize_dist_name("a__-b"), "a-b");
  EXPECT_EQ(cuda_major_from_dist_name("nvidia-cudnn-cu12"), "12");
  EXPECT_EQ(cuda_major_from_dist_name("nvidia_nccl_cu13"), "13");
  EXPECT_EQ(cuda_major_from_dist_name("jax-cuda12-plugin"), "12");
  EXPECT_EQ(cuda_major_from_dist_name("tensorrt-cu12-libs"), "12");
  EXPECT_EQ(cuda_major_from_dist_name("cupy-cuda12x"), "12");
  EXPECT_FALSE(cuda_major_from_dist_name("nvidia-cuda-runtime"));
  EXPECT_FALSE(cuda_major_from_dist_name("torch"));
  EXPECT_FALSE(cuda_major_from_dist_name("nvidia-cucumber"));
}

TEST(DistNames, CudaFromLocalVersion) {
  EXPECT_EQ(cuda_from_local_version("2.5.1+cu124"), "12.4");
  EXPECT_EQ(cuda_from_local_version("2.1.2+cu118"), "11.8");
  EXPECT_EQ(cuda_from_local_version("2.9.1+cu130"), "13.0");
  EXPECT_EQ(cuda_from_local_version("1.4.0+cu92"), "9.2");
  EXPECT_EQ(cuda_from_local_version("2.14.0+cpu"), "");
  EXPECT_EQ(cuda_from_local_version("2.0.0.dev20230228+cpu-cxx11-abi"), "");
  EXPECT_EQ(cuda_from_local_version("0.4.7+cuda12.cudnn89"), "12");  // old jaxlib: major only
  EXPECT_FALSE(cuda_from_local_version("2.5.1"));
  EXPECT_FALSE(cuda_from_local_version("1.13.0a0+gitunknown"));
  EXPECT_FALSE(cuda_from_local_version("1.0+cu"));
}

TEST(CudaLibNames, FileNames) {
  auto a = parse_cuda_lib_filename("libcudart.so.13.0.96");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "libcudart");
  EXPECT_EQ(a->soname, "libcudart.so.13");
  EXPECT_EQ(a->version, "13.0.96");
  auto b = parse_cuda_lib_filename("libcudnn_ops.so.9");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->name, "libcudnn_ops");
  EXPECT_EQ(b->version, "9");
  auto h = parse_cuda_lib_filename("libcudart-e409450e.so.11.0");  // torch 1.x wheel bundled copy
  ASSERT_TRUE(h);
  EXPECT_EQ(h->name, "libcudart");
  EXPECT_EQ(h->soname, "libcudart.so.11");
  auto d = parse_cuda_lib_filename("libcuda.so.580.65.06");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->soname, "libcuda.so.580");
  EXPECT_TRUE(parse_cuda_lib_filename("libcublasLt.so.12"));
  EXPECT_FALSE(parse_cuda_lib_filename("libcudart.so"));
  EXPECT_FALSE(parse_cuda_lib_filename("libcudart_static.a"));
  EXPECT_FALSE(parse_cuda_lib_filename("libz.so.1.2.13"));
  EXPECT_FALSE(parse_cuda_lib_filename("libcudart.so.13.bak"));
  EXPECT_FALSE(parse_cuda_lib_filename("libnvrtc-builtins.so.13.0"));
}

TEST(Maps, PathsOncePerFile) {
  auto files = parse_proc_maps(data("root-mixed/proc/4242/maps"));
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0].path, "/usr/bin/python3.11");
  EXPECT_EQ(files[1].path, "/srv/venv-cu124/lib/python3.10/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12");
  EXPECT_EQ(files[3].path, "/usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06");  // " (deleted)" removed
  EXPECT_TRUE(files[3].deleted);
}

TEST(LibraryVersionFunctions, Decoding) {
  EXPECT_EQ(cudart_version_string(12040), "12.4");
  EXPECT_EQ(cudart_version_string(13000), "13.0");
  EXPECT_EQ(cudart_version_string(0), "");
  EXPECT_EQ(cudnn_version_string(90100), "9.1.0");
  EXPECT_EQ(cudnn_version_string(91300), "9.13.0");
  EXPECT_EQ(cudnn_version_string(8907), "8.9.7");
  EXPECT_EQ(cudnn_version_string(0), "");
}

TEST(PyvenvCfg, KeysAndValues) {
  auto c = parse_pyvenv_cfg("home = /usr/bin\ninclude-system-site-packages = false\nversion_info = 3.12.3.final.0\n");
  EXPECT_EQ(c["home"], "/usr/bin");
  EXPECT_EQ(c["include-system-site-packages"], "false");
  EXPECT_EQ(c["version_info"], "3.12.3.final.0");
}

}  // namespace
}  // namespace infertune
