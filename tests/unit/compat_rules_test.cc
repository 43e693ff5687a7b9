// Compat rules over hand-built snapshots and the JSON snapshot fixtures of tests/data/compat-snapshots:
// each finding fires on the stack that has the problem and stays silent on a healthy one.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "base/strings.h"
#include "cli/compat_report.h"
#include "facts/snapshot_json.h"
#include "report/render.h"
#include "rules/rule.h"
#include "test_support.h"

namespace infertune {
namespace {

PythonPackageFacts pkg(const std::string& name, const std::string& version, const std::string& cuda = "",
                       const std::string& cudnn = "") {
  PythonPackageFacts p;
  p.name = name;
  p.version = version;
  p.dist_info = "/venv/lib/python3.11/site-packages/" + name + "-" + version + ".dist-info";
  if (!cuda.empty()) p.cuda_version.set(cuda, name + "/version.py");
  if (!cudnn.empty()) p.cudnn_version.set(cudnn, name + " build info");
  return p;
}

CudaLibraryFacts lib(const std::string& name, const std::string& version, const std::string& path,
                     const std::string& via = "maps of PID 42") {
  CudaLibraryFacts l;
  l.name = name;
  l.path = path;
  l.found_via = via;
  l.version.set(version, "file name");
  return l;
}

// A machine: driver, one GPU, one Python environment.
Snapshot machine(const std::string& driver, const std::string& gpu, const std::string& cc,
                 std::vector<PythonPackageFacts> packages, const std::string& python = "3.11.9") {
  Snapshot s;
  s.schema_version = "1.2";
  if (!driver.empty()) {
    s.gpu.driver.nvidia_module_loaded.set(true, "/sys/module/nvidia");
    s.gpu.driver.driver_version.set(driver, "nvidia-smi -q -x");
  }
  if (!gpu.empty()) {
    GpuDeviceFacts d;
    d.index.set(0, "nvidia-smi -q -x");
    d.name.set(gpu, "nvidia-smi -q -x");
    if (!cc.empty()) d.compute_capability.set(cc, "nvidia-smi -q -x");
    s.gpu.devices.set({d}, "nvidia-smi -q -x");
  }
  PythonEnvFacts env;
  env.interpreter = "/venv/bin/python";
  env.found_via = "VIRTUAL_ENV";
  env.python_version.set(python, "/venv/pyvenv.cfg");
  env.packages.set(std::move(packages), "/venv/lib/python3.11/site-packages");
  s.compat.python_envs.set({env}, "VIRTUAL_ENV");
  return s;
}

std::vector<std::string> compat_ids(const Snapshot& s) {
  std::vector<std::string> ids;
  for (const auto& f : run_rules(s)) {
    if (f.id.rfind("COMPAT-", 0) == 0) ids.push_back(f.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

const Finding* find(const std::vector<Finding>& fs, const std::string& id) {
  for (const auto& f : fs) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

using Ids = std::vector<std::string>;

TEST(CompatRules, HealthyStacksAreSilent) {
  EXPECT_EQ(compat_ids(machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.11.0+cu130", "13.0")})),
            Ids{});
  EXPECT_EQ(compat_ids(machine("570.133.07", "NVIDIA GeForce RTX 5090", "12.0", {pkg("torch", "2.8.0+cu128", "12.8")})),
            Ids{});
  EXPECT_EQ(compat_ids(machine("550.54.14", "NVIDIA L4", "8.9",
                               {pkg("torch", "2.5.1", "12.4"), pkg("nvidia-cudnn-cu12", "9.1.0.70"),
                                pkg("onnxruntime-gpu", "1.20.1"), pkg("tensorrt-cu12", "10.7.0.23")})),
            Ids{});
  // No driver, no GPU: nothing to judge against.
  EXPECT_EQ(compat_ids(machine("", "", "", {pkg("torch", "2.8.0+cu128", "12.8")})), Ids{});
}

TEST(CompatRules, DriverTooOldNeedsUpgrade) {
  Snapshot s = machine("550.54.14", "NVIDIA GeForce RTX 4090", "8.9", {pkg("torch", "2.9.0+cu130", "13.0")});
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-DRIVER-TOO-OLD"});
  auto fs = run_rules(s);
  const Finding* f = find(fs, "COMPAT-DRIVER-TOO-OLD");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->severity, Severity::kError);
  EXPECT_NE(f->fix.find("NVIDIA driver 580.65.06 or newer for CUDA 13.0"), std::string::npos) << f->fix;
  // The alternative: the newest torch that runs on 550 with an RTX 4090 (a CUDA 12 wheel).
  EXPECT_NE(f->fix.find("pip install \"torch==2.14.*\" --index-url https://download.pytorch.org/whl/cu126"),
            std::string::npos)
      << f->fix;
  EXPECT_EQ(f->fix.find("cuda-compat"), std::string::npos);
}

TEST(CompatRules, DriverOlderThanTheGpu) {
  Snapshot s = machine("550.54.14", "NVIDIA GeForce RTX 5090", "12.0", {pkg("torch", "2.8.0+cu128", "12.8")});
  auto fs = run_rules(s);
  const Finding* f = find(fs, "COMPAT-DRIVER-PREDATES-GPU");
  ASSERT_TRUE(f);
  EXPECT_NE(f->fix.find("NVIDIA driver 570.26 or newer for CUDA 12.8"), std::string::npos) << f->fix;
  EXPECT_EQ(compat_ids(machine("570.133.07", "NVIDIA GeForce RTX 5090", "12.0", {})), Ids{});
  EXPECT_EQ(compat_ids(machine("520.61.05", "NVIDIA H100 80GB HBM3", "9.0", {})), Ids{});
  EXPECT_EQ(compat_ids(machine("515.65.01", "NVIDIA H100 80GB HBM3", "9.0", {})), Ids{"COMPAT-DRIVER-PREDATES-GPU"});
}

TEST(CompatRules, DatacenterGpuGetsForwardCompatibility) {
  Snapshot s = machine("535.104.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.9.0+cu130", "13.0")});
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-DRIVER-FORWARD-COMPAT"});
  auto f_all = run_rules(s);
  const Finding* f = find(f_all, "COMPAT-DRIVER-FORWARD-COMPAT");
  ASSERT_TRUE(f);
  EXPECT_NE(f->fix.find("sudo apt install cuda-compat-13-0"), std::string::npos) << f->fix;
  EXPECT_NE(f->fix.find("/usr/local/cuda-13.0/compat"), std::string::npos);
}

TEST(CompatRules, MinorVersionCompatibilityIsInfoUnlessPtxJitIsNeeded) {
  Snapshot s = machine("535.104.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.8.0+cu128", "12.8")});
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-DRIVER-MINOR-COMPAT"});
  auto fs = run_rules(s);
  EXPECT_EQ(find(fs, "COMPAT-DRIVER-MINOR-COMPAT")->severity, Severity::kInfo);
  // A GPU the wheel only reaches through PTX (sm_121 with the cu129 wheel's compute_120) cannot JIT on it.
  Snapshot jit = machine("535.104.05", "NVIDIA GB10", "12.1", {pkg("torch", "2.8.0+cu129", "12.9")});
  auto fj = run_rules(jit);
  const Finding* m = find(fj, "COMPAT-DRIVER-MINOR-COMPAT");
  ASSERT_TRUE(m);
  // sm_120 cubins run on 12.1 (same major), so no JIT: still info.
  EXPECT_EQ(m->severity, Severity::kInfo);
}

TEST(CompatRules, ArchMissingFromTheBuild) {
  // sm_120 with a cu126 torch.
  Snapshot s = machine("570.133.07", "NVIDIA GeForce RTX 5090", "12.0", {pkg("torch", "2.7.1+cu126", "12.6")});
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-ARCH-NOT-IN-BUILD"});
  auto f_all = run_rules(s);
  const Finding* f = find(f_all, "COMPAT-ARCH-NOT-IN-BUILD");
  ASSERT_TRUE(f);
  EXPECT_NE(f->fix.find("pip uninstall -y torch && pip install \"torch==2.11.*\" --index-url "
                        "https://download.pytorch.org/whl/cu128"),
            std::string::npos)
      << f->fix;
  // sm_70 with a CUDA 13 build.
  Snapshot v = machine("580.95.05", "Tesla V100-SXM2-16GB", "7.0", {pkg("torch", "2.10.0+cu130", "13.0")});
  EXPECT_EQ(compat_ids(v), Ids{"COMPAT-ARCH-NOT-IN-BUILD"});
  // And the toolkit: nvcc 13.0 cannot build for sm_70.
  Snapshot n = machine("580.95.05", "Tesla V100-SXM2-16GB", "7.0", {});
  n.compat.nvcc_version.set("13.0.48", "nvcc --version");
  EXPECT_EQ(compat_ids(n), Ids{"COMPAT-ARCH-NOT-IN-BUILD"});
  n.compat.nvcc_version.set("12.8.61", "nvcc --version");
  EXPECT_EQ(compat_ids(n), Ids{});
}

TEST(CompatRules, FatbinScanWinsOverTheTable) {
  Snapshot s = machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.11.0+cu130", "13.0")});
  auto& p = (*(*s.compat.python_envs.value)[0].packages.value)[0];
  p.main_cuda_library.set("/venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so", "torch/lib");
  FatbinFacts fb;
  fb.path = *p.main_cuda_library;
  fb.sass_archs.set({"sm_75", "sm_80", "sm_86"}, "fatbin scan");
  fb.ptx_archs.set({"compute_86"}, "fatbin scan");
  s.compat.fatbins.set({fb}, "fatbin scan");
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-ARCH-PTX-JIT"});
  auto f_all = run_rules(s);
  const Finding* f = find(f_all, "COMPAT-ARCH-PTX-JIT");
  ASSERT_TRUE(f);
  EXPECT_NE(f->evidence.back().source.find("fatbin scan of"), std::string::npos);
  (*s.compat.fatbins.value)[0].ptx_archs.set({}, "fatbin scan");
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-ARCH-NOT-IN-BUILD"});
  (*s.compat.fatbins.value)[0].sass_archs.set({"sm_80", "sm_90"}, "fatbin scan");
  EXPECT_EQ(compat_ids(s), Ids{});
}

TEST(CompatRules, CpuOnlyBuildsOnAGpuHost) {
  Snapshot s = machine("550.54.14", "NVIDIA L4", "8.9",
                       {pkg("torch", "2.5.1+cpu"), pkg("tensorflow-cpu", "2.16.1"), pkg("onnxruntime", "1.20.1")});
  auto fs = run_rules(s);
  int n = 0;
  for (const auto& f : fs) n += f.id == "COMPAT-CPU-ONLY-BUILD";
  EXPECT_EQ(n, 3);
  const Finding* f = find(fs, "COMPAT-CPU-ONLY-BUILD");
  EXPECT_NE(f->fix.find("pip uninstall -y torch && pip install \"torch=="), std::string::npos) << f->fix;
  // torch.version.cuda = None says the same without +cpu.
  EXPECT_EQ(compat_ids(machine("550.54.14", "NVIDIA L4", "8.9", {pkg("torch", "2.5.1", "None")})),
            Ids{"COMPAT-CPU-ONLY-BUILD"});
  // Silent without a GPU, and when onnxruntime-gpu is there too.
  EXPECT_EQ(compat_ids(machine("", "", "", {pkg("torch", "2.5.1+cpu")})), Ids{});
  EXPECT_EQ(compat_ids(machine("550.54.14", "NVIDIA L4", "8.9",
                               {pkg("onnxruntime", "1.20.1"), pkg("onnxruntime-gpu", "1.20.1")})),
            Ids{});
}

TEST(CompatRules, CudnnLoadedDiffersFromBuild) {
  Snapshot s = machine("550.54.14", "NVIDIA L4", "8.9", {pkg("torch", "2.5.1+cu124", "12.4")});
  s.compat.process_libraries.set({lib("libcudart", "12.4.127", "/venv/.../libcudart.so.12"),
                                  lib("libcudnn", "8.9.7", "/usr/lib/x86_64-linux-gnu/libcudnn.so.8")},
                                 "/proc/42/maps");
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-CUDNN-MISMATCH"});
  {
    auto all = run_rules(s);
    ASSERT_TRUE(find(all, "COMPAT-CUDNN-MISMATCH"));
    EXPECT_EQ(find(all, "COMPAT-CUDNN-MISMATCH")->severity, Severity::kError);
  }
  (*s.compat.process_libraries.value)[1].version.set("9.1.0", "file name");
  EXPECT_EQ(compat_ids(s), Ids{});
  // Without --pid: the nvidia-cudnn wheel pip installed next to torch.
  Snapshot w = machine("570.133.07", "NVIDIA L4", "8.9",
                       {pkg("torch", "2.8.0+cu128", "12.8"), pkg("nvidia-cudnn-cu12", "9.1.0.70")});
  EXPECT_EQ(compat_ids(w), Ids{"COMPAT-CUDNN-MISMATCH"});
  {
    auto all = run_rules(w);
    ASSERT_TRUE(find(all, "COMPAT-CUDNN-MISMATCH"));
    EXPECT_EQ(find(all, "COMPAT-CUDNN-MISMATCH")->severity, Severity::kWarning);
  }
}

TEST(CompatRules, TwoCudaRuntimesInOneProcess) {
  Snapshot s = machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.11.0+cu130", "13.0")});
  s.compat.process_libraries.set({lib("libcudart", "13.0.96", "/venv/nvidia/cu13/lib/libcudart.so.13"),
                                  lib("libcudart", "12.4.127", "/opt/ort/lib/libcudart.so.12")},
                                 "/proc/42/maps");
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-MULTIPLE-CUDA-RUNTIMES"});
  {
    auto all = run_rules(s);
    ASSERT_TRUE(find(all, "COMPAT-MULTIPLE-CUDA-RUNTIMES"));
    EXPECT_EQ(find(all, "COMPAT-MULTIPLE-CUDA-RUNTIMES")->severity, Severity::kError);
  }
  s.compat.process_libraries.value->pop_back();
  EXPECT_EQ(compat_ids(s), Ids{});
}

TEST(CompatRules, OutsideTestedConfigurations) {
  // TensorFlow 2.16 is tested with CUDA 12.3; a CUDA 11 build of it is outside that.
  Snapshot tf = machine("550.54.14", "NVIDIA L4", "8.9", {pkg("tensorflow", "2.16.1", "11.8", "8.9")});
  EXPECT_EQ(compat_ids(tf), Ids{"COMPAT-UNTESTED-CONFIG"});
  // onnxruntime-gpu 1.20 (CUDA 12, cuDNN 9) with a cuDNN 8 wheel.
  Snapshot ort = machine("550.54.14", "NVIDIA L4", "8.9",
                         {pkg("onnxruntime-gpu", "1.20.1"), pkg("nvidia-cudnn-cu12", "8.9.2.26")});
  EXPECT_EQ(compat_ids(ort), Ids{"COMPAT-UNTESTED-CONFIG"});
  // TensorRT 10.13.3 is offered for CUDA 12.9 and 13.0, not 11.
  Snapshot trt = machine("550.54.14", "NVIDIA L4", "8.9", {pkg("tensorrt", "10.13.3.9", "11.8")});
  EXPECT_EQ(compat_ids(trt), Ids{"COMPAT-UNTESTED-CONFIG"});
  EXPECT_EQ(compat_ids(machine("550.54.14", "NVIDIA L4", "8.9", {pkg("tensorrt", "10.13.3.9", "12.9")})),
            Ids{"COMPAT-DRIVER-MINOR-COMPAT"});
}

TEST(CompatRules, PythonOutsideTheWheelsRange) {
  Snapshot s = machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.11.0+cu130", "13.0")}, "3.9.18");
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-PYTHON-UNSUPPORTED"});
  auto f_all = run_rules(s);
  const Finding* f = find(f_all, "COMPAT-PYTHON-UNSUPPORTED");
  EXPECT_NE(f->fix.find("torch==2.8.*"), std::string::npos) << f->fix;
  EXPECT_EQ(compat_ids(
                machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.11.0+cu130", "13.0")}, "3.14.0")),
            Ids{});
  // Debian's python3-torch (a distribution build, in /usr/lib/python3/dist-packages) is built for the system
  // Python, whatever the wheels support; so is a source build.
  PythonPackageFacts debian = pkg("torch", "1.13.0a0+gitunknown");
  debian.dist_info = "/usr/lib/python3/dist-packages/torch-1.13.0a0+gitunknown.egg-info";
  debian.cuda_version.set("", "torch/version.py");  // Debian's build is CPU-only
  EXPECT_EQ(compat_ids(machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {debian}, "3.11.2")),
            Ids{"COMPAT-CPU-ONLY-BUILD"});
  PythonPackageFacts wheel = pkg("torch", "1.13.1+cu117", "11.7");
  Ids wheel_ids = compat_ids(machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {wheel}, "3.11.2"));
  EXPECT_EQ(std::count(wheel_ids.begin(), wheel_ids.end(), "COMPAT-PYTHON-UNSUPPORTED"), 1);
}

TEST(CompatRules, CudaHomeAndLibraryPathPointingElsewhere) {
  Snapshot s = machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.11.0+cu130", "13.0")});
  s.compat.cuda_home.set("/usr/local/cuda-12.1", "env CUDA_HOME");
  s.compat.ld_library_path.set("/usr/local/cuda-11.8/lib64:/opt/x/lib", "env LD_LIBRARY_PATH");
  EXPECT_EQ(compat_ids(s), Ids{"COMPAT-CUDA-PATH-MISMATCH"});
  auto f_all = run_rules(s);
  const Finding* f = find(f_all, "COMPAT-CUDA-PATH-MISMATCH");
  EXPECT_EQ(f->evidence.size(), 3u);
  s.compat.cuda_home.set("/usr/local/cuda-13.0", "env CUDA_HOME");
  s.compat.ld_library_path.set("/usr/local/cuda/lib64", "env LD_LIBRARY_PATH");
  EXPECT_EQ(compat_ids(s), Ids{});
}

TEST(CompatRules, EveryCompatRuleFiresWithEvidenceFixAndDocs) {
  std::vector<Snapshot> stacks = {
      machine("550.54.14", "NVIDIA GeForce RTX 5090", "12.0", {}),
      machine("550.54.14", "NVIDIA GeForce RTX 4090", "8.9", {pkg("torch", "2.9.0+cu130", "13.0")}),
      machine("535.104.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.9.0+cu130", "13.0")}),
      machine("535.104.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.8.0+cu128", "12.8")}, "3.8.10"),
      machine("570.133.07", "NVIDIA GeForce RTX 5090", "12.0", {pkg("torch", "2.7.1+cu126", "12.6")}),
      machine("550.54.14", "NVIDIA L4", "8.9", {pkg("torch", "2.5.1+cpu"), pkg("tensorflow", "2.16.1", "11.8")}),
      machine("570.133.07", "NVIDIA L4", "8.9",
              {pkg("torch", "2.8.0+cu128", "12.8"), pkg("nvidia-cudnn-cu12", "8.9.2.26")}),
  };
  Snapshot jit = machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {});
  jit.compat.process_libraries.set(
      {lib("libcudart", "13.0.96", "/a/libcudart.so.13"), lib("libcudart", "12.4.127", "/b/libcudart.so.12")},
      "/proc/42/maps");
  jit.compat.cuda_home.set("/usr/local/cuda-11.8", "env CUDA_HOME");
  stacks.push_back(jit);
  Snapshot ptx = machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.11.0+cu130", "13.0")});
  auto& p = (*(*ptx.compat.python_envs.value)[0].packages.value)[0];
  p.main_cuda_library.set("/t/libtorch_cuda.so", "torch/lib");
  FatbinFacts fb;
  fb.path = "/t/libtorch_cuda.so";
  fb.sass_archs.set({"sm_80"}, "fatbin scan");
  fb.ptx_archs.set({"compute_80"}, "fatbin scan");
  ptx.compat.fatbins.set({fb}, "fatbin scan");
  ptx.compat.cuda_home.set("/usr/local/cuda-12.4", "env CUDA_HOME");
  stacks.push_back(ptx);
  stacks.push_back(machine("550.54.14", "NVIDIA L4", "8.9", {pkg("tensorrt", "10.13.3.9", "11.8")}));

  std::set<std::string> fired;
  for (const auto& s : stacks) {
    for (const auto& f : run_rules(s)) {
      if (f.id.rfind("COMPAT-", 0) != 0) continue;
      fired.insert(f.id);
      EXPECT_FALSE(f.title.empty()) << f.id;
      EXPECT_EQ(f.title.find('\n'), std::string::npos) << f.id;
      EXPECT_FALSE(f.evidence.empty()) << f.id;
      EXPECT_FALSE(f.fix.empty()) << f.id;
      EXPECT_FALSE(f.impact.empty()) << f.id;
      EXPECT_EQ(f.docs_url(), "docs/findings.md#" + str::to_lower(f.id));
    }
  }
  for (const auto& r : compat_rules()) EXPECT_TRUE(fired.count(r.id)) << r.id << " never fired";
}

