// NVML loader and collector run against the fake libnvidia-ml (tests/fakes), in-process, for each profile.

#include "collect/nvml.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "base/deadline.h"
#include "base/dynamic_library.h"
#include "facts/snapshot_json.h"
#include "rules/rule.h"
#include "test_support.h"

namespace infertune {
namespace {

std::string profile(const std::string& name) { return std::string(INFERTUNE_FAKE_PROFILES) + "/" + name + ".json"; }

struct Probe {
  GpuFacts gpu;
  std::vector<std::string> notes;
  double seconds = 0;
};

Probe probe(const std::string& prof, const std::string& lib = INFERTUNE_FAKE_NVML, double timeout_s = 5.0) {
  setenv("INFERTUNE_FAKE_GPU_PROFILE", profile(prof).c_str(), 1);
  GpuProbeOptions o;
  o.nvml_library = lib;
  o.timeout_s = timeout_s;
  Probe p;
  auto t0 = std::chrono::steady_clock::now();
  collect_nvml(o, p.gpu, p.notes);
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return p;
}

std::vector<std::string> ids(const Snapshot& s) {
  std::vector<std::string> out;
  for (const auto& f : run_rules(s)) out.push_back(f.id);
  return out;
}
bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(NvmlPure, BusIdClockReasonsVersions) {
  EXPECT_EQ(nvml_bus_id_to_sysfs("00000000:3B:00.0"), "0000:3b:00.0");
  EXPECT_EQ(nvml_bus_id_to_sysfs("0000:3B:00.0"), "0000:3b:00.0");
  EXPECT_EQ(nvml_bus_id_to_sysfs("00000001:C1:00.0"), "0001:c1:00.0");
  EXPECT_EQ(decode_clock_event_reasons(0), std::vector<std::string>{});
  EXPECT_EQ(decode_clock_event_reasons(0x4 | 0x1), (std::vector<std::string>{"gpu_idle", "sw_power_cap"}));
  EXPECT_EQ(decode_clock_event_reasons(0x40 | 0x80 | 0x8),
            (std::vector<std::string>{"hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown"}));
  EXPECT_EQ(cuda_version_string(12040), "12.4");
  EXPECT_EQ(cuda_version_string(11080), "11.8");
  EXPECT_EQ(cuda_version_string(12100), "12.10");
  EXPECT_EQ(library_file_version("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.54.03"), "535.54.03");
  EXPECT_EQ(library_file_version("libcuda.so.1"), "1");
  EXPECT_EQ(library_file_version("/usr/local/cuda/lib64/stubs/libnvidia-ml.so"), "");
  EXPECT_TRUE(is_stub_library_path("/usr/local/cuda/lib64/stubs/libnvidia-ml.so"));
  EXPECT_FALSE(is_stub_library_path("/usr/lib/stubsx/libnvidia-ml.so.1"));
}

TEST(Nvml, HealthyH100FillsEveryDeviceFact) {
  Probe p = probe("h100");
  const auto& g = p.gpu;
  EXPECT_EQ(g.nvml.init_result.value_or(""), "NVML_SUCCESS");
  EXPECT_EQ(g.nvml.library_version.value_or(""), "550.54.15");
  ASSERT_TRUE(g.nvml.missing_symbols);
  EXPECT_TRUE(g.nvml.missing_symbols->empty());
  EXPECT_EQ(g.driver.driver_version.value_or(""), "550.54.15");
  EXPECT_EQ(g.driver.driver_version.source, "NVML nvmlSystemGetDriverVersion");
  EXPECT_EQ(g.driver.nvml_version.value_or(""), "12.550.54.15");
  EXPECT_EQ(g.driver.cuda_driver_version.value_or(""), "12.4");
  ASSERT_TRUE(g.devices);
  ASSERT_EQ(g.devices->size(), 1u);
  const auto& d = g.devices->front();
  EXPECT_EQ(d.name.value_or(""), "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(d.uuid.value_or(""), "GPU-4f1e2d3c-5b6a-7980-a1b2-c3d4e5f60718");
  EXPECT_EQ(d.pci_bus_id.value_or(""), "0000:1b:00.0");
  EXPECT_EQ(d.pci_bus_id.source, "NVML nvmlDeviceGetPciInfo_v3");
  EXPECT_EQ(d.serial.value_or(""), "1654023012345");
  EXPECT_EQ(d.vbios_version.value_or(""), "96.00.89.00.01");
  EXPECT_EQ(d.compute_capability.value_or(""), "9.0");
  EXPECT_EQ(d.memory_total_bytes.value_or(0), 85520809984);
  EXPECT_EQ(d.memory_used_bytes.value_or(0), 61203283968);
  EXPECT_EQ(d.memory_free_bytes.value_or(0), 85520809984 - 565182464 - 61203283968);  // v2 excludes reserved
  EXPECT_EQ(d.memory_total_bytes.source, "NVML nvmlDeviceGetMemoryInfo_v2");
  EXPECT_EQ(d.utilization_gpu_pct.value_or(-1), 87);
  EXPECT_EQ(d.utilization_memory_pct.value_or(-1), 41);
  EXPECT_EQ(d.encoder_utilization_pct.value_or(-1), 0);
  EXPECT_EQ(d.temperature_c.value_or(0), 54);
  EXPECT_EQ(d.power_draw_mw.value_or(0), 512340);
  EXPECT_EQ(d.power_limit_mw.value_or(0), 700000);
  EXPECT_EQ(d.sm_clock_mhz.value_or(0), 1980);
  EXPECT_EQ(d.mem_clock_max_mhz.value_or(0), 2619);
  EXPECT_EQ(d.pcie_gen_current.value_or(0), 5);
  EXPECT_EQ(d.pcie_width_max.value_or(0), 16);
  EXPECT_EQ(d.pcie_rx_bytes_per_s.value_or(0), 1048576LL * 1024);
  ASSERT_TRUE(d.clock_event_reasons);
  EXPECT_TRUE(d.clock_event_reasons->empty());
  EXPECT_EQ(d.clock_event_reasons.source, "NVML nvmlDeviceGetCurrentClocksEventReasons");
  EXPECT_TRUE(d.persistence_mode.value_or(false));
  EXPECT_EQ(d.compute_mode.value_or(""), "Default");
  EXPECT_FALSE(d.mig_mode.value_or(true));
  EXPECT_FALSE(d.mig_devices.known());
  EXPECT_TRUE(d.ecc_mode.value_or(false));
  EXPECT_EQ(d.ecc_volatile_uncorrectable.value_or(-1), 0);
  EXPECT_FALSE(d.retired_pages_pending.value_or(true));
  EXPECT_FALSE(d.remapped_rows_failure.value_or(true));
  ASSERT_TRUE(d.processes);
  ASSERT_EQ(d.processes->size(), 1u);
  const auto& pr = d.processes->front();
  EXPECT_EQ(pr.pid, 4242);
  EXPECT_EQ(pr.name, "python3");
  EXPECT_EQ(pr.type, "compute");
  EXPECT_EQ(pr.used_memory_bytes.value_or(0), 60129542144);
  EXPECT_EQ(pr.used_memory_bytes.source, "NVML nvmlDeviceGetComputeRunningProcesses_v3");
  EXPECT_EQ(pr.sm_utilization_pct.value_or(-1), 85);
  EXPECT_EQ(pr.memory_utilization_pct.value_or(-1), 40);
  ASSERT_TRUE(g.nvml.timed_out);
  EXPECT_TRUE(g.nvml.timed_out->empty());
  EXPECT_TRUE(p.notes.empty());

  Snapshot s;
  s.gpu = g;
  s.gpu.driver.kernel_module_version.set("550.54.15", "/proc/driver/nvidia/version");
  auto found = ids(s);
  for (const char* id : {"GPU-DRIVER-LIB-MISMATCH", "GPU-CUINIT-FAILED", "GPU-PROBE-TIMEOUT", "GPU-LOST",
                         "GPU-CLOCKS-THROTTLED", "GPU-PERSISTENCE-OFF", "GPU-MEMORY-NEARLY-FULL"}) {
    EXPECT_FALSE(has(found, id)) << id;
  }
  // The NVML-filled snapshot survives the JSON round trip.
  auto back = snapshot_from_text(snapshot_to_json(s).dump(), "mem");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_TRUE(back->gpu.devices);
  EXPECT_EQ(back->gpu.devices->front().pcie_rx_bytes_per_s.value_or(0), 1048576LL * 1024);
  EXPECT_EQ(back->gpu.devices->front().processes->front().sm_utilization_pct.value_or(0), 85);
  EXPECT_EQ(back->gpu.nvml.library_version.value_or(""), "550.54.15");
}

TEST(Nvml, LibraryFileVersionAgainstKernelModule) {
  Probe p = probe("h100");
  Snapshot s;
  s.gpu = p.gpu;
  s.gpu.driver.kernel_module_version.set("535.54.03", "/proc/driver/nvidia/version");
  auto fs = run_rules(s);
  auto it = std::find_if(fs.begin(), fs.end(), [](const Finding& f) { return f.id == "GPU-DRIVER-LIB-MISMATCH"; });
  ASSERT_NE(it, fs.end());
  EXPECT_EQ(it->severity, Severity::kError);
  bool lib = false, mod = false;
  for (const auto& e : it->evidence) {
    lib |= e.value == "550.54.15";
    mod |= e.value == "535.54.03";
  }
  EXPECT_TRUE(lib && mod);
  s.gpu.driver.kernel_module_version.set("550.54.15", "/proc/driver/nvidia/version");
  EXPECT_FALSE(has(ids(s), "GPU-DRIVER-LIB-MISMATCH"));
}

TEST(Nvml, EightA100WithMig) {
  Probe p = probe("a100_mig");
  ASSERT_TRUE(p.gpu.devices);
  ASSERT_EQ(p.gpu.devices->size(), 8u);
  std::set<std::string> uuids, buses;
  for (const auto& d : *p.gpu.devices) {
    uuids.insert(d.uuid.value_or(""));
    buses.insert(d.pci_bus_id.value_or(""));
    EXPECT_TRUE(d.mig_mode.value_or(false));
    ASSERT_TRUE(d.mig_devices) << d.mig_devices.unknown_why;
    ASSERT_EQ(d.mig_devices->size(), 2u);
    EXPECT_EQ((*d.mig_devices)[0].uuid.value_or(""), "MIG-11111111-2222-3333-4444-555555555555");
    EXPECT_EQ((*d.mig_devices)[1].gpu_instance_id.value_or(0), 2);
    EXPECT_EQ((*d.mig_devices)[1].memory_total_bytes.value_or(0), 42949672960);
    ASSERT_TRUE(d.processes);
    ASSERT_EQ(d.processes->size(), 1u);
    // MIG without privileges: NVML reports the memory as not available.
    EXPECT_FALSE(d.processes->front().used_memory_bytes.known());
    EXPECT_NE(d.processes->front().used_memory_bytes.unknown_why.find("not available"), std::string::npos);
  }
  EXPECT_EQ(uuids.size(), 8u);
  EXPECT_EQ(buses.size(), 8u);
  EXPECT_TRUE(buses.count("0000:07:00.0"));
  EXPECT_EQ(p.gpu.driver.cuda_driver_version.value_or(""), "12.2");
}

TEST(Nvml, T4HeldDownByPowerCapFiresTheThrottleRule) {
  Probe p = probe("t4_power_cap");
  ASSERT_TRUE(p.gpu.devices);
  const auto& d = p.gpu.devices->front();
  EXPECT_EQ(d.clock_event_reasons.value_or({}), std::vector<std::string>{"sw_power_cap"});
  Snapshot s;
  s.gpu = p.gpu;
  auto fs = run_rules(s);
  auto it = std::find_if(fs.begin(), fs.end(), [](const Finding& f) { return f.id == "GPU-CLOCKS-THROTTLED"; });
  ASSERT_NE(it, fs.end());
  EXPECT_EQ(it->evidence.front().value, "sw_power_cap");
  EXPECT_EQ(it->evidence.front().source, "NVML nvmlDeviceGetCurrentClocksEventReasons");
  EXPECT_TRUE(has(ids(s), "GPU-PERSISTENCE-OFF"));
  // The same GPU idle: no throttle alarm.
  (*s.gpu.devices.value)[0].utilization_gpu_pct.set(0, "NVML");
  EXPECT_FALSE(has(ids(s), "GPU-CLOCKS-THROTTLED"));
}

TEST(Nvml, OldDriverWithoutV3SymbolsFallsBack) {
  Probe p = probe("old_driver", INFERTUNE_FAKE_NVML_OLD);
  EXPECT_EQ(p.gpu.nvml.library_version.value_or(""), "418.67");
  ASSERT_TRUE(p.gpu.nvml.missing_symbols);
  const auto& miss = *p.gpu.nvml.missing_symbols;
  EXPECT_TRUE(has(miss, "nvmlDeviceGetMemoryInfo_v2"));
  EXPECT_TRUE(has(miss, "nvmlDeviceGetRemappedRows"));
  EXPECT_TRUE(has(miss, "nvmlDeviceGetMigMode"));
  ASSERT_TRUE(p.gpu.devices);
  const auto& d = p.gpu.devices->front();
  EXPECT_EQ(d.memory_total_bytes.value_or(0), 16945512448);
  EXPECT_EQ(d.memory_total_bytes.source, "NVML nvmlDeviceGetMemoryInfo");
  EXPECT_EQ(d.pci_bus_id.source, "NVML nvmlDeviceGetPciInfo_v2");
  EXPECT_EQ(d.clock_event_reasons.source, "NVML nvmlDeviceGetCurrentClocksThrottleReasons");
  EXPECT_FALSE(d.remapped_rows_pending.known());
  EXPECT_NE(d.remapped_rows_pending.unknown_why.find("not in this NVML library"), std::string::npos);
  EXPECT_FALSE(d.mig_mode.known());
  EXPECT_EQ(p.gpu.driver.cuda_driver_version.source, "NVML nvmlSystemGetCudaDriverVersion");
  ASSERT_TRUE(d.processes);
  EXPECT_EQ(d.processes->front().used_memory_bytes.value_or(0), 4200000000);
  EXPECT_EQ(d.processes->front().used_memory_bytes.source, "NVML nvmlDeviceGetComputeRunningProcesses_v2");
}

TEST(Nvml, LibraryDriverMismatchIsItsOwnFindingNotNoGpu) {
  Probe p = probe("mismatch");
  EXPECT_EQ(p.gpu.nvml.init_result.value_or(""), "NVML_ERROR_LIB_RM_VERSION_MISMATCH");
  EXPECT_EQ(p.gpu.nvml.init_error.value_or(""), "RM has detected an NVML/RM version mismatch.");
  EXPECT_FALSE(p.gpu.devices.known());
  EXPECT_NE(p.gpu.devices.unknown_why.find("NVML_ERROR_LIB_RM_VERSION_MISMATCH"), std::string::npos);
  Snapshot s;
  s.gpu = p.gpu;
  PciDeviceFacts pci;
  pci.address = "0000:3b:00.0";
  pci.driver = "nvidia";
  s.gpu.nvidia_pci_devices.set({pci}, "/sys/bus/pci/devices");
  auto found = ids(s);
  EXPECT_TRUE(has(found, "GPU-DRIVER-LIB-MISMATCH"));
  EXPECT_FALSE(has(found, "GPU-NONE-VISIBLE"));
}

TEST(Nvml, GpuLostInTheMiddleOfTheRun) {
  Probe p = probe("gpu_lost");
  ASSERT_TRUE(p.gpu.devices);
  ASSERT_EQ(p.gpu.devices->size(), 2u);
  const auto& ok = (*p.gpu.devices)[0];
  const auto& lost = (*p.gpu.devices)[1];
  EXPECT_EQ(ok.power_draw_mw.value_or(0), 70000);
  EXPECT_TRUE(lost.name.known());  // answered before it was lost
  EXPECT_FALSE(lost.power_draw_mw.known());
  EXPECT_FALSE(lost.power_limit_mw.known());
  EXPECT_NE(lost.power_limit_mw.unknown_why.find("lost"), std::string::npos);
  ASSERT_TRUE(p.gpu.nvml.gpu_lost);
  ASSERT_EQ(p.gpu.nvml.gpu_lost->size(), 1u);
  EXPECT_EQ(p.gpu.nvml.gpu_lost->front(), "GPU 1: nvmlDeviceGetPowerUsage returned NVML_ERROR_GPU_IS_LOST");
  Snapshot s;
  s.gpu = p.gpu;
  EXPECT_TRUE(has(ids(s), "GPU-LOST"));
  Probe healthy = probe("h100");
  s.gpu = healthy.gpu;
  EXPECT_FALSE(has(ids(s), "GPU-LOST"));
}

TEST(Nvml, BlockingCallIsAbandonedAtTheDeadlineAndTheProbeStillReports) {
  Probe p = probe("blocking", INFERTUNE_FAKE_NVML, 0.2);
  EXPECT_LT(p.seconds, 2.0);  // the fake sleeps 3 s
  ASSERT_TRUE(p.gpu.nvml.timed_out);
  ASSERT_EQ(p.gpu.nvml.timed_out->size(), 1u);
  EXPECT_EQ(p.gpu.nvml.timed_out->front(), "nvmlDeviceGetHandleByIndex_v2 did not answer in 0.2 s");
  ASSERT_TRUE(p.gpu.devices.known());  // the count was read; the stuck GPU is listed with the reason
  ASSERT_EQ(p.gpu.devices->size(), 1u);
  EXPECT_EQ(p.gpu.devices->front().name.unknown_why, "nvmlDeviceGetHandleByIndex_v2 did not answer in 0.2 s");
  EXPECT_TRUE(p.gpu.driver.driver_version.known());
  bool noted = false;
  for (const auto& n : p.notes) noted |= n.find("did not answer in 0.2 s") != std::string::npos;
  EXPECT_TRUE(noted);
  Snapshot s;
  s.gpu = p.gpu;
  auto fs = run_rules(s);
  auto it = std::find_if(fs.begin(), fs.end(), [](const Finding& f) { return f.id == "GPU-PROBE-TIMEOUT"; });
  ASSERT_NE(it, fs.end());
  EXPECT_NE(it->title.find("nvmlDeviceGetHandleByIndex_v2 did not answer in 0.2 s"), std::string::npos);
  // A later probe works while the abandoned call is still asleep inside the fake.
  Probe again = probe("h100");
  ASSERT_TRUE(again.gpu.devices);
  EXPECT_EQ(again.gpu.devices->size(), 1u);
  s.gpu = again.gpu;
  EXPECT_FALSE(has(ids(s), "GPU-PROBE-TIMEOUT"));
}

TEST(Nvml, RefusesTheToolkitStubAndSaysWhereItLooked) {
  test::TempRoot tmp;
  tmp.mkdir("cuda/lib64/stubs");
  std::string stub = tmp.path() + "/cuda/lib64/stubs/libnvidia-ml.so";
  std::filesystem::copy_file(INFERTUNE_FAKE_NVML, stub);
  Probe p = probe("h100", stub);
  EXPECT_FALSE(p.gpu.nvml.library.known());
  EXPECT_NE(p.gpu.nvml.library.unknown_why.find("stub"), std::string::npos);
  EXPECT_FALSE(p.gpu.devices.known());
  EXPECT_NE(p.gpu.devices.unknown_why.find("no NVML library"), std::string::npos);

  Probe none = probe("h100", tmp.path() + "/nowhere/libnvidia-ml.so.1");
  EXPECT_FALSE(none.gpu.devices.known());
  EXPECT_NE(none.gpu.nvml.library.unknown_why.find("cannot load"), std::string::npos);
  ASSERT_EQ(none.notes.size(), 1u);
  EXPECT_NE(none.notes[0].find("nowhere/libnvidia-ml.so.1"), std::string::npos);
}

TEST(Nvml, ALibraryThatIsNotNvmlIsSaidSo) {
  Probe p = probe("h100", INFERTUNE_FAKE_CUDA);  // loads fine, exports no NVML function
  EXPECT_TRUE(p.gpu.nvml.library.known());
  EXPECT_FALSE(p.gpu.devices.known());
  EXPECT_NE(p.gpu.devices.unknown_why.find("not an NVML library"), std::string::npos);
  test::TempRoot tmp;
  tmp.write("libnvidia-ml.so.1", "not an ELF file\n");
  Probe garbage = probe("h100", tmp.path() + "/libnvidia-ml.so.1");
  EXPECT_FALSE(garbage.gpu.nvml.library.known());
  EXPECT_NE(garbage.gpu.nvml.library.unknown_why.find("cannot load"), std::string::npos);
}

TEST(Nvml, EnvironmentVariableNamesTheLibrary) {
  setenv("INFERTUNE_NVML_LIBRARY", INFERTUNE_FAKE_NVML, 1);
  setenv("INFERTUNE_FAKE_GPU_PROFILE", profile("h100").c_str(), 1);
  GpuFacts g;
  std::vector<std::string> notes;
  collect_nvml(GpuProbeOptions{}, g, notes);
  unsetenv("INFERTUNE_NVML_LIBRARY");
  EXPECT_EQ(g.nvml.library.source, std::string("dlopen ") + INFERTUNE_FAKE_NVML);
  ASSERT_TRUE(g.devices);
  EXPECT_EQ(g.devices->size(), 1u);
}

TEST(ProbeRunner, ReturnsAnswersAndGivesUpOnACallThatBlocks) {
  ProbeRunner r(0.1);
  EXPECT_EQ(r.run<int>("fast", [] { return 7; }).value_or(0), 7);
  auto t0 = std::chrono::steady_clock::now();
  auto stuck = r.run<int>("slow", [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    return 1;
  });
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_FALSE(stuck.has_value());
  EXPECT_LT(waited, 0.5);
  EXPECT_TRUE(r.stuck());
  EXPECT_EQ(r.stuck_call(), "slow");
  EXPECT_FALSE(r.run<int>("after", [] { return 2; }).has_value());  // refused at once
  EXPECT_EQ(format_timeout(5.0), "5 s");
  EXPECT_EQ(format_timeout(0.25), "0.25 s");
}

}  // namespace
}  // namespace infertune

namespace infertune {
namespace {

// The four probe rules fire together on one broken snapshot, each with evidence, a fix and a docs link.
TEST(NvmlRules, EachProbeFindingHasEvidenceFixAndDocs) {
  Snapshot s;
  s.gpu.nvml.init_result.set("NVML_ERROR_LIB_RM_VERSION_MISMATCH", "NVML nvmlInit_v2");
  s.gpu.nvml.timed_out.set({"nvmlDeviceGetHandleByIndex_v2 did not answer in 5 s"}, "NVML probe");
  s.gpu.nvml.gpu_lost.set({"GPU 0: nvmlDeviceGetName returned NVML_ERROR_GPU_IS_LOST"}, "NVML");
  s.gpu.cuda.init_result.set(999, "CUDA cuInit(0)");
  s.gpu.cuda.init_error_name.set("CUDA_ERROR_UNKNOWN", "CUDA cuGetErrorName");
  auto fs = run_rules(s);
  std::set<std::string> seen;
  for (const auto& f : fs) {
    seen.insert(f.id);
    EXPECT_FALSE(f.evidence.empty()) << f.id;
    EXPECT_FALSE(f.fix.empty()) << f.id;
    EXPECT_EQ(f.title.find('\n'), std::string::npos) << f.id;
    EXPECT_EQ(f.docs_url().rfind("docs/findings.md#", 0), 0u) << f.id;
  }
  for (const auto& r : gpu_nvml_rules()) EXPECT_TRUE(seen.count(r.id)) << r.id;
  const Finding* cu = nullptr;
  for (const auto& f : fs) {
    if (f.id == "GPU-CUINIT-FAILED") cu = &f;
  }
  ASSERT_NE(cu, nullptr);
  EXPECT_NE(cu->fix.find("nvidia_uvm"), std::string::npos);
  // Silent on an empty snapshot (nothing probed).
  Snapshot empty;
  for (const auto& f : run_rules(empty)) {
    for (const auto& r : gpu_nvml_rules()) EXPECT_NE(f.id, r.id);
  }
}

}  // namespace
}  // namespace infertune
