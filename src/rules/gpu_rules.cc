// GPU rules over what the PCI bus, /dev, /proc, /sys and the driver (nvidia-smi import or NVML) report.
// Pure functions of the Snapshot, like every rule.

#include <algorithm>
#include <string>

#include "base/strings.h"
#include "base/units.h"
#include "rules/rule.h"

namespace infertune {

namespace {

// Utilization at or above which a GPU counts as busy: idle GPUs lower their clocks and PCIe link on purpose.
constexpr int64_t kBusyPct = 30;
constexpr double kMemoryFullShare = 0.95;

std::string gpu_label(const GpuDeviceFacts& d) {
  std::string s = "GPU " + std::to_string(d.index.value_or(0));
  if (d.name) s += " " + *d.name;
  if (d.pci_bus_id) s += " (" + *d.pci_bus_id + ")";
  return s;
}

bool busy(const GpuDeviceFacts& d) { return d.utilization_gpu_pct && *d.utilization_gpu_pct >= kBusyPct; }

Evidence util_evidence(const GpuDeviceFacts& d) {
  return evidence_of(gpu_label(d) + " utilization", d.utilization_gpu_pct,
                     std::to_string(d.utilization_gpu_pct.value_or(0)) + "%");
}

// --- bound driver ------------------------------------------------------------------------------------------

void check_bound(const Snapshot& s, std::vector<Finding>& out, const std::string& want, const char* id, Severity sev,
                 const std::string& title, const std::string& fix) {
  const auto& pci = s.gpu.nvidia_pci_devices;
  if (!pci) return;
  Finding f;
  for (const auto& d : *pci) {
    if (d.driver != want) continue;
    f.evidence.push_back(evidence_of("driver bound to " + d.address + " (" + d.name.value_or(d.device_id) + ")", pci,
                                     d.driver.empty() ? "none" : d.driver));
  }
  if (f.evidence.empty()) return;
  f.id = id;
  f.severity = sev;
  f.title = title;
  if (want == "nouveau" && s.gpu.driver.nvidia_module_loaded) {
    f.evidence.push_back(evidence_of("nvidia kernel module loaded", s.gpu.driver.nvidia_module_loaded,
                                     *s.gpu.driver.nvidia_module_loaded ? "yes" : "no"));
  }
  f.impact = "CUDA cannot use these GPUs: models fall back to the CPU or fail to start.";
  f.fix = fix;
  f.weight = 0.9;
  out.push_back(std::move(f));
}

void check_nouveau(const Snapshot& s, std::vector<Finding>& out) {
  check_bound(s, out, "nouveau", "GPU-BOUND-TO-NOUVEAU", Severity::kError,
              "GPU driven by nouveau, the open-source display driver, not NVIDIA's",
              "Blacklist nouveau, reboot, then install the NVIDIA driver (apt install nvidia-driver-<version>, or the "
              "NVIDIA .run installer):\n"
              " printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' | sudo tee /etc/modprobe.d/nouveau.conf"
              " && sudo update-initramfs -u && sudo reboot");
}

void check_vfio(const Snapshot& s, std::vector<Finding>& out) {
  check_bound(s, out, "vfio-pci", "GPU-BOUND-TO-VFIO", Severity::kError,
              "GPU reserved for VM pass-through (bound to vfio-pci), unusable on this host",
              "If this host should run the model, unbind the GPU from vfio-pci (remove its id from vfio-pci.ids= on "
              "the kernel command line or /etc/modprobe.d, then reboot) so the nvidia driver claims it. If the GPU "
              "is meant for a VM, run infertune inside that VM.");
}

void check_no_driver(const Snapshot& s, std::vector<Finding>& out) {
  check_bound(s, out, "", "GPU-NO-DRIVER", Severity::kError, "GPU on the PCI bus but no kernel driver bound to it",
              "Install or load the NVIDIA driver: sudo modprobe nvidia (dmesg | grep -i nvidia shows why it fails: "
              "Secure Boot refusing the unsigned module, a kernel update without rebuilt DKMS modules, a GPU too new "
              "for the driver).");
}

// --- device nodes ------------------------------------------------------------------------------------------

bool nvidia_driver_in_use(const Snapshot& s) {
  if (s.gpu.driver.nvidia_module_loaded && *s.gpu.driver.nvidia_module_loaded) return true;
  if (s.gpu.nvidia_pci_devices) {
    for (const auto& d : *s.gpu.nvidia_pci_devices) {
      if (d.driver == "nvidia") return true;
    }
  }
  return false;
}

bool is_gpu_node(const std::string& n) {
  if (n == "nvidiactl") return true;
  if (!str::starts_with(n, "nvidia") || n.size() == 6) return false;
  return std::all_of(n.begin() + 6, n.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void check_nodes_missing(const Snapshot& s, std::vector<Finding>& out) {
  const auto& nodes = s.gpu.device_nodes;
  if (!nodes || !nvidia_driver_in_use(s)) return;
  bool ctl = false, gpu = false;
  for (const auto& n : *nodes) {
    if (n == "nvidiactl") ctl = true;
    if (is_gpu_node(n) && n != "nvidiactl") gpu = true;
  }
  if (ctl && gpu) return;
  Finding f;
  f.id = "GPU-DEVICE-NODES-MISSING";
  f.severity = Severity::kError;
  f.title = "NVIDIA driver loaded but /dev/nvidia* device nodes missing";
  std::string list;
  for (const auto& n : *nodes) list += (list.empty() ? "" : ", ") + n;
  f.evidence.push_back(evidence_of("NVIDIA device nodes", nodes, list.empty() ? "none" : list));
  if (s.gpu.driver.nvidia_module_loaded && *s.gpu.driver.nvidia_module_loaded) {
    f.evidence.push_back(evidence_of(
        "nvidia kernel module", s.gpu.driver.nvidia_module_loaded,
        "loaded" +
            (s.gpu.driver.kernel_module_version ? " (" + *s.gpu.driver.kernel_module_version + ")" : std::string())));
  }
  bool container = s.container.in_container && *s.container.in_container;
  if (container) {
    f.evidence.push_back(evidence_of("running in a container", s.container.in_container,
                                     s.container.runtime ? *s.container.runtime : "yes"));
  }
  f.impact = "No process here can reach the GPU: CUDA reports no device.";
  f.fix = container ? "The container was started without the NVIDIA runtime. Use docker run --gpus all (NVIDIA "
                      "Container Toolkit installed on the host), or in Kubernetes request nvidia.com/gpu and check "
                      "the NVIDIA device plugin runs on the node."
                    : "Create the nodes: sudo nvidia-modprobe -u -c 0 (or run nvidia-smi once as root); check the "
                      "udev rules of the driver package.";
  f.weight = 0.95;
  out.push_back(std::move(f));
}

void check_nodes_no_access(const Snapshot& s, std::vector<Finding>& out) {
  const auto& nodes = s.gpu.driver.device_nodes;
  if (!nodes) return;
  Finding f;
  for (const auto& n : *nodes) {
    if (!is_gpu_node(n.name) && n.name != "nvidia-uvm") continue;
    if (n.can_open_rw && !*n.can_open_rw) {
      f.evidence.push_back(evidence_of("/dev/" + n.name + " readable and writable by this user", n.can_open_rw, "no"));
    }
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-DEVICE-NODES-NO-ACCESS";
  f.severity = Severity::kError;
  f.title = "This user cannot open the NVIDIA device nodes";
  f.impact = "CUDA fails with 'no CUDA-capable device' or 'insufficient permissions' for this user.";
  f.fix =
      "Add the user to the group owning the nodes (ls -l /dev/nvidia*; usually video or render: sudo usermod "
      "-aG video $USER, then log in again), or in a container pass the devices with the NVIDIA runtime instead "
      "of bind-mounting them.";
  f.weight = 0.9;
  out.push_back(std::move(f));
}

// --- visibility variables ----------------------------------------------------------------------------------

// The number of GPUs a process here could see, when known: driver report, else /dev/nvidiaN, else PCI.
std::optional<size_t> gpu_count(const Snapshot& s) {
  if (s.gpu.devices) return s.gpu.devices->size();
  if (s.gpu.device_nodes) {
    size_t n = 0;
    for (const auto& x : *s.gpu.device_nodes) n += (is_gpu_node(x) && x != "nvidiactl") ? 1 : 0;
    if (n > 0) return n;
  }
  if (s.gpu.nvidia_pci_devices && !s.gpu.nvidia_pci_devices->empty()) return s.gpu.nvidia_pci_devices->size();
  return std::nullopt;
}

// Why `value` of CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES hides every GPU, or "" when it does not.
std::string hides_all(const Snapshot& s, const std::string& var, const std::string& value) {
  std::string v(str::trim(value));
  std::string low = str::to_lower(v);
  if (v.empty()) return "empty: no device is visible";
  if (low == "none" || low == "void") return "'" + v + "': no device is visible";
  if (var == "NVIDIA_VISIBLE_DEVICES" && low == "all") return "";
  // CUDA reads the list up to the first invalid entry: only the first entry decides whether any GPU is left.
  std::string first(str::trim(str::split(v, ',').front()));
  if (first.empty()) return "";
  if (first == "-1" || (first[0] == '-' && str::parse_i64(first))) return "'" + first + "': no device is visible";
  if (auto idx = str::parse_i64(first)) {
    auto n = gpu_count(s);
    if (n && *idx >= static_cast<int64_t>(*n)) {
      return "index " + first + " but only " + std::to_string(*n) + " GPU" + (*n == 1 ? "" : "s") +
             " (indexes start at 0)";
    }
    return "";
  }
  if (str::starts_with(low, "gpu-") && s.gpu.devices) {
    for (const auto& d : *s.gpu.devices) {
      if (d.uuid && str::starts_with(str::to_lower(*d.uuid), low)) return "";
    }
    bool any_uuid = std::any_of(s.gpu.devices->begin(), s.gpu.devices->end(),
                                [](const GpuDeviceFacts& d) { return d.uuid.known(); });
    if (any_uuid) return "UUID " + first + " matches no GPU here";
  }
  return "";
}

void check_hidden_by_env(const Snapshot& s, std::vector<Finding>& out) {
  const auto& env = s.process.env;
  if (!env) return;
  Finding f;
  for (const char* var : {"CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"}) {
    auto it = env->find(var);
    if (it == env->end()) continue;
    std::string why = hides_all(s, var, it->second);
    if (!why.empty()) f.evidence.push_back(evidence_of(std::string(var) + "=" + it->second, env, why));
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-HIDDEN-BY-ENV";
  f.severity = Severity::kError;
  f.title = "The environment hides every GPU from CUDA";
  f.impact = "torch.cuda.is_available() is False: the model runs on the CPU.";
  f.fix =
      "Unset the variable or list GPUs that exist: export CUDA_VISIBLE_DEVICES=0 (indexes from 0, or UUIDs from "
      "nvidia-smi -L). NVIDIA_VISIBLE_DEVICES is read when the container starts: set it to all or to GPU "
      "indexes/UUIDs in the pod or docker run spec.";
  f.weight = 0.97;
  out.push_back(std::move(f));
}

// --- PCIe link ---------------------------------------------------------------------------------------------

void check_link_narrow(const Snapshot& s, std::vector<Finding>& out) {
  Finding f;
  if (s.gpu.devices) {
    for (const auto& d : *s.gpu.devices) {
      if (d.pcie_width_current && d.pcie_width_max && *d.pcie_width_current > 0 &&
          *d.pcie_width_current < *d.pcie_width_max) {
        f.evidence.push_back(
            evidence_of(gpu_label(d) + " PCIe link width", d.pcie_width_current,
                        "x" + std::to_string(*d.pcie_width_current) + " of x" + std::to_string(*d.pcie_width_max)));
      }
    }
  }
  if (f.evidence.empty() && s.gpu.nvidia_pci_devices) {  // without a driver report, sysfs tells the same
    for (const auto& d : *s.gpu.nvidia_pci_devices) {
      if (d.current_link_width && d.max_link_width && *d.current_link_width > 0 &&
          *d.current_link_width < *d.max_link_width) {
        f.evidence.push_back(
            evidence_of(d.address + " PCIe link width", d.current_link_width,
                        "x" + std::to_string(*d.current_link_width) + " of x" + std::to_string(*d.max_link_width)));
      }
    }
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-PCIE-LINK-NARROW";
  f.severity = Severity::kWarning;
  f.title = "GPU PCIe link runs with fewer lanes than the GPU supports";
  f.impact = "Host<->GPU copies (inputs, outputs, weights loading, CPU offload) run at a fraction of the bandwidth.";
  f.fix =
      "Check the slot: a x16 GPU in a x8 slot or riser, a badly seated card, or a BIOS lane bifurcation setting. "
      "lspci -vv -s <bus id> | grep -E 'LnkCap|LnkSta' shows both widths. The width does not change at idle, "
      "so this is not power saving.";
  f.weight = 0.6;
  out.push_back(std::move(f));
}

void check_link_slow(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.gpu.devices) return;
  Finding f;
  for (const auto& d : *s.gpu.devices) {
    if (!busy(d) || !d.pcie_gen_current || !d.pcie_gen_max || *d.pcie_gen_current >= *d.pcie_gen_max) continue;
    f.evidence.push_back(evidence_of(
        gpu_label(d) + " PCIe generation", d.pcie_gen_current,
        "gen " + std::to_string(*d.pcie_gen_current) + " of gen " + std::to_string(*d.pcie_gen_max) + " while busy"));
    f.evidence.push_back(util_evidence(d));
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-PCIE-LINK-SLOW";
  f.severity = Severity::kWarning;
  f.title = "GPU PCIe link below its maximum generation while the GPU is busy";
  f.impact = "Each PCIe generation halves the copy bandwidth of the one above it.";
  f.fix =
      "Idle GPUs lower the link speed on purpose; busy ones should not. Check the BIOS PCIe speed setting of the "
      "slot, risers/retimers rated for a lower generation, and lspci -vv -s <bus id> | grep LnkSta under load.";
  f.weight = 0.5;
  out.push_back(std::move(f));
}

// --- clocks, ECC, memory, persistence ----------------------------------------------------------------------

void check_throttled(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.gpu.devices) return;
  static const char* kHarmful[] = {"sw_power_cap", "hw_slowdown", "hw_thermal_slowdown", "sw_thermal_slowdown",
                                   "hw_power_brake_slowdown"};
  Finding f;
  for (const auto& d : *s.gpu.devices) {
    if (!busy(d) || !d.clock_event_reasons) continue;
    std::string hit;
    for (const auto& r : *d.clock_event_reasons) {
      if (std::find(std::begin(kHarmful), std::end(kHarmful), r) != std::end(kHarmful)) {
        hit += (hit.empty() ? "" : ", ") + r;
      }
    }
    if (hit.empty()) continue;
    f.evidence.push_back(evidence_of(gpu_label(d) + " clock event reasons", d.clock_event_reasons, hit));
    f.evidence.push_back(util_evidence(d));
    if (d.sm_clock_mhz && d.sm_clock_max_mhz) {
      f.evidence.push_back(
          evidence_of(gpu_label(d) + " SM clock", d.sm_clock_mhz,
                      std::to_string(*d.sm_clock_mhz) + " of " + std::to_string(*d.sm_clock_max_mhz) + " MHz"));
    }
    if (d.temperature_c) {
      f.evidence.push_back(
          evidence_of(gpu_label(d) + " temperature", d.temperature_c, std::to_string(*d.temperature_c) + " C"));
    }
    if (d.power_draw_mw && d.power_limit_mw) {
      f.evidence.push_back(evidence_of(gpu_label(d) + " power", d.power_draw_mw,
                                       units::number(static_cast<double>(*d.power_draw_mw) / 1000.0, 1) + " W of " +
                                           units::number(static_cast<double>(*d.power_limit_mw) / 1000.0, 1) +
                                           " W limit"));
    }
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-CLOCKS-THROTTLED";
  f.severity = Severity::kWarning;
  f.title = "GPU clocks held down by a power cap, thermal limit or hardware slowdown while busy";
  f.impact = "Compute throughput drops roughly with the SM clock.";
  f.fix =
      "sw_power_cap: check the power limit (nvidia-smi -q -d POWER; raise it with nvidia-smi -pl <W> up to the "
      "default). thermal / hw_slowdown: check cooling, fan and airflow, and the PSU (hw_power_brake is an "
      "external power-brake signal).";
  f.weight = 0.55;
  out.push_back(std::move(f));
}

void check_ecc(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.gpu.devices) return;
  Finding f;
  for (const auto& d : *s.gpu.devices) {
    if (d.ecc_volatile_uncorrectable && *d.ecc_volatile_uncorrectable > 0) {
      f.evidence.push_back(evidence_of(gpu_label(d) + " uncorrectable ECC errors since driver load",
                                       d.ecc_volatile_uncorrectable, std::to_string(*d.ecc_volatile_uncorrectable)));
    }
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-ECC-UNCORRECTABLE";
  f.severity = Severity::kError;
  f.title = "GPU memory had uncorrectable ECC errors";
  f.impact = "Processes on this GPU can crash or compute wrong results; the driver may retire pages or remap rows.";
  f.fix =
      "Drain the GPU, then reset it (nvidia-smi -r -i <index>) or reboot; if errors come back, the board needs an "
      "RMA. dmesg | grep -i xid shows the Xid events (48, 63, 64, 94, 95).";
  f.weight = 0.8;
  out.push_back(std::move(f));
}

void check_retirement_pending(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.gpu.devices) return;
  Finding f;
  for (const auto& d : *s.gpu.devices) {
    if (d.retired_pages_pending && *d.retired_pages_pending) {
      f.evidence.push_back(evidence_of(gpu_label(d) + " page retirement pending", d.retired_pages_pending, "yes"));
    }
    if (d.remapped_rows_pending && *d.remapped_rows_pending) {
      f.evidence.push_back(evidence_of(gpu_label(d) + " row remap pending", d.remapped_rows_pending, "yes"));
    }
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-RETIREMENT-PENDING";
  f.severity = Severity::kWarning;
  f.title = "GPU memory repair waits for a GPU reset";
  f.impact = "Until the reset, the faulty memory stays in use and can raise more ECC errors.";
  f.fix = "Drain the GPU and reset it (nvidia-smi -r -i <index>) or reboot the node.";
  f.weight = 0.6;
  out.push_back(std::move(f));
}

void check_remap_failed(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.gpu.devices) return;
  Finding f;
  for (const auto& d : *s.gpu.devices) {
    if (d.remapped_rows_failure && *d.remapped_rows_failure) {
      f.evidence.push_back(evidence_of(gpu_label(d) + " row remap failure", d.remapped_rows_failure, "yes"));
    }
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-ROW-REMAP-FAILED";
  f.severity = Severity::kError;
  f.title = "GPU memory row remapping failed: the GPU needs replacing";
  f.impact = "The GPU can no longer repair its memory; uncorrectable errors will recur.";
  f.fix = "Take the GPU out of service and open an RMA with the vendor (run nvidia-bug-report.sh for the case).";
  f.weight = 0.85;
  out.push_back(std::move(f));
}

void check_memory_full(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.gpu.devices) return;
  Finding f;
  double worst = 0;
  for (const auto& d : *s.gpu.devices) {
    if (!d.memory_used_bytes || !d.memory_total_bytes || *d.memory_total_bytes <= 0) continue;
    double share = static_cast<double>(*d.memory_used_bytes) / static_cast<double>(*d.memory_total_bytes);
    if (share < kMemoryFullShare) continue;
    worst = std::max(worst, share);
    f.evidence.push_back(evidence_of(gpu_label(d) + " memory used", d.memory_used_bytes,
                                     units::bytes(static_cast<double>(*d.memory_used_bytes)) + " of " +
                                         units::bytes(static_cast<double>(*d.memory_total_bytes)) + " (" +
                                         units::percent(share) + ")"));
  }
  if (f.evidence.empty()) return;
  f.id = "GPU-MEMORY-NEARLY-FULL";
  f.severity = Severity::kWarning;
  f.title = "GPU memory nearly full";
  f.impact = "New requests or larger batches fail with CUDA out-of-memory; the allocator may thrash.";
  f.fix =
      "Often intended: vLLM/TGI reserve most memory for the KV cache (gpu_memory_utilization). Otherwise look at the "
      "process table for other processes on this GPU, lower the batch size or max sequence length, or use a "
      "quantised model.";
  f.weight = worst;
  out.push_back(std::move(f));
}

void check_persistence_off(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.gpu.devices) return;
  Finding f;
  for (const auto& d : *s.gpu.devices) {
    if (d.persistence_mode && !*d.persistence_mode) {
      f.evidence.push_back(evidence_of(gpu_label(d) + " persistence mode", d.persistence_mode, "off"));
    }
  }
  if (f.evidence.empty()) return;
  if (s.gpu.driver.persistenced_running) {
    f.evidence.push_back(evidence_of("nvidia-persistenced running", s.gpu.driver.persistenced_running,
                                     *s.gpu.driver.persistenced_running ? "yes" : "no"));
  }
  f.id = "GPU-PERSISTENCE-OFF";
  f.severity = Severity::kInfo;
  f.title = "GPU persistence mode is off";
  f.impact =
      "With no process holding the GPU, the driver tears its state down; the next start (and first request of "
      "a fresh process) waits for re-initialisation, up to seconds on multi-GPU nodes.";
  f.fix = "Run the persistence daemon: sudo systemctl enable --now nvidia-persistenced (or sudo nvidia-smi -pm 1).";
  f.weight = 0.1;
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Rule> gpu_rules() {
  return {
      {"GPU-BOUND-TO-NOUVEAU", "gpu", check_nouveau},
      {"GPU-BOUND-TO-VFIO", "gpu", check_vfio},
      {"GPU-NO-DRIVER", "gpu", check_no_driver},
      {"GPU-DEVICE-NODES-MISSING", "gpu", check_nodes_missing},
      {"GPU-DEVICE-NODES-NO-ACCESS", "gpu", check_nodes_no_access},
      {"GPU-HIDDEN-BY-ENV", "gpu", check_hidden_by_env},
      {"GPU-PCIE-LINK-NARROW", "gpu", check_link_narrow},
      {"GPU-PCIE-LINK-SLOW", "gpu", check_link_slow},
      {"GPU-CLOCKS-THROTTLED", "gpu", check_throttled},
      {"GPU-ECC-UNCORRECTABLE", "gpu", check_ecc},
      {"GPU-RETIREMENT-PENDING", "gpu", check_retirement_pending},
      {"GPU-ROW-REMAP-FAILED", "gpu", check_remap_failed},
      {"GPU-MEMORY-NEARLY-FULL", "gpu", check_memory_full},
      {"GPU-PERSISTENCE-OFF", "gpu", check_persistence_off},
  };
}

}  // namespace infertune
