#include "collect/cpu.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/strings.h"

namespace infertune {

namespace {

// The flags worth reporting for inference on the CPU side (vector width, bf16/fp16, AMX tiles).
constexpr std::string_view kFlagsOfInterest[] = {"avx",         "avx2",     "avx512f",  "avx512_bf16",
                                                 "avx512_fp16", "amx_tile", "amx_bf16", "fma"};

// aarch64 "CPU implementer" codes (arch/arm64/include/asm/cputype.h) and the parts seen in servers.
struct ArmPart {
  unsigned implementer;
  unsigned part;
  std::string_view name;
};
constexpr std::pair<unsigned, std::string_view> kArmImplementers[] = {
    {0x41, "ARM"},    {0x42, "Broadcom"}, {0x43, "Cavium"},   {0x46, "Fujitsu"}, {0x48, "HiSilicon"},
    {0x4e, "NVIDIA"}, {0x50, "APM"},      {0x51, "Qualcomm"}, {0x61, "Apple"},   {0xc0, "Ampere"},
};
constexpr ArmPart kArmParts[] = {
    {0x41, 0xd03, "Cortex-A53"},  {0x41, 0xd07, "Cortex-A57"},  {0x41, 0xd08, "Cortex-A72"},
    {0x41, 0xd0b, "Cortex-A76"},  {0x41, 0xd0c, "Neoverse-N1"}, {0x41, 0xd40, "Neoverse-V1"},
    {0x41, 0xd49, "Neoverse-N2"}, {0x41, 0xd4f, "Neoverse-V2"}, {0x41, 0xd8e, "Neoverse-N3"},
    {0x41, 0xd84, "Neoverse-V3"}, {0x43, 0x0af, "ThunderX2"},   {0x48, 0xd01, "Kunpeng-920"},
    {0xc0, 0xac3, "AmpereOne"},
};

std::optional<unsigned> parse_hex(std::string_view s) {
  s = str::trim(s);
  if (str::starts_with(s, "0x") || str::starts_with(s, "0X")) s.remove_prefix(2);
  if (s.empty() || s.size() > 8) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    unsigned d = 0;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = static_cast<unsigned>(c - 'A' + 10);
    else
      return std::nullopt;
    v = v * 16 + d;
  }
  return v;
}

std::string hex(unsigned v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v % 16]);
    v /= 16;
  } while (v != 0);
  return "0x" + s;
}

}  // namespace

std::optional<CpuInfo> parse_cpuinfo(std::string_view text) {
  CpuInfo info;
  std::set<std::string> packages;
  std::set<std::pair<std::string, std::string>> cores;
  std::string cur_package, cur_core;
  bool have_package = false, have_core = false;
  bool flags_taken = false;
  std::string implementer, part;

  auto end_block = [&] {
    if (have_package) {
      packages.insert(cur_package);
      if (have_core) cores.insert({cur_package, cur_core});
    }
    have_package = have_core = false;
  };

  for (std::string_view line : str::lines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = str::trim(line.substr(0, colon));
    std::string_view val = str::trim(line.substr(colon + 1));
    if (key == "processor") {
      // A new logical CPU. (Old 32-bit ARM kernels also print "Processor : ARMv7 ..." with a capital P.)
      if (!str::parse_i64(val)) continue;
      end_block();
      ++info.processors;
    } else if (key == "model name" && info.model.empty()) {
      info.model = std::string(val);
    } else if (key == "vendor_id" && info.vendor.empty()) {
      info.vendor = std::string(val);
    } else if (key == "physical id") {
      if (str::parse_i64(val)) cur_package = std::string(val), have_package = true;
    } else if (key == "core id") {
      if (str::parse_i64(val)) cur_core = std::string(val), have_core = true;
    } else if ((key == "flags" || key == "Features") && !flags_taken) {
      for (auto f : str::split_ws(val)) info.flags.emplace_back(f);
      flags_taken = true;
    } else if (key == "CPU implementer" && implementer.empty()) {
      implementer = std::string(val);
    } else if (key == "CPU part" && part.empty()) {
      part = std::string(val);
    }
  }
  end_block();
  if (info.processors == 0) return std::nullopt;

  if (info.vendor.empty() && !implementer.empty()) {
    auto impl = parse_hex(implementer);
    info.vendor = impl ? hex(*impl) : implementer;
    for (const auto& [code, name] : kArmImplementers) {
      if (impl && *impl == code) info.vendor = std::string(name);
    }
    if (info.model.empty()) {
      auto p = parse_hex(part);
      for (const auto& ap : kArmParts) {
        if (impl && p && ap.implementer == *impl && ap.part == *p) info.model = std::string(ap.name);
      }
      if (info.model.empty() && impl && p) info.model = "implementer " + hex(*impl) + " part " + hex(*p);
    }
  }
  if (!packages.empty()) info.sockets = static_cast<int64_t>(packages.size());
  if (!cores.empty()) info.cores = static_cast<int64_t>(cores.size());
  return info;
}

