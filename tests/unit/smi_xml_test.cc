// nvidia-smi -q -x import: values from real outputs of DTD v10-v13, and one clear error for bad input.

#include "collect/smi_xml.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace infertune {
namespace {

SmiXmlImport load(const std::string& file) {
  auto r = load_smi_xml_file(test::data_path("smi-xml/" + file));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r.value()) : SmiXmlImport{};
}

TEST(SmiXmlValues, Units) {
  EXPECT_EQ(smi_bytes("81920 MiB"), int64_t{81920} << 20);
  EXPECT_FALSE(smi_bytes("N/A"));
  EXPECT_FALSE(smi_bytes("12 MB"));
  EXPECT_EQ(smi_milliwatts("67.03 W"), 67030);
  EXPECT_FALSE(smi_milliwatts("[N/A]"));
  EXPECT_EQ(smi_number("1410 MHz", "MHz"), 1410);
  EXPECT_EQ(smi_number("91 %", "%"), 91);
  EXPECT_FALSE(smi_number("91 %", "MHz"));
  EXPECT_EQ(smi_bus_id_to_sysfs("00000000:01:00.0"), "0000:01:00.0");
  EXPECT_EQ(smi_bus_id_to_sysfs("00000001:3B:00.0"), "0001:3b:00.0");
}

TEST(SmiXml, V100BusyWithProcesses) {
  SmiXmlImport imp = load("v100-pcie-32gb.xml");
  EXPECT_EQ(*imp.driver_version, "460.39");
  EXPECT_EQ(*imp.cuda_driver_version, "11.2");
  ASSERT_EQ(imp.devices.size(), 1u);
  const GpuDeviceFacts& d = imp.devices[0];
  EXPECT_EQ(*d.name, "Tesla V100-PCIE-32GB");
  EXPECT_EQ(*d.pci_bus_id, "0000:21:01.0");
  EXPECT_EQ(d.name.source, "nvidia-smi -q -x " + test::data_path("smi-xml/v100-pcie-32gb.xml"));
  EXPECT_EQ(*d.memory_total_bytes, int64_t{32510} << 20);
  EXPECT_EQ(*d.utilization_gpu_pct, 91);
  EXPECT_EQ(*d.temperature_c, 66);
  EXPECT_EQ(*d.power_draw_mw, 170160);
  EXPECT_EQ(*d.power_limit_mw, 250000);
  EXPECT_EQ(*d.pcie_gen_current, 3);
  EXPECT_EQ(*d.pcie_width_max, 16);
  EXPECT_TRUE(d.clock_event_reasons->empty());  // clocks_throttle_reasons, all Not Active
  EXPECT_FALSE(*d.persistence_mode);
  EXPECT_TRUE(*d.ecc_mode);
  EXPECT_EQ(*d.ecc_volatile_uncorrectable, 0);  // double_bit/total
  EXPECT_FALSE(*d.retired_pages_pending);
  EXPECT_FALSE(d.remapped_rows_pending);  // N/A before Ampere
  EXPECT_FALSE(d.compute_capability);
  ASSERT_EQ(d.processes->size(), 4u);
  EXPECT_EQ(d.processes->at(0).pid, 4027538);
  EXPECT_EQ(d.processes->at(0).type, "compute");
  EXPECT_EQ(d.processes->at(0).name, "mtopen-plugin:worker");
  EXPECT_EQ(*d.processes->at(0).used_memory_bytes, int64_t{3214} << 20);
}

TEST(SmiXml, A100MigV12) {
  SmiXmlImport imp = load("a100-sxm4-v12.xml");
  ASSERT_EQ(imp.devices.size(), 1u);
  const GpuDeviceFacts& d = imp.devices[0];
  EXPECT_TRUE(*d.mig_mode);
  EXPECT_FALSE(d.utilization_gpu_pct);  // N/A with MIG on
  EXPECT_EQ(d.utilization_gpu_pct.unknown_why, "nvidia-smi reports N/A");
  EXPECT_EQ(*d.power_draw_mw, 67030);    // gpu_power_readings
  EXPECT_EQ(*d.power_limit_mw, 500000);  // current_power_limit
  EXPECT_EQ(*d.sm_clock_max_mhz, 1410);
  EXPECT_EQ(*d.ecc_volatile_uncorrectable, 0);             // dram + sram
  EXPECT_EQ(*d.memory_total_bytes, int64_t{81920} << 20);  // the GPU's, not a MIG slice's
  EXPECT_EQ(*d.serial, "1650522003820");
}

