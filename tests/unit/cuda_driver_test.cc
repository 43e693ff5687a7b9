// CUDA driver API probe run against the fake libcuda (tests/fakes), in-process.

#include "collect/cuda_driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "rules/rule.h"

namespace infertune {
namespace {

struct Probe {
  CudaDriverApiFacts cuda;
  std::vector<std::string> notes;
  double seconds = 0;
};

Probe probe(const std::string& prof, double timeout_s = 5.0, const char* visible = nullptr) {
  setenv("INFERTUNE_FAKE_GPU_PROFILE", (std::string(INFERTUNE_FAKE_PROFILES) + "/" + prof + ".json").c_str(), 1);
  if (visible) {
    setenv("CUDA_VISIBLE_DEVICES", visible, 1);
  } else {
    unsetenv("CUDA_VISIBLE_DEVICES");
  }
  GpuProbeOptions o;
  o.cuda_library = INFERTUNE_FAKE_CUDA;
  o.timeout_s = timeout_s;
  Probe p;
  auto t0 = std::chrono::steady_clock::now();
  collect_cuda_driver(o, p.cuda, p.notes);
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  unsetenv("CUDA_VISIBLE_DEVICES");
  return p;
}

const Finding* find(const std::vector<Finding>&& fs, const std::string& id) = delete;  // would dangle
const Finding* find(const std::vector<Finding>& fs, const std::string& id) {
  auto it = std::find_if(fs.begin(), fs.end(), [&](const Finding& f) { return f.id == id; });
  return it == fs.end() ? nullptr : &*it;
}

bool fires(const Snapshot& s, const std::string& id) {
  auto fs = run_rules(s);
  return find(fs, id) != nullptr;
}

TEST(CudaDriver, ErrorNames) {
  EXPECT_EQ(cuda_error_name(100), "CUDA_ERROR_NO_DEVICE");
  EXPECT_EQ(cuda_error_name(804), "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE");
  EXPECT_EQ(cuda_error_name(12345), "CUDA_ERROR_12345");
}

TEST(CudaDriver, HealthyH100) {
  Probe p = probe("h100");
  const auto& c = p.cuda;
  EXPECT_EQ(c.init_result.value_or(-1), 0);
  EXPECT_EQ(c.library_version.value_or(""), "550.54.15");
  EXPECT_FALSE(c.init_error_name.known());
  EXPECT_EQ(c.driver_api_version.value_or(""), "12.4");
  EXPECT_EQ(c.device_count.value_or(0), 1);
  ASSERT_TRUE(c.devices);
  ASSERT_EQ(c.devices->size(), 1u);
  const auto& d = c.devices->front();
  EXPECT_EQ(d.name.value_or(""), "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(d.compute_capability.value_or(""), "9.0");
  EXPECT_EQ(d.memory_total_bytes.value_or(0), 85520809984);
  EXPECT_EQ(d.pci_bus_id.value_or(""), "0000:1b:00.0");
  EXPECT_EQ(d.uuid.value_or(""), "GPU-4f1e2d3c-5b6a-7980-a1b2-c3d4e5f60718");
  EXPECT_EQ(d.multiprocessor_count.value_or(0), 132);
  ASSERT_TRUE(c.timed_out);
  EXPECT_TRUE(c.timed_out->empty());
  Snapshot s;
  s.gpu.cuda = c;
  EXPECT_FALSE(fires(s, "GPU-CUINIT-FAILED"));
  // libcuda's file version against the kernel module's: a container shipping its own libcuda.
  s.gpu.driver.kernel_module_version.set("550.54.15", "/proc/driver/nvidia/version");
  EXPECT_FALSE(fires(s, "GPU-DRIVER-LIB-MISMATCH"));
  s.gpu.driver.kernel_module_version.set("535.104.05", "/proc/driver/nvidia/version");
  auto fs = run_rules(s);  // the findings must outlive the pointer into them
  const Finding* f = find(fs, "GPU-DRIVER-LIB-MISMATCH");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->evidence.front().fact, "CUDA driver library (libcuda) file version");
}

TEST(CudaDriver, VisibleDevicesSelectAndHide) {
  Probe two = probe("a100_mig", 5.0, "0,3");
  EXPECT_EQ(two.cuda.device_count.value_or(0), 2);
  Probe none = probe("a100_mig", 5.0, "-1");
  EXPECT_EQ(none.cuda.init_result.value_or(0), 100);
  EXPECT_EQ(none.cuda.init_error_name.value_or(""), "CUDA_ERROR_NO_DEVICE");
  Snapshot s;
  s.gpu.cuda = none.cuda;
  s.process.env.set({{"CUDA_VISIBLE_DEVICES", "-1"}}, "/proc/self/environ");
  auto fs = run_rules(s);
  const Finding* f = find(fs, "GPU-CUINIT-FAILED");
  ASSERT_NE(f, nullptr);
  bool env = false, meaning = false;
  for (const auto& e : f->evidence) {
    env |= e.fact == "CUDA_VISIBLE_DEVICES" && e.value == "-1";
    meaning |= e.fact == "what it means" && e.value.find("no CUDA-capable GPU") != std::string::npos;
  }
  EXPECT_TRUE(env);
  EXPECT_TRUE(meaning);
  EXPECT_NE(f->fix.find("CUDA_VISIBLE_DEVICES"), std::string::npos);
}

TEST(CudaDriver, InitFailureCarriesNameMeaningAndFix) {
  Probe p = probe("mismatch");
  EXPECT_EQ(p.cuda.init_result.value_or(0), 803);
  EXPECT_EQ(p.cuda.init_error_name.value_or(""), "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH");
  EXPECT_EQ(p.cuda.init_error_name.source, "CUDA cuGetErrorName");
  EXPECT_NE(p.cuda.init_error_string.value_or("").find("unsupported display driver"), std::string::npos);
  EXPECT_FALSE(p.cuda.devices.known());
  Snapshot s;
  s.gpu.cuda = p.cuda;
  auto fs = run_rules(s);
  const Finding* f = find(fs, "GPU-CUINIT-FAILED");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->title.find("CUDA_ERROR_SYSTEM_DRIVER_MISMATCH (803)"), std::string::npos);
  EXPECT_NE(f->fix.find("reboot"), std::string::npos);
  // A code the fake cannot name comes out of the built-in table.
  s.gpu.cuda.init_result.set(804, "CUDA cuInit(0)");
  s.gpu.cuda.init_error_name.set(cuda_error_name(804), "table");
  auto fs2 = run_rules(s);
  f = find(fs2, "GPU-CUINIT-FAILED");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->fix.find("compat"), std::string::npos);
}

