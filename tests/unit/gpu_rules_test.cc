// GPU rules: each fires in one snapshot and stays silent in another. Snapshots built here; the XML-based
// checks at the end run the rules on real nvidia-smi outputs.

#include <gtest/gtest.h>

#include <algorithm>

#include "collect/smi_xml.h"
#include "rules/rule.h"
#include "test_support.h"

namespace infertune {
namespace {

const char* kSrc = "nvidia-smi -q -x t.xml";

PciDeviceFacts pci(const std::string& address, const std::string& driver) {
  PciDeviceFacts d;
  d.address = address;
  d.vendor_id = "0x10de";
  d.device_id = "0x2330";
  d.class_code = "0x030200";
  d.driver = driver;
  d.current_link_width.set(16, "/sys/bus/pci/devices/" + address + "/current_link_width");
  d.max_link_width.set(16, "/sys/bus/pci/devices/" + address + "/max_link_width");
  return d;
}

GpuDeviceFacts healthy_gpu(int64_t index) {
  GpuDeviceFacts d;
  d.index.set(index, kSrc);
  d.name.set("NVIDIA H100 80GB HBM3", kSrc);
  d.uuid.set("GPU-0c4b9d1e-0000-0000-0000-00000000000" + std::to_string(index), kSrc);
  d.pci_bus_id.set("0000:1" + std::to_string(index) + ":00.0", kSrc);
  d.memory_total_bytes.set(int64_t{80} << 30, kSrc);
  d.memory_used_bytes.set(int64_t{40} << 30, kSrc);
  d.utilization_gpu_pct.set(90, kSrc);
  d.pcie_gen_current.set(5, kSrc);
  d.pcie_gen_max.set(5, kSrc);
  d.pcie_width_current.set(16, kSrc);
  d.pcie_width_max.set(16, kSrc);
  d.clock_event_reasons.set({}, kSrc);
  d.persistence_mode.set(true, kSrc);
  d.ecc_volatile_uncorrectable.set(0, kSrc);
  d.retired_pages_pending.set(false, kSrc);
  d.remapped_rows_pending.set(false, kSrc);
  d.remapped_rows_failure.set(false, kSrc);
  return d;
}

// One H100 on the nvidia driver, nodes present and open, busy, nothing wrong.
Snapshot healthy() {
  Snapshot s;
  s.gpu.nvidia_pci_devices.set({pci("0000:10:00.0", "nvidia")}, "/sys/bus/pci/devices");
  s.gpu.device_nodes.set({"nvidia-uvm", "nvidia0", "nvidiactl"}, "/dev/nvidia*");
  s.gpu.driver.nvidia_module_loaded.set(true, "/sys/module/nvidia");
  s.gpu.driver.kernel_module_version.set("550.54.15", "/proc/driver/nvidia/version");
  DeviceNodeFacts ctl{"nvidiactl", {}};
  ctl.can_open_rw.set(true, "access(/dev/nvidiactl)");
  DeviceNodeFacts n0{"nvidia0", {}};
  n0.can_open_rw.set(true, "access(/dev/nvidia0)");
  s.gpu.driver.device_nodes.set({ctl, n0}, "/dev/nvidia*");
  s.gpu.devices.set({healthy_gpu(0)}, kSrc);
  s.process.env.set({}, "/proc/self/environ");
  return s;
}

std::vector<std::string> ids(const Snapshot& s) {
  std::vector<std::string> out;
  for (const auto& f : run_rules(s)) out.push_back(f.id);
  return out;
}
bool fires(const Snapshot& s, const std::string& id) {
  auto v = ids(s);
  return std::find(v.begin(), v.end(), id) != v.end();
}
GpuDeviceFacts& gpu0(Snapshot& s) { return s.gpu.devices.value->front(); }

TEST(GpuRules, HealthyGpuHasNoFindings) {
  EXPECT_TRUE(ids(healthy()).empty()) << ::testing::PrintToString(ids(healthy()));
}

TEST(GpuRules, BoundDriver) {
  for (auto [driver, id] : {std::pair{"nouveau", "GPU-BOUND-TO-NOUVEAU"}, std::pair{"vfio-pci", "GPU-BOUND-TO-VFIO"},
                            std::pair{"", "GPU-NO-DRIVER"}}) {
    Snapshot s = healthy();
    EXPECT_FALSE(fires(s, id));
    s.gpu.nvidia_pci_devices.value->push_back(pci("0000:20:00.0", driver));
    EXPECT_TRUE(fires(s, id)) << id;
  }
}

TEST(GpuRules, DeviceNodesMissingWhenDriverLoaded) {
  Snapshot s = healthy();
  s.gpu.device_nodes.set({"nvidia-uvm"}, "/dev/nvidia*");
  s.container.in_container.set(true, "/.dockerenv");
  auto fs = run_rules(s);
  auto it = std::find_if(fs.begin(), fs.end(), [](const Finding& f) { return f.id == "GPU-DEVICE-NODES-MISSING"; });
  ASSERT_NE(it, fs.end());
  EXPECT_NE(it->fix.find("--gpus all"), std::string::npos);
  // No driver in use (module not loaded, GPU on nouveau): missing nodes are expected, not this finding.
  s.gpu.driver.nvidia_module_loaded.set(false, "/sys/module/nvidia");
  s.gpu.nvidia_pci_devices.value->front().driver = "nouveau";
  EXPECT_FALSE(fires(s, "GPU-DEVICE-NODES-MISSING"));
}

TEST(GpuRules, DeviceNodesNoAccess) {
  Snapshot s = healthy();
  s.gpu.driver.device_nodes.value->at(1).can_open_rw.set(false, "access(/dev/nvidia0)");
  EXPECT_TRUE(fires(s, "GPU-DEVICE-NODES-NO-ACCESS"));
  s.gpu.driver.device_nodes.value->at(1).can_open_rw.unknown("not checked under --root");
  EXPECT_FALSE(fires(s, "GPU-DEVICE-NODES-NO-ACCESS"));
}

TEST(GpuRules, HiddenByEnv) {
  for (const char* v : {"", "-1", "none", "void", "1", "3,0", "GPU-ffffffff"}) {
    Snapshot s = healthy();
    s.process.env.set({{"CUDA_VISIBLE_DEVICES", v}}, "/proc/self/environ");
    EXPECT_TRUE(fires(s, "GPU-HIDDEN-BY-ENV")) << "CUDA_VISIBLE_DEVICES=" << v;
  }
  for (const char* v : {"0", "0,1", "GPU-0c4b9d1e", "MIG-1234"}) {
    Snapshot s = healthy();
    s.process.env.set({{"CUDA_VISIBLE_DEVICES", v}, {"NVIDIA_VISIBLE_DEVICES", "all"}}, "/proc/self/environ");
    EXPECT_FALSE(fires(s, "GPU-HIDDEN-BY-ENV")) << "CUDA_VISIBLE_DEVICES=" << v;
  }
  Snapshot s = healthy();
  s.process.env.set({{"NVIDIA_VISIBLE_DEVICES", "void"}}, "/proc/self/environ");
  EXPECT_TRUE(fires(s, "GPU-HIDDEN-BY-ENV"));
  // Without a driver report the count comes from /dev/nvidiaN: index 1 with one node hides the GPU.
  s = healthy();
  s.gpu.devices.unknown("no NVML");
  s.process.env.set({{"CUDA_VISIBLE_DEVICES", "1"}}, "/proc/self/environ");
  EXPECT_TRUE(fires(s, "GPU-HIDDEN-BY-ENV"));
}

TEST(GpuRules, LinkNarrowAlwaysFromDriverOrSysfs) {
  Snapshot s = healthy();
  gpu0(s).pcie_width_current.set(8, kSrc);
  gpu0(s).utilization_gpu_pct.set(0, kSrc);  // idle: width still counts
  EXPECT_TRUE(fires(s, "GPU-PCIE-LINK-NARROW"));
  s = healthy();
  s.gpu.devices.unknown("no NVML");
  EXPECT_FALSE(fires(s, "GPU-PCIE-LINK-NARROW"));
  s.gpu.nvidia_pci_devices.value->front().current_link_width.set(8, "/sys/.../current_link_width");
  EXPECT_TRUE(fires(s, "GPU-PCIE-LINK-NARROW"));
}

TEST(GpuRules, LinkSlowOnlyWhileBusy) {
  Snapshot s = healthy();
  gpu0(s).pcie_gen_current.set(1, kSrc);
  EXPECT_TRUE(fires(s, "GPU-PCIE-LINK-SLOW"));
  gpu0(s).utilization_gpu_pct.set(5, kSrc);  // idle GPUs downclock the link on purpose
  EXPECT_FALSE(fires(s, "GPU-PCIE-LINK-SLOW"));
  gpu0(s).utilization_gpu_pct.unknown("N/A");
  EXPECT_FALSE(fires(s, "GPU-PCIE-LINK-SLOW"));
}

TEST(GpuRules, ClocksThrottledOnlyWhileBusy) {
  Snapshot s = healthy();
  gpu0(s).clock_event_reasons.set({"sw_power_cap"}, kSrc);
  EXPECT_TRUE(fires(s, "GPU-CLOCKS-THROTTLED"));
  gpu0(s).utilization_gpu_pct.set(0, kSrc);
  EXPECT_FALSE(fires(s, "GPU-CLOCKS-THROTTLED"));
  s = healthy();
  gpu0(s).clock_event_reasons.set({"gpu_idle", "applications_clocks_setting"}, kSrc);
  EXPECT_FALSE(fires(s, "GPU-CLOCKS-THROTTLED"));
}

TEST(GpuRules, EccAndMemoryRepair) {
  Snapshot s = healthy();
  gpu0(s).ecc_volatile_uncorrectable.set(2, kSrc);
  gpu0(s).retired_pages_pending.set(true, kSrc);
  gpu0(s).remapped_rows_failure.set(true, kSrc);
  EXPECT_TRUE(fires(s, "GPU-ECC-UNCORRECTABLE"));
  EXPECT_TRUE(fires(s, "GPU-RETIREMENT-PENDING"));
  EXPECT_TRUE(fires(s, "GPU-ROW-REMAP-FAILED"));
  s = healthy();
  gpu0(s).ecc_aggregate_uncorrectable.set(5, kSrc);  // lifetime count alone: history, not a current fault
  gpu0(s).remapped_rows_pending.unknown("N/A");
  EXPECT_FALSE(fires(s, "GPU-ECC-UNCORRECTABLE"));
  EXPECT_FALSE(fires(s, "GPU-RETIREMENT-PENDING"));
  EXPECT_FALSE(fires(s, "GPU-ROW-REMAP-FAILED"));
  gpu0(s).remapped_rows_pending.set(true, kSrc);
  EXPECT_TRUE(fires(s, "GPU-RETIREMENT-PENDING"));
}

TEST(GpuRules, MemoryNearlyFull) {
  Snapshot s = healthy();
  gpu0(s).memory_used_bytes.set(int64_t{78} << 30, kSrc);  // 97.5 %
  EXPECT_TRUE(fires(s, "GPU-MEMORY-NEARLY-FULL"));
  gpu0(s).memory_used_bytes.set(int64_t{75} << 30, kSrc);  // 93.75 %
  EXPECT_FALSE(fires(s, "GPU-MEMORY-NEARLY-FULL"));
}

TEST(GpuRules, PersistenceOff) {
  Snapshot s = healthy();
  gpu0(s).persistence_mode.set(false, kSrc);
  auto fs = run_rules(s);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].id, "GPU-PERSISTENCE-OFF");
  EXPECT_EQ(fs[0].severity, Severity::kInfo);
  gpu0(s).persistence_mode.unknown("nvidia-smi reports N/A");  // Windows
  EXPECT_FALSE(fires(s, "GPU-PERSISTENCE-OFF"));
}