// --- JSON snapshot fixtures -------------------------------------------------------------------------------------

struct Fixture {
  const char* name;
  Snapshot (*build)();
  Ids expected;
};

Snapshot fx_healthy() {
  Snapshot s = machine("580.95.05", "NVIDIA H100 80GB HBM3", "9.0",
                       {pkg("torch", "2.11.0+cu130", "13.0"), pkg("nvidia-cudnn-cu13", "9.17.1.4")}, "3.12.3");
  s.compat.nvcc_version.set("13.0.48", "nvcc --version");
  return s;
}
Snapshot fx_old_driver() {
  return machine("535.104.05", "NVIDIA H100 80GB HBM3", "9.0", {pkg("torch", "2.9.0+cu130", "13.0")}, "3.11.9");
}
Snapshot fx_cpu_torch() {
  return machine("550.54.14", "NVIDIA L4", "8.9", {pkg("torch", "2.5.1+cpu", "None")}, "3.11.9");
}
Snapshot fx_blackwell_cu126() {
  return machine("570.133.07", "NVIDIA GeForce RTX 5090", "12.0", {pkg("torch", "2.7.1+cu126", "12.6")}, "3.12.3");
}

const Fixture kFixtures[] = {
    {"healthy-h100-cu130", fx_healthy, {}},
    {"old-driver-h100-cu130", fx_old_driver, {"COMPAT-DRIVER-FORWARD-COMPAT"}},
    {"cpu-torch-l4", fx_cpu_torch, {"COMPAT-CPU-ONLY-BUILD"}},
    {"rtx5090-cu126", fx_blackwell_cu126, {"COMPAT-ARCH-NOT-IN-BUILD"}},
};

TEST(CompatFixtures, SnapshotFilesJudgeAsExpected) {
  bool update = std::getenv("INFERTUNE_UPDATE_GOLDEN") != nullptr;
  for (const auto& fx : kFixtures) {
    std::string path = test::data_path(std::string("compat-snapshots/") + fx.name + ".json");
    if (update) test::write_text(path, json_text(snapshot_to_json(fx.build())) + "\n");
    auto s = load_snapshot_file(path);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(compat_ids(*s), fx.expected) << fx.name;
    // The compat report renders the same goldens every time.
    Report r = cli::compat_report(*s, std::string("snapshot tests/data/compat-snapshots/") + fx.name + ".json");
    r.tool_version = "0.0.0+golden";
    RenderOptions plain;
    EXPECT_EQ(test::golden_diff(std::string("compat-") + fx.name + ".txt", render_text(r, plain)), "");
    EXPECT_EQ(test::golden_diff(std::string("compat-") + fx.name + ".md", render_markdown(r, plain)), "");
    EXPECT_EQ(test::golden_diff(std::string("compat-") + fx.name + ".json", json_text(report_to_json(r))), "");
  }
}

}  // namespace
}  // namespace infertune
