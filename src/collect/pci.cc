#include "collect/pci.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "collect/pci_ids.h"

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

std::optional<double> parse_link_speed_gts(std::string_view text) {
  auto words = str::split_ws(str::trim(text));
  if (words.size() < 2 || words[1] != "GT/s") return std::nullopt;
  auto v = str::parse_double(words[0]);
  if (!v || *v <= 0 || *v > 1000) return std::nullopt;
  return v;
}

int pcie_gen_of_gts(double gts) {
  static constexpr double kRates[] = {2.5, 5.0, 8.0, 16.0, 32.0, 64.0};
  for (int i = 0; i < 6; ++i) {
    if (gts > kRates[i] - 0.1 && gts < kRates[i] + 0.1) return i + 1;
  }
  return 0;
}

namespace {

// The name of each device from the first pci.ids found, else the built-in table.
void name_devices(const FsRoot& fs, std::vector<PciDeviceFacts>& gpus) {
  if (gpus.empty()) return;
  std::string ids_text;
  std::string ids_path;
  for (std::string_view p : kPciIdsPaths) {
    auto t = fs.read(fs.system(p), 8u << 20);
    if (t.ok()) {
      ids_text = std::move(*t);
      ids_path = std::string(p);
      break;
    }
  }
  for (auto& d : gpus) {
    if (d.device_id.size() != 6) {
      d.name.unknown("device id unreadable");
      continue;
    }
    std::string dev = d.device_id.substr(2);
    if (!ids_path.empty()) {
      if (auto n = pci_ids_lookup(ids_text, "10de", dev)) {
        d.name.set(*n, ids_path);
        continue;
      }
    }
    if (auto n = builtin_nvidia_gpu_name(dev)) {
      d.name.set(*n, "built-in table (from pci.ids)");
    } else {
      d.name.unknown(ids_path.empty() ? "no pci.ids on the system and not in the built-in table"
                                      : "not in " + ids_path + " nor in the built-in table");
    }
  }
}

void read_link(const FsRoot& fs, const std::string& base, PciDeviceFacts& d) {
  auto speed = [&](const char* attr, Fact<double>& out) {
    SysPath p = fs.sys(base + attr);
    auto t = fs.read(p, 64);
    if (!t.ok()) return out.unknown(t.error().message);
    if (auto v = parse_link_speed_gts(*t)) return out.set(*v, p.display);
    out.unknown(p.display + ": not a link speed (" + std::string(str::trim(*t)) + ")");
  };
  auto number = [&](const char* attr, Fact<int64_t>& out, int64_t lo, int64_t hi) {
    SysPath p = fs.sys(base + attr);
    auto t = fs.read(p, 64);
    if (!t.ok()) return out.unknown(t.error().message);
    auto v = str::parse_i64(*t);
    if (v && *v >= lo && *v <= hi) return out.set(*v, p.display);
    out.unknown(p.display + ": unexpected value (" + std::string(str::trim(*t)) + ")");
  };
  speed("current_link_speed", d.current_link_gts);
  speed("max_link_speed", d.max_link_gts);
  number("current_link_width", d.current_link_width, 0, 32);  // 0: link down
  number("max_link_width", d.max_link_width, 1, 32);
  number("numa_node", d.numa_node, -1, 4096);
}

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
    read_link(fs, base, d);
    gpus.push_back(std::move(d));
  }
  std::sort(gpus.begin(), gpus.end(),
            [](const PciDeviceFacts& a, const PciDeviceFacts& b) { return a.address < b.address; });
  name_devices(fs, gpus);
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
