// The driver collector, the PCIe link and name additions of the PCI scan, on the GPU fixture roots.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "collect/gpu_driver.h"
#include "collect/pci.h"
#include "collect/pci_ids.h"
#include "test_support.h"

namespace infertune {
namespace {

std::string groot(const std::string& name) { return test::data_path("gpu-roots/" + name); }

TEST(GpuDriver, ParsesNvrmLines) {
  EXPECT_EQ(parse_nvrm_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.54.03  Tue Jun  6 22:20:39 UTC "
                               "2023\nGCC version:  gcc version 11.3.0\n"),
            "535.54.03");
  EXPECT_EQ(parse_nvrm_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build  "
                               "(dvs-builder@U16-I3-B03-4-3)  Thu Jan 23 23:08:06 UTC 2025\n"),
            "570.86.15");
  EXPECT_FALSE(parse_nvrm_version("GCC version: 12.2\n"));
  EXPECT_FALSE(parse_nvrm_version("\xff\xfe garbage"));
  EXPECT_TRUE(looks_like_driver_version("418.43"));
  EXPECT_FALSE(looks_like_driver_version("x86_64"));
  EXPECT_FALSE(looks_like_driver_version("535"));
}

TEST(GpuDriver, HealthyRoot) {
  GpuDriverFacts d;
  collect_gpu_driver(FsRoot(groot("healthy")), d);
  EXPECT_TRUE(*d.nvidia_module_loaded);
  EXPECT_FALSE(*d.nouveau_loaded);
  EXPECT_EQ(*d.kernel_module_version, "550.54.15");
  EXPECT_EQ(d.kernel_module_version.source, "/proc/driver/nvidia/version");
  ASSERT_TRUE(d.device_nodes);
  ASSERT_EQ(d.device_nodes->size(), 4u);
  EXPECT_EQ(d.device_nodes->at(0).name, "nvidia-uvm");
  EXPECT_FALSE(d.device_nodes->at(0).can_open_rw);  // not checked under --root
  EXPECT_FALSE(d.driver_version);
  EXPECT_NE(d.driver_version.unknown_why.find("not probed"), std::string::npos);
}

TEST(GpuDriver, NouveauAndNoDeviceRoots) {
  GpuDriverFacts d;
  collect_gpu_driver(FsRoot(groot("nouveau")), d);
  EXPECT_FALSE(*d.nvidia_module_loaded);
  EXPECT_TRUE(*d.nouveau_loaded);
  EXPECT_FALSE(d.kernel_module_version);
  ASSERT_TRUE(d.device_nodes);
  EXPECT_TRUE(d.device_nodes->empty());
  GpuDriverFacts n;
  collect_gpu_driver(FsRoot(groot("no-device")), n);
  EXPECT_FALSE(*n.nvidia_module_loaded);
  EXPECT_FALSE(*n.nouveau_loaded);
}