TEST(GpuRules, NoneVisibleStaysSilentWithImportedGpus) {
  Snapshot s = healthy();
  s.gpu.nvidia_pci_devices.set({}, "/sys/bus/pci/devices");
  EXPECT_FALSE(fires(s, "GPU-NONE-VISIBLE"));
  s.gpu.devices.unknown("no NVML");
  EXPECT_TRUE(fires(s, "GPU-NONE-VISIBLE"));
}

TEST(GpuRules, EveryGpuRuleFiresWithEvidenceAndFix) {
  Snapshot s = healthy();
  s.gpu.nvidia_pci_devices.value->push_back(pci("0000:20:00.0", "nouveau"));
  s.gpu.nvidia_pci_devices.value->push_back(pci("0000:21:00.0", "vfio-pci"));
  s.gpu.nvidia_pci_devices.value->push_back(pci("0000:22:00.0", ""));
  s.gpu.device_nodes.set({"nvidia-uvm"}, "/dev/nvidia*");
  s.gpu.driver.device_nodes.value->at(0).can_open_rw.set(false, "a");
  s.process.env.set({{"CUDA_VISIBLE_DEVICES", "-1"}}, "e");
  GpuDeviceFacts& d = gpu0(s);
  d.pcie_width_current.set(8, kSrc);
  d.pcie_gen_current.set(3, kSrc);
  d.clock_event_reasons.set({"hw_thermal_slowdown"}, kSrc);
  d.ecc_volatile_uncorrectable.set(1, kSrc);
  d.remapped_rows_pending.set(true, kSrc);
  d.remapped_rows_failure.set(true, kSrc);
  d.memory_used_bytes.set(int64_t{80} << 30, kSrc);
  d.persistence_mode.set(false, kSrc);
  auto fs = run_rules(s);
  std::vector<std::string> want;
  for (const auto& r : gpu_rules()) want.push_back(r.id);
  for (const auto& id : want) {
    auto it = std::find_if(fs.begin(), fs.end(), [&](const Finding& f) { return f.id == id; });
    ASSERT_NE(it, fs.end()) << id;
    EXPECT_FALSE(it->evidence.empty()) << id;
    EXPECT_FALSE(it->fix.empty()) << id;
    EXPECT_EQ(it->title.find('\n'), std::string::npos) << id;
    for (const auto& e : it->evidence) EXPECT_FALSE(e.source.empty()) << id << ": " << e.fact;
  }
}