std::vector<std::string> cpu_flags_of_interest(const std::vector<std::string>& flags) {
  std::vector<std::string> out;
  for (std::string_view want : kFlagsOfInterest) {
    if (std::find(flags.begin(), flags.end(), want) != flags.end()) out.emplace_back(want);
  }
  return out;
}

std::optional<double> parse_cpufreq_khz_as_mhz(std::string_view text) {
  auto v = str::parse_u64(text);
  if (!v || *v == 0 || *v > 100'000'000) return std::nullopt;  // > 100 GHz is garbage
  return static_cast<double>(*v) / 1000.0;
}

std::optional<std::string> parse_governor(std::string_view text) {
  std::string_view t = str::trim(text);
  if (t.empty() || t.size() > 64) return std::nullopt;
  for (char c : t) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return std::nullopt;
  }
  return std::string(t);
}

namespace {

// cpu0, cpu1, ... under /sys/devices/system/cpu (not cpufreq, cpuidle, ...).
std::vector<std::string> cpu_dirs(const FsRoot& fs) {
  std::vector<std::string> out;
  auto entries = fs.list(fs.sys("devices/system/cpu"));
  if (!entries.ok()) return out;
  for (const auto& e : *entries) {
    if (e.is_dir && str::starts_with(e.name, "cpu") && e.name.size() > 3 && str::parse_u64(e.name.substr(3))) {
      out.push_back(e.name);
    }
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return *str::parse_u64(std::string_view(a).substr(3)) < *str::parse_u64(std::string_view(b).substr(3));
  });
  return out;
}

// Sockets and cores from sysfs topology, for CPUs whose cpuinfo has no "physical id" (aarch64).
void topology_from_sysfs(const FsRoot& fs, const std::vector<std::string>& cpus, CpuFacts& out) {
  std::set<int64_t> packages;
  std::set<std::pair<int64_t, int64_t>> cores;
  for (const auto& cpu : cpus) {
    auto pkg = fs.read(fs.sys("devices/system/cpu/" + cpu + "/topology/physical_package_id"), 64);
    if (!pkg.ok()) continue;
    auto p = str::parse_i64(*pkg);
    if (!p || *p < 0) continue;  // -1: the firmware does not say
    packages.insert(*p);
    auto core = fs.read(fs.sys("devices/system/cpu/" + cpu + "/topology/core_id"), 64);
    if (core.ok()) {
      if (auto c = str::parse_i64(*core)) cores.insert({*p, *c});
    }
  }
  const std::string src = fs.sys("devices/system/cpu/cpu*/topology").display;
  const std::string why = fs.proc("cpuinfo").display + " has no \"physical id\" and sysfs has no CPU topology";
  if (!packages.empty()) {
    out.sockets.set(static_cast<int64_t>(packages.size()), src + "/physical_package_id");
  } else {
    out.sockets.unknown(why);
  }
  if (!cores.empty()) {
    out.cores.set(static_cast<int64_t>(cores.size()), src + "/core_id");
  } else {
    out.cores.unknown(why);
  }
}

