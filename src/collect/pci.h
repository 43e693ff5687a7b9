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

// Fills nvidia_pci_devices from /sys/bus/pci/devices/* and device_nodes from /dev/nvidia*.
void collect_pci_gpus(const FsRoot& fs, GpuFacts& out);

}  // namespace infertune
