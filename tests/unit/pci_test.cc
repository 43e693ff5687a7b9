#include "collect/pci.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

#include "test_support.h"

namespace infertune {
namespace {

std::string host(const std::string& rel) { return test::data_path("host/" + rel); }
std::string root(const std::string& name) { return test::data_path("roots/" + name); }
using Names = std::vector<std::string>;

TEST(PciHex, ParsesSysfsAttributes) {
  const std::string gpu = host("ghw-accel-nvidia/sys/devices/pci0000:00/0000:00:01.5/0000:06:00.0/");
  EXPECT_EQ(parse_pci_hex(test::read_text(gpu + "vendor"), 4), "0x10de");
  EXPECT_EQ(parse_pci_hex(test::read_text(gpu + "device"), 4), "0x15f8");
  EXPECT_EQ(parse_pci_hex(test::read_text(gpu + "class"), 6), "0x030200");
  EXPECT_EQ(parse_pci_hex("0x10DE\n", 4), "0x10de");
  EXPECT_FALSE(parse_pci_hex("0x10d", 4));  // truncated
  EXPECT_FALSE(parse_pci_hex("10de", 4));
  EXPECT_FALSE(parse_pci_hex("0xzzzz", 4));
  EXPECT_FALSE(parse_pci_hex("", 4));
  EXPECT_FALSE(parse_pci_hex("\xff\xfe\x01", 4));
  // numa_node is a decimal attribute, -1 in this VM: not a hex id.
  EXPECT_FALSE(parse_pci_hex(test::read_text(gpu + "numa_node"), 4));
}

TEST(PciHex, GpuClassFilter) {
  EXPECT_TRUE(is_nvidia_gpu("0x10de", "0x030200"));   // 3D controller (Tesla/datacenter)
  EXPECT_TRUE(is_nvidia_gpu("0x10de", "0x030000"));   // VGA controller
  EXPECT_FALSE(is_nvidia_gpu("0x10de", "0x040300"));  // HDMI audio function of a GeForce
  EXPECT_FALSE(is_nvidia_gpu("0x10de", "0x068000"));  // NVSwitch bridge
  EXPECT_FALSE(is_nvidia_gpu("0x1af4", "0x030000"));  // virtio-gpu
}

TEST(PciHex, DriverFromLink) {
  EXPECT_EQ(driver_from_link("../../../../bus/pci/drivers/nvidia"), "nvidia");
  EXPECT_EQ(driver_from_link("../../../bus/pci/drivers/pcieport/"), "pcieport");
  EXPECT_EQ(driver_from_link("nouveau"), "nouveau");
  EXPECT_EQ(driver_from_link(""), "");
}

TEST(PciCollect, GhwP100VmKeepsOnlyTheNvidiaGpu) {
  // 28 functions: Intel chipset, QEMU root ports, virtio (one a 0x030000 virtio-gpu) and the P100.
  GpuFacts g;
  collect_pci_gpus(FsRoot(host("ghw-accel-nvidia")), g);
  ASSERT_TRUE(g.nvidia_pci_devices);
  ASSERT_EQ(g.nvidia_pci_devices->size(), 1u);
  const PciDeviceFacts& d = g.nvidia_pci_devices->front();
  EXPECT_EQ(d.address, "0000:06:00.0");
  EXPECT_EQ(d.vendor_id, "0x10de");
  EXPECT_EQ(d.device_id, "0x15f8");
  EXPECT_EQ(d.class_code, "0x030200");
  EXPECT_EQ(d.driver, "nvidia");
  EXPECT_EQ(g.nvidia_pci_devices.source, "/sys/bus/pci/devices");
  EXPECT_FALSE(g.device_nodes);  // the sample has no /dev
  EXPECT_NE(g.device_nodes.unknown_why.find("/dev"), std::string::npos);
}

TEST(PciCollect, BaremetalAndHealthyRootsHaveTheP100) {
  for (const char* r : {"baremetal", "healthy"}) {
    GpuFacts g;
    collect_pci_gpus(FsRoot(root(r)), g);
    ASSERT_TRUE(g.nvidia_pci_devices) << r;
    ASSERT_EQ(g.nvidia_pci_devices->size(), 1u) << r;  // the root port next to it is not NVIDIA
    EXPECT_EQ(g.nvidia_pci_devices->front().address, "0000:06:00.0") << r;
    EXPECT_EQ(g.nvidia_pci_devices->front().driver, "nvidia") << r;
    EXPECT_EQ(g.nvidia_pci_devices->front().device_id, "0x15f8") << r;
    EXPECT_EQ(*g.device_nodes, (Names{"nvidia-uvm", "nvidia-uvm-tools", "nvidia0", "nvidiactl"})) << r;
    EXPECT_EQ(g.device_nodes.source, "/dev/nvidia*") << r;
  }
}

TEST(PciCollect, BusWithoutGpu) {
  // A PCI bus with no NVIDIA device and no /dev/nvidia* nodes: an empty list, not "unknown".
  test::TempRoot dir;
  dir.mkdir("sys/bus/pci/devices");
  dir.mkdir("dev");
  GpuFacts g;
  collect_pci_gpus(FsRoot(dir.path()), g);
  ASSERT_TRUE(g.nvidia_pci_devices) << g.nvidia_pci_devices.unknown_why;
  EXPECT_TRUE(g.nvidia_pci_devices->empty());
  EXPECT_EQ(g.nvidia_pci_devices.source, "/sys/bus/pci/devices");
  ASSERT_TRUE(g.device_nodes);
  EXPECT_TRUE(g.device_nodes->empty());
}

TEST(PciCollect, NoPciBus) {
  GpuFacts g;
  collect_pci_gpus(FsRoot(host("does-not-exist")), g);
  EXPECT_FALSE(g.nvidia_pci_devices);
  EXPECT_EQ(g.nvidia_pci_devices.unknown_why, "no /sys/bus/pci (sysfs not mounted, or no PCI bus in this machine)");
  EXPECT_FALSE(g.device_nodes);
}

TEST(PciCollect, TruncatedAndGarbageAttributes) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "infertune-pci-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  std::filesystem::path dir(tmpl);
  auto put = [&](const std::string& rel, const std::string& text) {
    std::filesystem::create_directories((dir / rel).parent_path());
    test::write_text((dir / rel).string(), text);
  };
  const std::string devs = "sys/bus/pci/devices/";
  put(devs + "0000:01:00.0/vendor", "0x10de\n");  // a GPU without device, class nor driver link: no class -> skipped
  put(devs + "0000:02:00.0/vendor", "0x10");      // truncated vendor
  put(devs + "0000:03:00.0/vendor", "\xff\xfe");
  put(devs + "0000:03:00.0/class", "0x030000\n");
  put(devs + "0000:04:00.0/vendor", "0x10de\n");  // a GPU, device file garbage, no driver bound
  put(devs + "0000:04:00.0/class", "0x030000\n");
  put(devs + "0000:04:00.0/device", "garbage");
  put(devs + "0000:05:00.0/vendor", "0x10de\n");  // its audio function
  put(devs + "0000:05:00.0/class", "0x040300\n");
  put(devs + ".gitkeep", "");
  put("dev/nvidia-caps/nvidia-cap1", "");
  put("dev/null", "");
  GpuFacts g;
  collect_pci_gpus(FsRoot(dir.string()), g);
  ASSERT_TRUE(g.nvidia_pci_devices);
  ASSERT_EQ(g.nvidia_pci_devices->size(), 1u);
  EXPECT_EQ(g.nvidia_pci_devices->front().address, "0000:04:00.0");
  EXPECT_EQ(g.nvidia_pci_devices->front().device_id, "");
  EXPECT_EQ(g.nvidia_pci_devices->front().driver, "");
  EXPECT_EQ(*g.device_nodes, Names{"nvidia-caps"});
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace infertune
