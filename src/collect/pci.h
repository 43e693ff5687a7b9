#pragma once
// NVIDIA GPUs as the PCI bus shows them (sysfs), and the /dev/nvidia* nodes: what can be known about the GPUs
// without loading any NVIDIA library.

#include <optional>
#include <string>
#include <string_view>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

inline constexpr std::string_view kPciVendorNvidia = "0x10de";

// A sysfs hex attribute ("0x10de\n", "0x030200\n"): lower-cased "0x..." with exactly `digits` hex digits;
// nullopt otherwise.
std::optional<std::string> parse_pci_hex(std::string_view text, size_t digits);

// Vendor NVIDIA and PCI base class 0x03 (display controller: VGA 0x0300xx or 3D 0x0302xx).
bool is_nvidia_gpu(std::string_view vendor_id, std::string_view class_code);

// The driver name from the target of a device's `driver` link ("../../../../bus/pci/drivers/nvidia" ->
// "nvidia"); "" for an empty target.
std::string driver_from_link(std::string_view target);

// A sysfs link speed ("8.0 GT/s PCIe", "2.5 GT/s", "16 GT/s") in GT/s; nullopt for "Unknown" or garbage.
std::optional<double> parse_link_speed_gts(std::string_view text);
// PCIe generation of a per-lane transfer rate: 2.5 -> 1, 5 -> 2, 8 -> 3, 16 -> 4, 32 -> 5, 64 -> 6; 0 otherwise.
int pcie_gen_of_gts(double gts);

// Where pci.ids may live on the diagnosed system, in order (read through FsRoot::system()).
inline constexpr std::string_view kPciIdsPaths[] = {"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids"};

// Fills nvidia_pci_devices from /sys/bus/pci/devices/* and device_nodes from /dev/nvidia*.
void collect_pci_gpus(const FsRoot& fs, GpuFacts& out);

}  // namespace infertune
