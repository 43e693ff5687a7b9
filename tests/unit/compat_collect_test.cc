// collect_compat on fixture roots (tests/data/compat, see SOURCES.md): a machine with a venv (torch 2.5.1
// cu124 + nvidia wheels), a conda env (TensorFlow, ONNX Runtime GPU, TensorRT), Debian's python3-torch, a
// user site with jax, CUDA 12.4 on LD_LIBRARY_PATH shadowing Debian's CUDA 12.0 runtime, a CUDA 13 toolkit
// and a --pid process; and one prefix per torch wheel variant.

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "collect/collect_all.h"
#include "collect/compat.h"
#include "test_support.h"

namespace infertune {
namespace {

using Strings = std::vector<std::string>;

// Throw when absent: gtest reports the exception as a failure of the test.
const PythonEnvFacts& env_via(const CompatFacts& c, const std::string& via) {
  for (const auto& e : *c.python_envs)
    if (e.found_via == via) return e;
  throw std::runtime_error("no environment found via " + via);
}

const PythonPackageFacts& pkg(const PythonEnvFacts& e, const std::string& name) {
  for (const auto& p : *e.packages)
    if (p.name == name) return p;
  throw std::runtime_error("no package " + name + " in " + e.interpreter);
}

bool has_pkg(const PythonEnvFacts& e, const std::string& name) {
  for (const auto& p : *e.packages)
    if (p.name == name) return true;
  return false;
}

CompatFacts collect_mixed(int64_t pid = 0, std::string python = "") {
  FsRoot fs(test::data_path("compat/root-mixed"));
  CollectOptions o;
  o.target_pid = pid;
  o.python = std::move(python);
  CompatFacts c;
  collect_compat(fs, o, c);
  return c;
}

TEST(CompatCollect, EnvironmentValues) {
  auto c = collect_mixed();
  EXPECT_EQ(*c.cuda_home, "/usr/local/cuda");
  EXPECT_EQ(c.cuda_home.source, "/proc/self/environ CUDA_HOME");
  EXPECT_EQ(*c.ld_library_path, "/opt/cuda-12.4/lib64::relative/dir");
  // nvcc exists under the root but is never run there.
  EXPECT_FALSE(c.nvcc_version.known());
  EXPECT_EQ(c.nvcc_version.unknown_why, "/usr/local/cuda/bin/nvcc exists but programs are not run under --root");
  EXPECT_EQ(c.process_libraries.unknown_why, "no --pid given");
}

TEST(CompatCollect, FindsEveryInterpreterOnce) {
  auto c = collect_mixed();
  ASSERT_TRUE(c.python_envs.known());
  ASSERT_EQ(c.python_envs->size(), 3u);
  const auto& venv = env_via(c, "VIRTUAL_ENV");
  EXPECT_EQ(venv.interpreter, "/srv/venv-cu124/bin/python");
  EXPECT_EQ(*venv.python_version, "3.10.12");
  EXPECT_EQ(venv.python_version.source, "/srv/venv-cu124/pyvenv.cfg");
  EXPECT_EQ(*venv.site_packages, Strings{"/srv/venv-cu124/lib/python3.10/site-packages"});
  const auto& conda = env_via(c, "CONDA_PREFIX");
  EXPECT_EQ(*conda.python_version, "3.11");
  const auto& sys = env_via(c, "PATH");
  EXPECT_EQ(sys.interpreter, "/usr/bin/python3");  // /usr/local/bin has none
  EXPECT_EQ(*sys.python_version, "3.11");          // python3 -> python3.11
  // The user site comes first, then Debian's dist-packages.
  EXPECT_EQ(*sys.site_packages,
            (Strings{"/home/ml/.local/lib/python3.11/site-packages", "/usr/lib/python3/dist-packages"}));
}

TEST(CompatCollect, TorchWheelWithItsNvidiaWheels) {
  auto c = collect_mixed();
  const auto& venv = env_via(c, "VIRTUAL_ENV");
  Strings names;
  for (const auto& p : *venv.packages) names.push_back(p.name);
  // numpy is not of interest; triton and torchvision are.
  EXPECT_EQ(names, (Strings{"nvidia-cublas-cu12", "nvidia-cuda-runtime-cu12", "nvidia-cudnn-cu12", "nvidia-nccl-cu12",
                            "torch", "torchvision", "triton"}));
  const auto& torch = pkg(venv, "torch");
  EXPECT_EQ(torch.version, "2.5.1+cu124");  // METADATA says 2.5.1; version.py has the local tag
  EXPECT_EQ(torch.dist_info, "/srv/venv-cu124/lib/python3.10/site-packages/torch-2.5.1.dist-info");
  EXPECT_EQ(*torch.cuda_version, "12.4");
  EXPECT_EQ(torch.cuda_version.source, "/srv/venv-cu124/lib/python3.10/site-packages/torch/version.py");
  EXPECT_EQ(*torch.hip_version, "");
  EXPECT_EQ(*torch.git_version, "a8d6afb511a69687bbb2b7e88a3cf67917e1697e");
  EXPECT_EQ(*torch.main_cuda_library, "/srv/venv-cu124/lib/python3.10/site-packages/torch/lib/libtorch_cuda.so");
  const auto& cudnn = pkg(venv, "nvidia-cudnn-cu12");
  EXPECT_EQ(cudnn.version, "9.1.0.70");
  EXPECT_EQ(*cudnn.cuda_version, "12");
  EXPECT_EQ(*cudnn.cudnn_version, "9.1.0.70");
  EXPECT_FALSE(pkg(venv, "nvidia-cuda-runtime-cu12").cudnn_version.known());
  const auto& tv = pkg(venv, "torchvision");
  EXPECT_EQ(tv.version, "0.20.1+cu124");
  EXPECT_EQ(*tv.cuda_version, "12.4");
  EXPECT_FALSE(tv.main_cuda_library.known());
}

TEST(CompatCollect, CondaFrameworks) {
  auto c = collect_mixed();
  const auto& conda = env_via(c, "CONDA_PREFIX");
  const auto& tf = pkg(conda, "tensorflow");
  EXPECT_EQ(tf.version, "2.15.0.post1");
  EXPECT_EQ(*tf.cuda_version, "12.2");
  EXPECT_EQ(*tf.cudnn_version, "8");
  EXPECT_EQ(*tf.main_cuda_library, "/opt/conda/lib/python3.11/site-packages/tensorflow/libtensorflow_cc.so.2");
  const auto& ort = pkg(conda, "onnxruntime-gpu");
  EXPECT_EQ(*ort.cuda_version, "12.2");
  EXPECT_EQ(*ort.cudnn_version, "9");
  EXPECT_EQ(*ort.main_cuda_library,
            "/opt/conda/lib/python3.11/site-packages/onnxruntime/capi/libonnxruntime_providers_cuda.so");
  const auto& trt = pkg(conda, "tensorrt-cu12");
  EXPECT_EQ(*trt.cuda_version, "12");
  EXPECT_EQ(*trt.main_cuda_library, "/opt/conda/lib/python3.11/site-packages/tensorrt_libs/libnvinfer.so.10");
  EXPECT_TRUE(has_pkg(conda, "tensorrt-cu12-libs"));
}

TEST(CompatCollect, DebianTorchAndUserSiteJax) {
  auto c = collect_mixed();
  const auto& sys = env_via(c, "PATH");
  const auto& torch = pkg(sys, "torch");
  EXPECT_EQ(torch.version, "1.13.0a0+gitunknown");  // egg-info PKG-INFO
  EXPECT_EQ(*torch.cuda_version, "");               // cuda = None: a build without CUDA
  EXPECT_FALSE(torch.main_cuda_library.known());
  EXPECT_EQ(torch.main_cuda_library.unknown_why, "a build without CUDA has no CUDA library");
  const auto& plugin = pkg(sys, "jax-cuda12-plugin");
  EXPECT_EQ(*plugin.cuda_version, "12");
  EXPECT_TRUE(has_pkg(sys, "jaxlib"));
}

TEST(CompatCollect, FatbinsOfTheMainLibraries) {
  auto c = collect_mixed();
  ASSERT_TRUE(c.fatbins.known());
  // torch (venv); tensorflow, onnxruntime and tensorrt (conda; tensorrt-cu12 and -libs share one library).
  ASSERT_EQ(c.fatbins->size(), 4u);
  std::map<std::string, FatbinFacts> by;
  for (const auto& f : *c.fatbins) by[f.path] = f;
  const auto& torch = by.at("/srv/venv-cu124/lib/python3.10/site-packages/torch/lib/libtorch_cuda.so");
  EXPECT_EQ(*torch.sass_archs, (Strings{"sm_75", "sm_90"}));
  const auto& tf = by.at("/opt/conda/lib/python3.11/site-packages/tensorflow/libtensorflow_cc.so.2");
  EXPECT_EQ(tf.sass_archs.unknown_why, "not an ELF file");
  const auto& ort = by.at("/opt/conda/lib/python3.11/site-packages/onnxruntime/capi/libonnxruntime_providers_cuda.so");
  EXPECT_EQ(*ort.sass_archs, (Strings{"sm_80", "sm_86"}));
  EXPECT_FALSE(by.at("/opt/conda/lib/python3.11/site-packages/tensorrt_libs/libnvinfer.so.10").sass_archs.known());
}

TEST(CompatCollect, CudaLibrariesInSearchOrderWithShadowing) {
  auto c = collect_mixed();
  ASSERT_TRUE(c.cuda_libraries.known());
  std::vector<std::string> rows;
  for (const auto& l : *c.cuda_libraries) {
    rows.push_back(l.name + " " + *l.version + " " + l.path + " [" + l.found_via + "] " +
                   (l.shadowed.known() ? (*l.shadowed ? "shadowed" : "wins") : "off-path"));
  }
  Strings expected = {
      "libcudart 12.4.127 /opt/cuda-12.4/lib64/libcudart.so.12.4.127 [LD_LIBRARY_PATH] wins",
      "libcudart 12.0.146 /usr/lib/x86_64-linux-gnu/libcudart.so.12.0.146 [ldconfig cache] shadowed",
      "libcuda 580.65.06 /usr/lib/x86_64-linux-gnu/libcuda.so.580.65.06 [ldconfig cache] wins",
      "libcublas 13.1.0.3 /usr/local/cuda-13.0/targets/x86_64-linux/lib/libcublas.so.13.1.0.3 [standard location] "
      "off-path",
      "libcudart 13.0.96 /usr/local/cuda-13.0/targets/x86_64-linux/lib/libcudart.so.13.0.96 [standard location] "
      "off-path",
      "libcublas 12 /srv/venv-cu124/lib/python3.10/site-packages/nvidia/cublas/lib/libcublas.so.12 [wheel "
      "nvidia/cublas] off-path",
      "libcublasLt 12 /srv/venv-cu124/lib/python3.10/site-packages/nvidia/cublas/lib/libcublasLt.so.12 [wheel "
      "nvidia/cublas] off-path",
      "libcudart 12 /srv/venv-cu124/lib/python3.10/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12 [wheel "
      "nvidia/cuda_runtime] off-path",
      "libcudnn 9 /srv/venv-cu124/lib/python3.10/site-packages/nvidia/cudnn/lib/libcudnn.so.9 [wheel nvidia/cudnn] "
      "off-path",
      "libcudnn_ops 9 /srv/venv-cu124/lib/python3.10/site-packages/nvidia/cudnn/lib/libcudnn_ops.so.9 [wheel "
      "nvidia/cudnn] off-path",
  };
  EXPECT_EQ(rows, expected) << testing::PrintToString(rows);
}

TEST(CompatCollect, LibrariesMappedByThePidProcess) {
  auto c = collect_mixed(4242);
  ASSERT_TRUE(c.process_libraries.known());
  EXPECT_EQ(c.process_libraries.source, "/proc/4242/maps");
  ASSERT_EQ(c.process_libraries->size(), 3u);
  const auto& l = *c.process_libraries;
  EXPECT_EQ(l[0].name, "libcudart");
  EXPECT_EQ(*l[0].version, "12");
  EXPECT_EQ(l[0].found_via, "maps of PID 4242");
  EXPECT_EQ(*l[1].version, "13.0.96");  // two CUDA runtimes in one process
  EXPECT_EQ(l[2].name, "libcuda");
  // Its environment, not this process's, gives LD_LIBRARY_PATH and CUDA_HOME.
  EXPECT_EQ(*c.ld_library_path, "/srv/venv-cu124/lib/python3.10/site-packages/nvidia/cuda_runtime/lib");
  EXPECT_EQ(c.ld_library_path.source, "/proc/4242/environ LD_LIBRARY_PATH");
  EXPECT_EQ(c.cuda_home.unknown_why, "CUDA_HOME or CUDA_PATH is not set");
  auto none = collect_mixed(999);
  EXPECT_FALSE(none.process_libraries.known());
  EXPECT_NE(none.process_libraries.unknown_why.find("/proc/999/maps"), std::string::npos);
}

TEST(CompatCollect, PythonFlagComesFirst) {
  auto c = collect_mixed(0, "/opt/conda/bin/python");
  ASSERT_EQ(c.python_envs->size(), 3u);  // the conda env is not listed twice
  EXPECT_EQ((*c.python_envs)[0].found_via, "--python");
  EXPECT_EQ((*c.python_envs)[0].interpreter, "/opt/conda/bin/python");
  // A --python that does not exist is listed with the reason, before the others.
  auto missing = collect_mixed(0, "/opt/nope/bin/python");
  ASSERT_EQ(missing.python_envs->size(), 4u);
  const auto& m = (*missing.python_envs)[0];
  EXPECT_EQ(m.found_via, "--python");
  EXPECT_EQ(m.packages.unknown_why, "/opt/nope/bin/python: no such file or directory");
}

TEST(CompatCollect, TorchWheelVariants) {
  FsRoot fs(test::data_path("compat/torch-variants"));
  struct Want {
    const char* prefix;
    const char* version;
    const char* cuda;
  };
  for (const Want& w : {Want{"/cu113", "1.10.2+cu113", "11.3"}, Want{"/cu118", "2.1.2+cu118", "11.8"},
                        Want{"/cu121", "2.2.1+cu121", "12.1"}, Want{"/cu124", "2.5.1+cu124", "12.4"},
                        Want{"/cu126", "2.7.1+cu126", "12.6"}, Want{"/cu128", "2.11.0+cu128", "12.8"},
                        Want{"/cpu", "2.14.0+cpu", ""}, Want{"/macos", "2.4.1", ""}}) {
    auto envs = collect_python_envs(fs, w.prefix, {});
    ASSERT_EQ(envs.size(), 1u) << w.prefix;
    const auto& t = pkg(envs[0], "torch");
    EXPECT_EQ(t.version, w.version) << w.prefix;
    EXPECT_EQ(*t.cuda_version, w.cuda) << w.prefix;
    EXPECT_EQ(*envs[0].python_version, "3.12") << w.prefix;
    EXPECT_FALSE(t.main_cuda_library.known()) << w.prefix;
  }
}

TEST(CompatCollect, EmptyRootSaysWhy) {
  test::TempRoot r;
  CompatFacts c;
  collect_compat(FsRoot(r.path()), {}, c);
  EXPECT_FALSE(c.python_envs.known());
  EXPECT_NE(c.python_envs.unknown_why.find("no Python interpreter found"), std::string::npos);
  EXPECT_EQ(c.cuda_home.unknown_why, "cannot read /proc/self/environ");
  ASSERT_TRUE(c.cuda_libraries.known());
  EXPECT_TRUE(c.cuda_libraries->empty());
  EXPECT_TRUE(c.fatbins->empty());
  // A garbage loader cache is named in the source, not fatal.
  r.write("etc/ld.so.cache", "garbage");
  collect_compat(FsRoot(r.path()), {}, c);
  EXPECT_NE(c.cuda_libraries.source.find("not a loader cache"), std::string::npos);
}

// This machine: prints the inventory time (reported in the closing note); no assertion on content beyond
// "it ran", since machines differ.
TEST(CompatCollect, LiveTiming) {
  CollectOptions o;
  CompatFacts c;
  auto t0 = std::chrono::steady_clock::now();
  collect_compat(FsRoot("/"), o, c);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "collect_compat (live): " << s << " s, " << (c.python_envs.known() ? c.python_envs->size() : 0)
            << " Python envs, " << c.cuda_libraries->size() << " CUDA libraries, nvcc " << c.nvcc_version.value_or("-")
            << "\n";
  EXPECT_TRUE(c.cuda_libraries.known());
}

}  // namespace
}  // namespace infertune