TEST(GpuDriver, CanOpenRwOnTheLiveSystemUsesAccess) {
  std::string dir = (std::filesystem::temp_directory_path() / "infertune-access-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  test::write_text(dir + "/nvidia0", "");
  FsRoot fs;
  SysPath p{"/dev/nvidia0", dir + "/nvidia0"};
  EXPECT_TRUE(fs.can_open_rw(p));
  std::filesystem::permissions(dir + "/nvidia0", std::filesystem::perms::owner_read);
  if (::geteuid() != 0) {
    EXPECT_FALSE(fs.can_open_rw(p));  // root may open anything
  }
  EXPECT_FALSE(fs.can_open_rw(SysPath{"/dev/nvidia9", dir + "/nvidia9"}));
  std::filesystem::remove_all(dir);
}

TEST(PciLink, ParsesSysfsSpeeds) {
  EXPECT_EQ(parse_link_speed_gts("8.0 GT/s PCIe\n"), 8.0);
  EXPECT_EQ(parse_link_speed_gts("16 GT/s"), 16.0);
  EXPECT_EQ(parse_link_speed_gts("2.5 GT/s PCIe"), 2.5);
  EXPECT_FALSE(parse_link_speed_gts("Unknown"));
  EXPECT_FALSE(parse_link_speed_gts("8.0 Gb/s"));
  EXPECT_FALSE(parse_link_speed_gts(""));
  EXPECT_EQ(pcie_gen_of_gts(2.5), 1);
  EXPECT_EQ(pcie_gen_of_gts(8.0), 3);
  EXPECT_EQ(pcie_gen_of_gts(32.0), 5);
  EXPECT_EQ(pcie_gen_of_gts(7.0), 0);
}

TEST(PciLink, FixtureRoots) {
  GpuFacts h;
  collect_pci_gpus(FsRoot(groot("healthy")), h);
  ASSERT_EQ(h.nvidia_pci_devices->size(), 1u);
  const auto& d = h.nvidia_pci_devices->front();
  EXPECT_EQ(*d.current_link_gts, 8.0);
  EXPECT_EQ(*d.max_link_gts, 8.0);
  EXPECT_EQ(*d.current_link_width, 16);
  EXPECT_EQ(*d.max_link_width, 16);
  EXPECT_EQ(*d.numa_node, -1);
  EXPECT_EQ(*d.name, "GP100GL [Tesla P100 PCIe 16GB]");
  EXPECT_EQ(d.name.source, "built-in table (from pci.ids)");
  GpuFacts x8;
  collect_pci_gpus(FsRoot(groot("x8")), x8);
  EXPECT_EQ(*x8.nvidia_pci_devices->front().current_link_width, 8);
  GpuFacts nv;
  collect_pci_gpus(FsRoot(groot("nouveau")), nv);
  EXPECT_EQ(nv.nvidia_pci_devices->front().driver, "nouveau");
  GpuFacts none;
  collect_pci_gpus(FsRoot(groot("no-device")), none);
  ASSERT_TRUE(none.nvidia_pci_devices);
  EXPECT_TRUE(none.nvidia_pci_devices->empty());
}

TEST(PciIds, LooksUpTheNvidiaBlockOnly) {
  const char* ids =
      "# comment\n1002  Advanced Micro Devices, Inc. [AMD/ATI]\n\t2330  Not this one\n10de  NVIDIA Corporation\n"
      "\t1eb8  TU104GL [Tesla T4]\n\t\t10de 12a2  T4 16GB\n\t2330  GH100 [H100 SXM5 80GB]\n10df  Emulex Corporation\n"
      "\t2331  Not NVIDIA\nC 03  Display controller\n";
  EXPECT_EQ(pci_ids_lookup(ids, "10de", "2330"), "GH100 [H100 SXM5 80GB]");
  EXPECT_EQ(pci_ids_lookup(ids, "10de", "1eb8"), "TU104GL [Tesla T4]");
  EXPECT_FALSE(pci_ids_lookup(ids, "10de", "2331"));
  EXPECT_FALSE(pci_ids_lookup(ids, "10de", "12a2"));  // a subsystem line, not a device
  EXPECT_FALSE(pci_ids_lookup("", "10de", "2330"));
  EXPECT_EQ(builtin_nvidia_gpu_name("2335"), "GH100 [H200 SXM 141GB]");
  EXPECT_FALSE(builtin_nvidia_gpu_name("2684"));
}

TEST(PciIds, SystemDatabaseWinsOverTheBuiltInTable) {
  std::string dir = (std::filesystem::temp_directory_path() / "infertune-ids-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  std::filesystem::copy(groot("healthy") + "/sys", dir + "/sys",
                        std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  std::filesystem::create_directories(dir + "/usr/share/hwdata");
  test::write_text(dir + "/usr/share/hwdata/pci.ids",
                   "10de  NVIDIA Corporation\n\t15f8  GP100GL [Tesla P100 PCIe 16GB]\n");
  GpuFacts g;
  collect_pci_gpus(FsRoot(dir), g);
  EXPECT_EQ(g.nvidia_pci_devices->front().name.source, "/usr/share/hwdata/pci.ids");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace infertune