TEST(SmiXml, V13PowerAndRemap) {
  SmiXmlImport imp = load("rtx-4000-sff-ada-v13.xml");
  const GpuDeviceFacts& d = imp.devices.at(0);
  EXPECT_EQ(*d.power_draw_mw, 8440);  // instant_power_draw
  EXPECT_EQ(*d.clock_event_reasons, std::vector<std::string>{"gpu_idle"});
  EXPECT_FALSE(*d.remapped_rows_pending);
  EXPECT_FALSE(*d.remapped_rows_failure);
  SmiXmlImport cap = load("3090-v13.xml");
  EXPECT_EQ(*cap.devices.at(0).clock_event_reasons, std::vector<std::string>{"sw_power_cap"});
}

TEST(SmiXml, OldMinimalWindowsVgpuAndDual) {
  SmiXmlImport old = load("gtx-1070-ti.xml");  // DTD v10, minimal
  EXPECT_FALSE(old.driver_version);
  EXPECT_EQ(old.driver_version.unknown_why, "not in this nvidia-smi -q -x output");
  EXPECT_EQ(*old.devices.at(0).pcie_width_current, 16);
  EXPECT_FALSE(old.devices.at(0).pcie_width_max);
  EXPECT_EQ(*old.devices.at(0).pci_bus_id, "0000:01:00.0");  // from the gpu id attribute
  SmiXmlImport win = load("rtx-3080-v12.xml");
  EXPECT_EQ(*win.devices.at(0).processes->at(0).used_memory_bytes, int64_t{550} << 20);
  EXPECT_FALSE(win.devices.at(0).persistence_mode);  // N/A on Windows
  SmiXmlImport vgpu = load("tesla_p4.xml");
  EXPECT_EQ(vgpu.devices.size(), 1u);
  ASSERT_FALSE(vgpu.devices.at(0).processes->empty());
  EXPECT_FALSE(vgpu.devices.at(0).processes->at(0).used_memory_bytes);  // N/A in this WDDM vGPU guest
  EXPECT_FALSE(vgpu.devices.at(0).pcie_gen_current);
  SmiXmlImport dual = load("dual_2080-v13.xml");
  ASSERT_EQ(dual.devices.size(), 2u);
  EXPECT_EQ(*dual.devices[1].index, 1);
}

TEST(SmiXml, BadInputIsOneLineNamingTheFile) {
  std::string v100 = test::read_text(test::data_path("smi-xml/v100-pcie-32gb.xml"));
  struct Case {
    std::string text, want;
  };
  for (const Case& c : std::vector<Case>{
           {"", "x.xml: file is empty"},
           {v100.substr(0, 3000), "not valid XML"},
           {"\x7f"
            "ELF\x02\x01\x01",
            "not valid XML"},
           {"No devices were found\n", "not valid XML (No document element found"},
           {"<?xml version=\"1.0\"?><html><body/></html>", "root element <html>, expected <nvidia_smi_log>"},
           {"{\"schema\": \"infertune.snapshot\"}", "x.xml"},
       }) {
    auto r = parse_smi_xml(c.text, "x.xml");
    ASSERT_FALSE(r.ok()) << c.want;
    EXPECT_NE(r.error().message.find(c.want), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.rfind("nvidia-smi XML x.xml: ", 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  }
  auto missing = load_smi_xml_file("/nonexistent/smi.xml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "nvidia-smi XML /nonexistent/smi.xml: cannot open: No such file or directory");
}

TEST(SmiXml, ApplyPutsDevicesAndDriverIntoTheSnapshot) {
  Snapshot s;
  apply_smi_import(load("dual_2080-v13.xml"), s);
  ASSERT_TRUE(s.gpu.devices);
  EXPECT_EQ(s.gpu.devices->size(), 2u);
  EXPECT_TRUE(s.gpu.driver.driver_version);
  EXPECT_EQ(s.notes.size(), 1u);
}

}  // namespace
}  // namespace infertune
