#include "cli/gpu_report.h"

#include <set>
#include <string>
#include <vector>

#include "base/units.h"
#include "cli/target_report.h"
#include "collect/pci.h"
#include "facts/snapshot_json.h"
#include "rules/rule.h"

namespace infertune::cli {

namespace {

std::string join(const std::vector<std::string>& parts, const char* sep = " · ") {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

template <class T>
std::string or_unknown(const Fact<T>& f, const std::string& text) {
  return f ? text : "unknown";
}

std::string mib(int64_t b) { return units::bytes(static_cast<double>(b)); }
std::string watts(int64_t mw) { return units::number(static_cast<double>(mw) / 1000.0, 1) + " W"; }
std::string i(int64_t v) { return std::to_string(v); }

std::string yes_no(const Fact<bool>& f, const char* yes, const char* no) {
  if (!f) return "unknown";
  return *f ? yes : no;
}

Section looked_at(const Snapshot& s) {
  Section sec{"What was looked at", {}};
  const auto& pci = s.gpu.nvidia_pci_devices;
  std::string bus;
  if (!pci) {
    bus = "unknown (" + pci.unknown_why + ")";
  } else if (pci->empty()) {
    bus = pci.source + ": no NVIDIA display or 3D controller";
  } else {
    bus = pci.source + ": " + std::to_string(pci->size()) + " NVIDIA GPU" + (pci->size() == 1 ? "" : "s");
  }
  sec.rows.push_back({"PCI bus", bus});
  const auto& drv = s.gpu.driver;
  std::string module;
  if (drv.nvidia_module_loaded) {
    module =
        *drv.nvidia_module_loaded ? "nvidia loaded" : "nvidia not loaded (" + drv.nvidia_module_loaded.source + ")";
  } else {
    module = "nvidia unknown (" + drv.nvidia_module_loaded.unknown_why + ")";
  }
  std::string version = drv.kernel_module_version ? "version " + *drv.kernel_module_version : "";
  std::string nouveau = drv.nouveau_loaded && *drv.nouveau_loaded ? "nouveau loaded" : "";
  sec.rows.push_back({"Kernel driver", join({module, version, nouveau})});
  std::string nodes;
  if (drv.device_nodes) {
    for (const auto& n : *drv.device_nodes) {
      std::string access = !n.can_open_rw ? "" : *n.can_open_rw ? " (rw ok)" : " (no access)";
      nodes += (nodes.empty() ? "" : ", ") + n.name + access;
    }
    if (nodes.empty()) nodes = "none in " + drv.device_nodes.source;
  } else {
    nodes = "unknown (" + drv.device_nodes.unknown_why + ")";
  }
  sec.rows.push_back({"Device nodes", nodes});
  if (drv.persistenced_running) {
    sec.rows.push_back({"Persistence daemon",
                        *drv.persistenced_running ? "nvidia-persistenced running" : "nvidia-persistenced not running"});
  }
  const auto& nv = s.gpu.nvml;
  const bool under_root = s.root != "/" && !s.root.empty();
  std::string nvml;
  if (!nv.library && under_root) {
    nvml = "not probed under --root";
  } else if (!nv.library) {
    nvml = "not loaded: " + (nv.library.unknown_why.empty() ? std::string("not probed") : nv.library.unknown_why);
  } else {
    nvml = join({*nv.library, nv.init_result ? *nv.init_result : "",
                 s.gpu.driver.nvml_version ? "NVML " + *s.gpu.driver.nvml_version : "",
                 nv.missing_symbols && !nv.missing_symbols->empty()
                     ? std::to_string(nv.missing_symbols->size()) + " optional functions missing"
                     : ""});
  }
  sec.rows.push_back({"NVML", nvml});
  const auto& cu = s.gpu.cuda;
  std::string cuda;
  if (!cu.library && under_root) {
    cuda = "not probed under --root";
  } else if (!cu.library) {
    cuda = "not loaded: " + (cu.library.unknown_why.empty() ? std::string("not probed") : cu.library.unknown_why);
  } else if (cu.init_result && *cu.init_result != 0) {
    cuda = *cu.library + " · cuInit failed: " + cu.init_error_name.value_or("error") + " (" +
           std::to_string(*cu.init_result) + ")" + (cu.init_error_string ? ", " + *cu.init_error_string : "");
  } else {
    cuda = join({*cu.library, cu.init_result ? "cuInit ok" : "cuInit " + cu.init_result.unknown_why,
                 cu.driver_api_version ? "driver API " + *cu.driver_api_version : "",
                 cu.device_count
                     ? std::to_string(*cu.device_count) + " device" + (*cu.device_count == 1 ? "" : "s") + " visible"
                     : ""});
  }
  sec.rows.push_back({"CUDA driver", cuda});
  std::string state;
  if (s.gpu.devices) {
    state = "read from " + s.gpu.devices.source;
  } else if (!nv.library && !nv.library.unknown_why.empty() && s.gpu.devices.unknown_why.rfind("no NVML", 0) == 0) {
    state = "not read (no NVML library, see above)";
  } else {
    state = "not read: " + s.gpu.devices.unknown_why;
  }
  sec.rows.push_back({"GPU state", state});
  std::string vis;
  if (s.process.env) {
    for (const char* var : {"CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"}) {
      auto it = s.process.env->find(var);
      if (it != s.process.env->end()) vis += (vis.empty() ? "" : ", ") + std::string(var) + "=" + it->second;
    }
    if (vis.empty()) vis = "CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES not set";
    sec.rows.push_back({"Visibility", vis});
  }
  return sec;
}

const PciDeviceFacts* pci_of(const Snapshot& s, const GpuDeviceFacts& d) {
  if (!s.gpu.nvidia_pci_devices || !d.pci_bus_id) return nullptr;
  for (const auto& p : *s.gpu.nvidia_pci_devices) {
    if (p.address == *d.pci_bus_id) return &p;
  }
  return nullptr;
}

Section device_section(const Snapshot& s, const GpuDeviceFacts& d) {
  Section sec{"GPU " + i(d.index.value_or(0)) + (d.name ? " · " + *d.name : ""), {}};
  const PciDeviceFacts* p = pci_of(s, d);
  sec.rows.push_back({"Bus id", join({d.pci_bus_id.value_or("unknown"), d.uuid.value_or(""),
                                      p ? "kernel driver " + (p->driver.empty() ? "none" : p->driver) : "",
                                      p && p->numa_node && *p->numa_node >= 0 ? "NUMA " + i(*p->numa_node) : ""})});
  const auto& drv = s.gpu.driver;
  sec.rows.push_back({"Driver", join({drv.driver_version ? *drv.driver_version : "unknown",
                                      drv.cuda_driver_version ? "CUDA " + *drv.cuda_driver_version : "",
                                      d.compute_capability ? "compute capability " + *d.compute_capability : "",
                                      d.vbios_version ? "VBIOS " + *d.vbios_version : ""})});
  std::string mem = "unknown";
  if (d.memory_used_bytes && d.memory_total_bytes && *d.memory_total_bytes > 0) {
    mem = mib(*d.memory_used_bytes) + " used of " + mib(*d.memory_total_bytes) + " (" +
          units::percent(static_cast<double>(*d.memory_used_bytes) / static_cast<double>(*d.memory_total_bytes)) + ")";
  } else if (d.memory_total_bytes) {
    mem = mib(*d.memory_total_bytes) + " total";
  }
  sec.rows.push_back({"Memory", mem});
  sec.rows.push_back(
      {"Utilization", join({or_unknown(d.utilization_gpu_pct, "GPU " + i(d.utilization_gpu_pct.value_or(0)) + "%"),
                            d.utilization_memory_pct ? "memory " + i(*d.utilization_memory_pct) + "%" : ""})});
  if (d.encoder_utilization_pct || d.decoder_utilization_pct) {
    sec.rows.push_back(
        {"Video", join({d.encoder_utilization_pct ? "encoder " + i(*d.encoder_utilization_pct) + "%" : "",
                        d.decoder_utilization_pct ? "decoder " + i(*d.decoder_utilization_pct) + "%" : ""})});
  }
  sec.rows.push_back({"Temperature", or_unknown(d.temperature_c, i(d.temperature_c.value_or(0)) + " C")});
  std::string power = d.power_draw_mw ? watts(*d.power_draw_mw) : "unknown";
  if (d.power_limit_mw) power += " of " + watts(*d.power_limit_mw) + " limit";
  sec.rows.push_back({"Power", power});
  auto clock = [](const Fact<int64_t>& now, const Fact<int64_t>& max) {
    if (!now) return std::string("unknown");
    return i(*now) + (max ? " of " + i(*max) : std::string()) + " MHz";
  };
  sec.rows.push_back({"Clocks", "SM " + clock(d.sm_clock_mhz, d.sm_clock_max_mhz) + " · memory " +
                                    clock(d.mem_clock_mhz, d.mem_clock_max_mhz)});
  std::string link = "unknown";
  if (d.pcie_gen_current || d.pcie_width_current) {
    link = "now " +
           join({d.pcie_gen_current ? "gen " + i(*d.pcie_gen_current) : "",
                 d.pcie_width_current ? "x" + i(*d.pcie_width_current) : ""},
                " ") +
           ", max " +
           join({d.pcie_gen_max ? "gen " + i(*d.pcie_gen_max) : "", d.pcie_width_max ? "x" + i(*d.pcie_width_max) : ""},
                " ");
  }
  if (d.pcie_tx_bytes_per_s || d.pcie_rx_bytes_per_s) {
    link += " · " + join({d.pcie_rx_bytes_per_s ? "rx " + mib(*d.pcie_rx_bytes_per_s) + "/s" : "",
                          d.pcie_tx_bytes_per_s ? "tx " + mib(*d.pcie_tx_bytes_per_s) + "/s" : ""},
                         ", ");
  }
  sec.rows.push_back({"PCIe link", link});
  std::string reasons = "unknown";
  if (d.clock_event_reasons) reasons = d.clock_event_reasons->empty() ? "none" : join(*d.clock_event_reasons, ", ");
  sec.rows.push_back({"Throttle reasons", reasons});
  std::string ecc = yes_no(d.ecc_mode, "on", "off");
  if (d.ecc_volatile_uncorrectable) ecc += " · uncorrectable " + i(*d.ecc_volatile_uncorrectable) + " since load";
  if (d.ecc_aggregate_uncorrectable) ecc += ", " + i(*d.ecc_aggregate_uncorrectable) + " lifetime";
  if (d.retired_pages_pending && *d.retired_pages_pending) ecc += " · page retirement pending";
  if (d.remapped_rows_pending && *d.remapped_rows_pending) ecc += " · row remap pending";
  if (d.remapped_rows_failure && *d.remapped_rows_failure) ecc += " · row remap FAILED";
  sec.rows.push_back({"ECC", ecc});
  sec.rows.push_back(
      {"Modes", join({"persistence " + yes_no(d.persistence_mode, "on", "off"),
                      "compute " + d.compute_mode.value_or("unknown"), "MIG " + yes_no(d.mig_mode, "on", "off")})});
  if (d.mig_devices) {
    for (const auto& m : *d.mig_devices) {
      std::string slice = m.memory_total_bytes ? mib(*m.memory_total_bytes) : "";
      if (m.memory_used_bytes && m.memory_total_bytes) slice = mib(*m.memory_used_bytes) + " used of " + slice;
      sec.rows.push_back({"MIG " + i(m.index),
                          join({m.uuid.value_or("uuid unknown"), m.gpu_instance_id ? "GI " + i(*m.gpu_instance_id) : "",
                                m.compute_instance_id ? "CI " + i(*m.compute_instance_id) : "", slice})});
    }
  }
  return sec;
}

Section pci_section(const PciDeviceFacts& p) {
  Section sec{"GPU " + p.address + (p.name ? " · " + *p.name : " · " + p.vendor_id + ":" + p.device_id), {}};
  sec.rows.push_back({"Kernel driver", p.driver.empty() ? "none bound" : p.driver});
  if (p.numa_node) sec.rows.push_back({"NUMA node", *p.numa_node < 0 ? "none" : i(*p.numa_node)});
  auto speed = [](const Fact<double>& gts) {
    if (!gts) return std::string("?");
    int gen = pcie_gen_of_gts(*gts);
    return (gen > 0 ? "gen " + i(gen) + " " : std::string()) + "(" + units::number(*gts, 1) + " GT/s)";
  };
  auto width = [](const Fact<int64_t>& w) { return w ? "x" + i(*w) : std::string("x?"); };
  if (p.current_link_gts || p.current_link_width || p.max_link_gts || p.max_link_width) {
    sec.rows.push_back({"PCIe link", "now " + speed(p.current_link_gts) + " " + width(p.current_link_width) + ", max " +
                                         speed(p.max_link_gts) + " " + width(p.max_link_width)});
  }
  sec.rows.push_back({"State",
                      "memory, utilization, clocks, throttle reasons, ECC and processes need NVML, which did not "
                      "answer (see NVML above; nvidia-smi -q -x output can be imported with --from-smi-xml)"});
  return sec;
}

Section process_section(const std::vector<GpuDeviceFacts>& devs, std::optional<int64_t> target) {
  Section sec{"Processes", {}};
  for (const auto& d : devs) {
    if (!d.processes) continue;
    for (const auto& p : *d.processes) {
      sec.rows.push_back({"pid " + i(p.pid) + (target && *target == p.pid ? " (target)" : ""),
                          join({"GPU " + i(d.index.value_or(0)), p.type,
                                p.used_memory_bytes ? mib(*p.used_memory_bytes) : "memory unknown",
                                p.sm_utilization_pct ? "SM " + i(*p.sm_utilization_pct) + "%" : "", p.name})});
    }
  }
  if (sec.rows.empty()) sec.rows.push_back({"none", "no process holds a GPU context"});
  return sec;
}

}  // namespace

Report gpu_report(const Snapshot& s, const std::string& subject) {
  Report r;
  r.command = "gpu";
  r.subject = subject;
  r.sections.push_back(looked_at(s));
  if (s.gpu.devices) {
    for (const auto& d : *s.gpu.devices) r.sections.push_back(device_section(s, d));
    r.sections.push_back(process_section(*s.gpu.devices, target_host_pid(s)));
  } else if (s.gpu.nvidia_pci_devices) {
    for (const auto& p : *s.gpu.nvidia_pci_devices) r.sections.push_back(pci_section(p));
  }
  if (auto t = target_section(s)) r.sections.push_back(std::move(*t));
  std::set<std::string> gpu_ids;
  for (const auto& rule : all_rules()) {
    if (std::string(rule.area) == "gpu") gpu_ids.insert(rule.id);
  }
  for (auto& f : run_rules(s)) {
    if (gpu_ids.count(f.id)) r.findings.push_back(std::move(f));
  }
  Json j = snapshot_to_json(s);
  for (auto it = j["unknown"].begin(); it != j["unknown"].end(); ++it) {
    if (it.key().rfind("gpu.", 0) != 0) continue;
    r.unknowns.push_back(it.key() + ": " + (it->is_string() ? it->get<std::string>() : std::string("?")));
  }
  r.notes = s.notes;
  r.data = std::move(j);
  return r;
}

}  // namespace infertune::cli