void collect_cpufreq(const FsRoot& fs, const std::vector<std::string>& cpus, CpuFacts& out) {
  std::set<std::string> governors;
  std::optional<double> max_mhz;
  for (const auto& cpu : cpus) {
    std::string base = "devices/system/cpu/" + cpu + "/cpufreq/";
    auto gov = fs.read(fs.sys(base + "scaling_governor"), 256);
    if (gov.ok()) {
      if (auto g = parse_governor(*gov)) governors.insert(*g);
    }
    auto freq = fs.read(fs.sys(base + "cpuinfo_max_freq"), 64);
    if (freq.ok()) {
      if (auto m = parse_cpufreq_khz_as_mhz(*freq)) max_mhz = std::max(max_mhz.value_or(0.0), *m);
    }
  }
  const std::string why = "no cpufreq in sysfs (virtual machine or driver not loaded)";
  if (!governors.empty()) {
    out.governors.set({governors.begin(), governors.end()},
                      fs.sys("devices/system/cpu/cpu*/cpufreq/scaling_governor").display);
  } else {
    out.governors.unknown(why);
  }
  if (max_mhz) {
    out.max_mhz.set(*max_mhz, fs.sys("devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq").display);
  } else {
    out.max_mhz.unknown(why);
  }
}

void collect_numa(const FsRoot& fs, CpuFacts& out) {
  SysPath p = fs.sys("devices/system/node");
  auto entries = fs.list(p);
  if (!entries.ok()) {
    out.numa_nodes.unknown(entries.error().message + " (kernel without NUMA support?)");
    return;
  }
  int64_t n = 0;
  for (const auto& e : *entries) {
    if (e.is_dir && str::starts_with(e.name, "node") && e.name.size() > 4 && str::parse_u64(e.name.substr(4))) ++n;
  }
  if (n > 0) {
    out.numa_nodes.set(n, p.display + "/node*");
  } else {
    out.numa_nodes.unknown(p.display + " has no node<N> directory");
  }
}

}  // namespace

void collect_cpu(const FsRoot& fs, CpuFacts& out) {
  SysPath cpuinfo_path = fs.proc("cpuinfo");
  auto text = fs.read(cpuinfo_path);
  std::optional<CpuInfo> info;
  std::string why;
  if (!text.ok()) {
    why = text.error().message;
  } else {
    info = parse_cpuinfo(*text);
    if (!info) why = cpuinfo_path.display + " has no \"processor\" entry";
  }
  const std::string& src = cpuinfo_path.display;
  auto put_str = [&](Fact<std::string>& f, const std::string& v, const char* what) {
    if (info && !v.empty()) {
      f.set(v, src);
    } else {
      f.unknown(info ? src + " has no " + what : why);
    }
  };
  put_str(out.model, info ? info->model : std::string(), "\"model name\" or \"CPU part\"");
  put_str(out.vendor, info ? info->vendor : std::string(), "\"vendor_id\" or \"CPU implementer\"");
  if (info) {
    out.flags_of_interest.set(cpu_flags_of_interest(info->flags), src);
  } else {
    out.flags_of_interest.unknown(why);
  }

  std::vector<std::string> cpus = cpu_dirs(fs);
  if (info && info->sockets) {
    out.sockets.set(*info->sockets, src);
    if (info->cores) {
      out.cores.set(*info->cores, src);
    } else {
      out.cores.unknown(src + " has \"physical id\" but no \"core id\"");
    }
  } else {
    topology_from_sysfs(fs, cpus, out);
  }

  SysPath online = fs.sys("devices/system/cpu/online");
  auto online_text = fs.read(online, 4096);
  std::optional<std::vector<int>> online_cpus;
  if (online_text.ok()) online_cpus = str::parse_cpu_list(*online_text);
  if (online_cpus && !online_cpus->empty()) {
    out.online_list.set(std::string(str::trim(*online_text)), online.display);
    out.logical_cpus.set(static_cast<int64_t>(online_cpus->size()), online.display);
  } else {
    std::string owhy = online_text.ok() ? online.display + ": not a CPU list" : online_text.error().message;
    out.online_list.unknown(owhy);
    if (info) {
      out.logical_cpus.set(info->processors, src);
    } else {
      out.logical_cpus.unknown(owhy + "; " + why);
    }
  }

  collect_numa(fs, out);
  collect_cpufreq(fs, cpus, out);
}

}  // namespace infertune
