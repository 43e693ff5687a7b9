#include "collect/gpu_driver.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace infertune {

bool looks_like_driver_version(std::string_view s) {
  auto parts = str::split(s, '.');
  if (parts.size() < 2) return false;
  for (auto p : parts) {
    if (p.empty() || p.size() > 6) return false;
    for (char c : p) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
  }
  return true;
}

std::optional<std::string> parse_nvrm_version(std::string_view text) {
  for (std::string_view line : str::lines(text)) {
    if (!str::starts_with(line, "NVRM version:")) continue;
    for (auto w : str::split_ws(line.substr(13))) {
      if (looks_like_driver_version(w)) return std::string(w);
    }
  }
  return std::nullopt;
}

namespace {

void module_version(const FsRoot& fs, GpuDriverFacts& out) {
  SysPath proc = fs.proc("driver/nvidia/version");
  auto t = fs.read(proc, 4096);
  if (t.ok()) {
    if (auto v = parse_nvrm_version(*t)) return out.kernel_module_version.set(*v, proc.display);
  }
  SysPath sys = fs.sys("module/nvidia/version");
  auto s = fs.read(sys, 256);
  if (s.ok() && looks_like_driver_version(str::trim(*s))) {
    return out.kernel_module_version.set(std::string(str::trim(*s)), sys.display);
  }
  out.kernel_module_version.unknown("neither " + proc.display + " nor " + sys.display +
                                    " gives a version (the nvidia kernel module is not loaded, or not visible here)");
}

void modules(const FsRoot& fs, GpuDriverFacts& out) {
  SysPath mods = fs.sys("module");
  if (!fs.is_dir(mods)) {
    out.nvidia_module_loaded.unknown("no " + mods.display);
    out.nouveau_loaded.unknown("no " + mods.display);
    return;
  }
  SysPath nv = fs.sys("module/nvidia");
  out.nvidia_module_loaded.set(fs.is_dir(nv), nv.display);
  SysPath nouveau = fs.sys("module/nouveau");
  out.nouveau_loaded.set(fs.is_dir(nouveau), nouveau.display);
}

void persistenced(const FsRoot& fs, GpuDriverFacts& out) {
  SysPath proc = fs.proc("");
  auto entries = fs.list(proc);
  if (!entries.ok()) return out.persistenced_running.unknown(entries.error().message);
  bool found = false;
  size_t seen = 0;
  for (const auto& e : *entries) {
    if (e.name.empty() || !std::all_of(e.name.begin(), e.name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    auto comm = fs.read(fs.proc(e.name + "/comm"), 64);
    if (!comm.ok()) continue;
    ++seen;
    // comm is cut to 15 characters: "nvidia-persistenced" reads "nvidia-persiste".
    if (str::starts_with(str::trim(*comm), "nvidia-persiste")) {
      found = true;
      break;
    }
  }
  if (!found && seen == 0) return out.persistenced_running.unknown("no process visible in " + proc.display);
  out.persistenced_running.set(found, fs.proc("*/comm").display);
}

void nodes(const FsRoot& fs, GpuDriverFacts& out) {
  SysPath dev = fs.dev("");
  auto entries = fs.list(dev);
  if (!entries.ok()) return out.device_nodes.unknown(entries.error().message);
  std::vector<DeviceNodeFacts> list;
  for (const auto& e : *entries) {
    if (!str::starts_with(e.name, "nvidia") || e.is_dir) continue;
    DeviceNodeFacts n;
    n.name = e.name;
    SysPath p = fs.dev(e.name);
    if (fs.is_live()) {
      n.can_open_rw.set(fs.can_open_rw(p), "access(" + p.display + ", R_OK|W_OK)");
    } else {
      n.can_open_rw.unknown("not checked under --root (a copy of another machine's files)");
    }
    list.push_back(std::move(n));
  }
  std::sort(list.begin(), list.end(),
            [](const DeviceNodeFacts& a, const DeviceNodeFacts& b) { return a.name < b.name; });
  out.device_nodes.set(std::move(list), dev.display + "/nvidia*");
}

}  // namespace

void collect_gpu_driver(const FsRoot& fs, GpuDriverFacts& out) {
  modules(fs, out);
  module_version(fs, out);
  persistenced(fs, out);
  nodes(fs, out);
  const char* why = "reported by nvidia-smi or NVML (not probed)";
  out.driver_version.unknown(why);
  out.cuda_driver_version.unknown(why);
  out.nvml_version.unknown(why);
}

}  // namespace infertune