TEST(CudaDriver, BlockingCuInitTimesOut) {
  Probe p = probe("cuda_blocking", 0.2);
  EXPECT_LT(p.seconds, 2.0);
  ASSERT_TRUE(p.cuda.timed_out);
  ASSERT_EQ(p.cuda.timed_out->size(), 1u);
  EXPECT_EQ(p.cuda.timed_out->front(), "cuInit did not answer in 0.2 s");
  EXPECT_FALSE(p.cuda.init_result.known());
  Snapshot s;
  s.gpu.cuda = p.cuda;
  auto fs = run_rules(s);
  ASSERT_NE(find(fs, "GPU-PROBE-TIMEOUT"), nullptr);
  EXPECT_EQ(find(fs, "GPU-CUINIT-FAILED"), nullptr);
}

TEST(CudaDriver, MissingLibraryIsSaidPlainly) {
  CudaDriverApiFacts c;
  std::vector<std::string> notes;
  GpuProbeOptions o;
  o.cuda_library = "/nonexistent-dir/libcuda.so.1";
  collect_cuda_driver(o, c, notes);
  EXPECT_FALSE(c.library.known());
  EXPECT_NE(c.init_result.unknown_why.find("no CUDA driver library"), std::string::npos);
  ASSERT_EQ(notes.size(), 1u);
}

}  // namespace
}  // namespace infertune