// Real nvidia-smi outputs through import + rules.
std::vector<std::string> xml_findings(const std::string& file) {
  auto imp = load_smi_xml_file(test::data_path("smi-xml/" + file));
  EXPECT_TRUE(imp.ok()) << file;
  Snapshot s;
  if (imp.ok()) apply_smi_import(std::move(imp.value()), s);
  return ids(s);
}

TEST(GpuRulesOnRealXml, WhatEachFixtureYields) {
  using V = std::vector<std::string>;
  EXPECT_EQ(xml_findings("v100-pcie-32gb.xml"), V{"GPU-PERSISTENCE-OFF"});  // busy 91 %, gen 3 of 3, x16
  EXPECT_EQ(xml_findings("gtx-1050.xml"), V{"GPU-PCIE-LINK-NARROW"});       // x8 of x16
  // sw_power_cap active and gen 1 of 4, but idle (0 %): neither GPU-CLOCKS-THROTTLED nor GPU-PCIE-LINK-SLOW.
  EXPECT_EQ(xml_findings("3090-v13.xml"), V{});
  EXPECT_EQ(xml_findings("a100-sxm4-v12.xml"), V{"GPU-PERSISTENCE-OFF"});
  EXPECT_EQ(xml_findings("gtx-1070-ti.xml"), V{});
  EXPECT_EQ(xml_findings("tesla_p4.xml"), V{});
  EXPECT_EQ(xml_findings("rtx-3080-v12.xml"), V{});
  EXPECT_EQ(xml_findings("dual_2080-v13.xml"), V{"GPU-PCIE-LINK-NARROW"});
  EXPECT_EQ(xml_findings("rtx-4000-sff-ada-v13.xml"), V{});
  EXPECT_EQ(xml_findings("rtx-3080-v13.xml"), V{"GPU-PERSISTENCE-OFF"});
}

}  // namespace
}  // namespace infertune
