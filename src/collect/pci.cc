#include "collect/pci.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace infertune {

std::optional<std::string> parse_pci_hex(std::string_view text, size_t digits) {
  std::string_view t = str::trim(text);
  if (!(str::starts_with(t, "0x") || str::starts_with(t, "0X"))) return std::nullopt;
  t.remove_prefix(2);
  if (t.size() != digits) return std::nullopt;
  std::string out = "0x";
  for (char c : t) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool is_nvidia_gpu(std::string_view vendor_id, std::string_view class_code) {
  return vendor_id == kPciVendorNvidia && str::starts_with(class_code, "0x03");
}

std::string driver_from_link(std::string_view target) {
  while (!target.empty() && target.back() == '/') target.remove_suffix(1);
  size_t slash = target.rfind('/');
  return std::string(slash == std::string_view::npos ? target : target.substr(slash + 1));
}

namespace {

void collect_devices(const FsRoot& fs, GpuFacts& out) {
  SysPath bus = fs.sys("bus/pci");
  SysPath devices = fs.sys("bus/pci/devices");
  if (!fs.is_dir(bus)) {
    out.nvidia_pci_devices.unknown("no " + bus.display + " (sysfs not mounted, or no PCI bus in this machine)");
    return;
  }
  auto entries = fs.list(devices);
  if (!entries.ok()) {
    out.nvidia_pci_devices.unknown(entries.error().message);
    return;
  }
  std::vector<PciDeviceFacts> gpus;
  for (const auto& e : *entries) {
    if (e.name.empty() || e.name.front() == '.') continue;
    std::string base = "bus/pci/devices/" + e.name + "/";
    auto vendor_text = fs.read(fs.sys(base + "vendor"), 64);
    if (!vendor_text.ok()) continue;
    auto vendor = parse_pci_hex(*vendor_text, 4);
    if (!vendor || *vendor != kPciVendorNvidia) continue;
    auto class_text = fs.read(fs.sys(base + "class"), 64);
    std::optional<std::string> cls;
    if (class_text.ok()) cls = parse_pci_hex(*class_text, 6);
    if (!cls || !is_nvidia_gpu(*vendor, *cls)) continue;  // NVIDIA audio/USB/bridge functions, NVSwitch (0x0680)
    PciDeviceFacts d;
    d.address = e.name;
    d.vendor_id = *vendor;
    d.class_code = *cls;
    auto device_text = fs.read(fs.sys(base + "device"), 64);
    if (device_text.ok()) {
      if (auto id = parse_pci_hex(*device_text, 4)) d.device_id = *id;
    }
    auto link = fs.readlink(fs.sys(base + "driver"));
    if (link.ok()) d.driver = driver_from_link(*link);
    gpus.push_back(std::move(d));
  }
  std::sort(gpus.begin(), gpus.end(),
            [](const PciDeviceFacts& a, const PciDeviceFacts& b) { return a.address < b.address; });
  out.nvidia_pci_devices.set(std::move(gpus), devices.display);
}

void collect_device_nodes(const FsRoot& fs, GpuFacts& out) {
  SysPath dev = fs.dev("");
  auto entries = fs.list(dev);
  if (!entries.ok()) {
    out.device_nodes.unknown(entries.error().message);
    return;
  }
  std::vector<std::string> nodes;
  for (const auto& e : *entries) {
    if (str::starts_with(e.name, "nvidia")) nodes.push_back(e.name);
  }
  std::sort(nodes.begin(), nodes.end());
  out.device_nodes.set(std::move(nodes), dev.display + "/nvidia*");
}

}  // namespace

void collect_pci_gpus(const FsRoot& fs, GpuFacts& out) {
  collect_devices(fs, out);
  collect_device_nodes(fs, out);
}

}  // namespace infertune
