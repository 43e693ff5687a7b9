#pragma once
// The Snapshot: everything collected about one machine, as plain values. It is the contract between
// collectors (which fill it) and rules (which judge it); it is saved and loaded as versioned JSON
// (snapshot_json.h, documented field by field in docs/snapshot.md).
//
// Each struct lists its fields once, in fields(), which drives JSON writing, reading and the docs check.
// Units are in the names. Limits use -1 for "no limit".

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "facts/fact.h"

namespace infertune {

inline constexpr int kSnapshotMajor = 1;
inline constexpr int kSnapshotMinor = 3;

struct OsFacts {
  Fact<std::string> pretty_name;     // /etc/os-release PRETTY_NAME
  Fact<std::string> id;              // os-release ID (debian, ubuntu, rhel, ...)
  Fact<std::string> version_id;      // os-release VERSION_ID
  Fact<std::string> kernel_release;  // /proc/sys/kernel/osrelease
  Fact<std::string> hostname;        // /proc/sys/kernel/hostname
  Fact<std::string> arch;            // machine architecture (uname)
  Fact<std::string> glibc_version;   // of this process, live only
  Fact<double> uptime_s;             // /proc/uptime

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("pretty_name", s.pretty_name);
    v("id", s.id);
    v("version_id", s.version_id);
    v("kernel_release", s.kernel_release);
    v("hostname", s.hostname);
    v("arch", s.arch);
    v("glibc_version", s.glibc_version);
    v("uptime_s", s.uptime_s);
  }
};

struct CpuFacts {
  Fact<std::string> model;                           // /proc/cpuinfo "model name"
  Fact<std::string> vendor;                          // vendor_id / CPU implementer
  Fact<int64_t> sockets;                             // distinct "physical id"
  Fact<int64_t> cores;                               // distinct (physical id, core id) pairs
  Fact<int64_t> logical_cpus;                        // online logical CPUs of the host
  Fact<std::string> online_list;                     // /sys/devices/system/cpu/online, "0-63"
  Fact<int64_t> numa_nodes;                          // /sys/devices/system/node/node*
  Fact<std::vector<std::string>> governors;          // distinct cpufreq scaling governors
  Fact<double> max_mhz;                              // cpuinfo_max_freq, MHz
  Fact<std::vector<std::string>> flags_of_interest;  // avx2, avx512f, amx_tile, ... present on the CPU

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("model", s.model);
    v("vendor", s.vendor);
    v("sockets", s.sockets);
    v("cores", s.cores);
    v("logical_cpus", s.logical_cpus);
    v("online_list", s.online_list);
    v("numa_nodes", s.numa_nodes);
    v("governors", s.governors);
    v("max_mhz", s.max_mhz);
    v("flags_of_interest", s.flags_of_interest);
  }
};

struct MemoryFacts {
  Fact<int64_t> total_bytes;          // MemTotal
  Fact<int64_t> available_bytes;      // MemAvailable
  Fact<int64_t> swap_total_bytes;     // SwapTotal
  Fact<int64_t> swap_free_bytes;      // SwapFree
  Fact<int64_t> hugepages_total;      // HugePages_Total
  Fact<int64_t> hugepages_free;       // HugePages_Free
  Fact<int64_t> hugepage_size_bytes;  // Hugepagesize
  Fact<std::string> thp_enabled;      // /sys/kernel/mm/transparent_hugepage/enabled, the selected mode

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("total_bytes", s.total_bytes);
    v("available_bytes", s.available_bytes);
    v("swap_total_bytes", s.swap_total_bytes);
    v("swap_free_bytes", s.swap_free_bytes);
    v("hugepages_total", s.hugepages_total);
    v("hugepages_free", s.hugepages_free);
    v("hugepage_size_bytes", s.hugepage_size_bytes);
    v("thp_enabled", s.thp_enabled);
  }
};

// Pressure stall information: share of time (percent, 0-100) some / all tasks stalled on a resource.
struct PsiFacts {
  Fact<double> cpu_some_avg10;
  Fact<double> cpu_some_avg60;
  Fact<double> memory_some_avg60;
  Fact<double> memory_full_avg60;
  Fact<double> io_some_avg60;
  Fact<double> io_full_avg60;

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("cpu_some_avg10", s.cpu_some_avg10);
    v("cpu_some_avg60", s.cpu_some_avg60);
    v("memory_some_avg60", s.memory_some_avg60);
    v("memory_full_avg60", s.memory_full_avg60);
    v("io_some_avg60", s.io_some_avg60);
    v("io_full_avg60", s.io_full_avg60);
  }
};

struct HostFacts {
  OsFacts os;
  CpuFacts cpu;
  MemoryFacts memory;
  PsiFacts psi;  // system-wide, /proc/pressure/*

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("os", s.os);
    v("cpu", s.cpu);
    v("memory", s.memory);
    v("psi", s.psi);
  }
};

struct ContainerFacts {
  Fact<bool> in_container;
  Fact<std::string> runtime;             // docker, containerd, cri-o, podman, lxc, other
  Fact<std::string> orchestrator;        // kubernetes, none
  Fact<std::string> container_id;        // 64-hex id when the cgroup path shows it
  Fact<std::string> pod_uid;             // Kubernetes pod UID when the cgroup path shows it
  Fact<std::vector<std::string>> signs;  // what gave it away: "/.dockerenv exists", "cgroup path ...", ...
  Fact<int64_t> shm_size_bytes;          // size of the /dev/shm mount
  Fact<int64_t> shm_used_bytes;          // live only

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("in_container", s.in_container);
    v("runtime", s.runtime);
    v("orchestrator", s.orchestrator);
    v("container_id", s.container_id);
    v("pod_uid", s.pod_uid);
    v("signs", s.signs);
    v("shm_size_bytes", s.shm_size_bytes);
    v("shm_used_bytes", s.shm_used_bytes);
  }
};

struct CgroupFacts {
  Fact<std::string> version;     // "v1", "v2" or "hybrid" (v1 controllers + a cgroup2 mount)
  Fact<std::string> path;        // this process's cgroup (v2 path, or v1 cpu controller path)
  Fact<double> cpu_limit_cores;  // quota/period, tightest over the ancestors; -1 = no limit
  Fact<int64_t> cpu_quota_us;    // of the cgroup that sets the limit; -1 = no limit
  Fact<int64_t> cpu_period_us;
  Fact<std::string> cpuset_cpus;             // cpuset.cpus(.effective), "0-3"
  Fact<int64_t> cpu_nr_periods;              // cpu.stat
  Fact<int64_t> cpu_nr_throttled;            // cpu.stat
  Fact<double> cpu_throttled_s;              // cpu.stat throttled_usec (v2) / throttled_time ns (v1)
  Fact<int64_t> memory_limit_bytes;          // memory.max / memory.limit_in_bytes, tightest; -1 = no limit
  Fact<int64_t> memory_usage_bytes;          // memory.current / memory.usage_in_bytes
  Fact<int64_t> memory_inactive_file_bytes;  // reclaimable page cache inside the usage (memory.stat)
  Fact<int64_t> memory_swap_limit_bytes;     // memory.swap.max; -1 = no limit
  Fact<int64_t> memory_oom_events;           // memory.events "oom" (v2) / memory.failcnt hits (v1: failcnt)
  Fact<int64_t> memory_oom_kills;            // memory.events "oom_kill" / memory.oom_control "oom_kill"
  PsiFacts psi;                              // the cgroup's own *.pressure files (v2)

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("version", s.version);
    v("path", s.path);
    v("cpu_limit_cores", s.cpu_limit_cores);
    v("cpu_quota_us", s.cpu_quota_us);
    v("cpu_period_us", s.cpu_period_us);
    v("cpuset_cpus", s.cpuset_cpus);
    v("cpu_nr_periods", s.cpu_nr_periods);
    v("cpu_nr_throttled", s.cpu_nr_throttled);
    v("cpu_throttled_s", s.cpu_throttled_s);
    v("memory_limit_bytes", s.memory_limit_bytes);
    v("memory_usage_bytes", s.memory_usage_bytes);
    v("memory_inactive_file_bytes", s.memory_inactive_file_bytes);
    v("memory_swap_limit_bytes", s.memory_swap_limit_bytes);
    v("memory_oom_events", s.memory_oom_events);
    v("memory_oom_kills", s.memory_oom_kills);
    v("psi", s.psi);
  }
};

// The process whose view is diagnosed (this one by default; the serving process in later issues).
struct ProcessFacts {
  Fact<int64_t> pid;
  Fact<std::string> cpus_allowed_list;  // /proc/<pid>/status Cpus_allowed_list
  Fact<int64_t> cpus_allowed;           // count of the above
  Fact<int64_t> nofile_soft;            // /proc/<pid>/limits "Max open files"; -1 = unlimited
  Fact<int64_t> nofile_hard;
  Fact<int64_t> memlock_soft_bytes;  // "Max locked memory"; -1 = unlimited
  Fact<int64_t> memlock_hard_bytes;
  // Environment variables that change GPU/framework behaviour, as set (absent = not set).
  Fact<std::map<std::string, std::string>> env;

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("pid", s.pid);
    v("cpus_allowed_list", s.cpus_allowed_list);
    v("cpus_allowed", s.cpus_allowed);
    v("nofile_soft", s.nofile_soft);
    v("nofile_hard", s.nofile_hard);
    v("memlock_soft_bytes", s.memlock_soft_bytes);
    v("memlock_hard_bytes", s.memlock_hard_bytes);
    v("env", s.env);
  }
};

// An NVIDIA GPU as the PCI bus shows it (sysfs): known without loading any NVIDIA library.
struct PciDeviceFacts {
  std::string address;               // "0000:3b:00.0"
  std::string vendor_id;             // "0x10de"
  std::string device_id;             // "0x2330"
  std::string class_code;            // "0x030200"
  std::string driver;                // bound kernel driver, "" when none
  Fact<std::string> name;            // from the system's pci.ids, else the built-in table of datacenter GPUs
  Fact<int64_t> numa_node;           // sysfs numa_node; -1 = no NUMA affinity
  Fact<double> current_link_gts;     // current_link_speed, GT/s (8.0 = PCIe gen 3)
  Fact<double> max_link_gts;         // max_link_speed, GT/s
  Fact<int64_t> current_link_width;  // current_link_width, lanes
  Fact<int64_t> max_link_width;      // max_link_width, lanes

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("address", s.address);
    v("vendor_id", s.vendor_id);
    v("device_id", s.device_id);
    v("class_code", s.class_code);
    v("driver", s.driver);
    v("name", s.name);
    v("numa_node", s.numa_node);
    v("current_link_gts", s.current_link_gts);
    v("max_link_gts", s.max_link_gts);
    v("current_link_width", s.current_link_width);
    v("max_link_width", s.max_link_width);
  }
};

// One /dev/nvidia* node and whether this user may open it.
struct DeviceNodeFacts {
  std::string name;        // "nvidiactl", "nvidia0", "nvidia-uvm"
  Fact<bool> can_open_rw;  // access(2) R_OK|W_OK, live system only

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("name", s.name);
    v("can_open_rw", s.can_open_rw);
  }
};

// The NVIDIA kernel driver as /proc, /sys and /dev show it, and what nvidia-smi/NVML report about it.
struct GpuDriverFacts {
  Fact<bool> nvidia_module_loaded;                  // /sys/module/nvidia exists
  Fact<std::string> kernel_module_version;          // /proc/driver/nvidia/version, /sys/module/nvidia/version
  Fact<std::string> driver_version;                 // user-space driver as nvidia-smi / NVML reports it
  Fact<std::string> cuda_driver_version;            // CUDA version the driver supports ("12.2")
  Fact<std::string> nvml_version;                   // NVML's own version, "12.550.54.15" (NVML only)
  Fact<bool> nouveau_loaded;                        // /sys/module/nouveau exists
  Fact<bool> persistenced_running;                  // a process named nvidia-persistenced (/proc/*/comm)
  Fact<std::vector<DeviceNodeFacts>> device_nodes;  // /dev/nvidia* character devices (not directories)

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("nvidia_module_loaded", s.nvidia_module_loaded);
    v("kernel_module_version", s.kernel_module_version);
    v("driver_version", s.driver_version);
    v("cuda_driver_version", s.cuda_driver_version);
    v("nvml_version", s.nvml_version);
    v("nouveau_loaded", s.nouveau_loaded);
    v("persistenced_running", s.persistenced_running);
    v("device_nodes", s.device_nodes);
  }
};

// A process holding a GPU context, as nvidia-smi / NVML list it.
struct GpuProcessFacts {
  int64_t pid = 0;                       // as the driver sees it (host PID namespace)
  std::string name;                      // process name or command line as reported
  std::string type;                      // "compute", "graphics", "compute+graphics"
  Fact<int64_t> used_memory_bytes;       // unknown on Windows/WDDM and some vGPU guests
  Fact<int64_t> sm_utilization_pct;      // share of SM time over the sampling window (NVML process samples)
  Fact<int64_t> memory_utilization_pct;  // share of memory-controller time over the same window

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("pid", s.pid);
    v("name", s.name);
    v("type", s.type);
    v("used_memory_bytes", s.used_memory_bytes);
    v("sm_utilization_pct", s.sm_utilization_pct);
    v("memory_utilization_pct", s.memory_utilization_pct);
  }
};

// One MIG device (a GPU instance + compute instance slice of a GPU in MIG mode), as NVML lists it.
struct MigDeviceFacts {
  int64_t index = 0;                  // MIG device index within its GPU
  Fact<std::string> uuid;             // "MIG-..."
  Fact<int64_t> gpu_instance_id;      // GI id
  Fact<int64_t> compute_instance_id;  // CI id
  Fact<int64_t> memory_total_bytes;
  Fact<int64_t> memory_used_bytes;

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("index", s.index);
    v("uuid", s.uuid);
    v("gpu_instance_id", s.gpu_instance_id);
    v("compute_instance_id", s.compute_instance_id);
    v("memory_total_bytes", s.memory_total_bytes);
    v("memory_used_bytes", s.memory_used_bytes);
  }
};

// One GPU as the driver reports it: imported from nvidia-smi -q -x, or probed through NVML. Every field names
// its source ("nvidia-smi -q -x FILE" or "NVML nvmlDeviceGet...") or why it is unknown.
struct GpuDeviceFacts {
  Fact<int64_t> index;           // order in the driver's enumeration
  Fact<std::string> name;        // "NVIDIA A100-SXM4-80GB"
  Fact<std::string> uuid;        // "GPU-513536b6-..."
  Fact<std::string> pci_bus_id;  // sysfs form, "0000:01:00.0"
  Fact<std::string> serial;
  Fact<std::string> vbios_version;
  Fact<std::string> compute_capability;  // "8.0"
  Fact<int64_t> memory_total_bytes;      // framebuffer
  Fact<int64_t> memory_used_bytes;
  Fact<int64_t> memory_free_bytes;
  Fact<int64_t> utilization_gpu_pct;      // 0-100, last sample period
  Fact<int64_t> utilization_memory_pct;   // 0-100, memory controller busy
  Fact<int64_t> encoder_utilization_pct;  // 0-100, video encoder busy (NVML)
  Fact<int64_t> decoder_utilization_pct;  // 0-100, video decoder busy (NVML)
  Fact<int64_t> temperature_c;
  Fact<int64_t> power_draw_mw;
  Fact<int64_t> power_limit_mw;  // enforced limit
  Fact<int64_t> sm_clock_mhz;
  Fact<int64_t> sm_clock_max_mhz;
  Fact<int64_t> mem_clock_mhz;
  Fact<int64_t> mem_clock_max_mhz;
  Fact<int64_t> pcie_gen_current;
  Fact<int64_t> pcie_gen_max;
  Fact<int64_t> pcie_width_current;  // lanes
  Fact<int64_t> pcie_width_max;
  Fact<int64_t> pcie_tx_bytes_per_s;                   // PCIe throughput out of the GPU, last 20 ms (NVML)
  Fact<int64_t> pcie_rx_bytes_per_s;                   // PCIe throughput into the GPU, last 20 ms (NVML)
  Fact<std::vector<std::string>> clock_event_reasons;  // active ones: "gpu_idle", "sw_power_cap", ...
  Fact<bool> persistence_mode;
  Fact<std::string> compute_mode;                 // "Default", "Exclusive_Process", "Prohibited"
  Fact<bool> mig_mode;                            // MIG enabled (current)
  Fact<std::vector<MigDeviceFacts>> mig_devices;  // MIG devices configured (NVML; only when MIG is on)
  Fact<bool> ecc_mode;                            // ECC enabled (current)
  Fact<int64_t> ecc_volatile_uncorrectable;       // since the last driver load
  Fact<int64_t> ecc_aggregate_uncorrectable;      // lifetime
  Fact<bool> retired_pages_pending;               // a page retirement waits for a reset
  Fact<bool> remapped_rows_pending;               // a row remap waits for a reset
  Fact<bool> remapped_rows_failure;               // a row remap failed (RMA)
  Fact<std::vector<GpuProcessFacts>> processes;

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("index", s.index);
    v("name", s.name);
    v("uuid", s.uuid);
    v("pci_bus_id", s.pci_bus_id);
    v("serial", s.serial);
    v("vbios_version", s.vbios_version);
    v("compute_capability", s.compute_capability);
    v("memory_total_bytes", s.memory_total_bytes);
    v("memory_used_bytes", s.memory_used_bytes);
    v("memory_free_bytes", s.memory_free_bytes);
    v("utilization_gpu_pct", s.utilization_gpu_pct);
    v("utilization_memory_pct", s.utilization_memory_pct);
    v("encoder_utilization_pct", s.encoder_utilization_pct);
    v("decoder_utilization_pct", s.decoder_utilization_pct);
    v("temperature_c", s.temperature_c);
    v("power_draw_mw", s.power_draw_mw);
    v("power_limit_mw", s.power_limit_mw);
    v("sm_clock_mhz", s.sm_clock_mhz);
    v("sm_clock_max_mhz", s.sm_clock_max_mhz);
    v("mem_clock_mhz", s.mem_clock_mhz);
    v("mem_clock_max_mhz", s.mem_clock_max_mhz);
    v("pcie_gen_current", s.pcie_gen_current);
    v("pcie_gen_max", s.pcie_gen_max);
    v("pcie_width_current", s.pcie_width_current);
    v("pcie_width_max", s.pcie_width_max);
    v("pcie_tx_bytes_per_s", s.pcie_tx_bytes_per_s);
    v("pcie_rx_bytes_per_s", s.pcie_rx_bytes_per_s);
    v("clock_event_reasons", s.clock_event_reasons);
    v("persistence_mode", s.persistence_mode);
    v("compute_mode", s.compute_mode);
    v("mig_mode", s.mig_mode);
    v("mig_devices", s.mig_devices);
    v("ecc_mode", s.ecc_mode);
    v("ecc_volatile_uncorrectable", s.ecc_volatile_uncorrectable);
    v("ecc_aggregate_uncorrectable", s.ecc_aggregate_uncorrectable);
    v("retired_pages_pending", s.retired_pages_pending);
    v("remapped_rows_pending", s.remapped_rows_pending);
    v("remapped_rows_failure", s.remapped_rows_failure);
    v("processes", s.processes);
  }
};

// How the NVML probe went: which library answered, how nvmlInit ended, what did not answer in time.
struct NvmlProbeFacts {
  Fact<std::string> library;          // the file loaded, links resolved: ".../libnvidia-ml.so.550.54.15"
  Fact<std::string> library_version;  // the version in that file's name, "550.54.15"
  Fact<std::string> init_result;      // "NVML_SUCCESS" or the error's name, "NVML_ERROR_LIB_RM_VERSION_MISMATCH"
  Fact<std::string> init_error;       // nvmlErrorString of a failed nvmlInit
  Fact<std::vector<std::string>> missing_symbols;  // optional functions this library lacks (old driver)
  Fact<std::vector<std::string>> timed_out;        // "nvmlDeviceGetHandleByIndex did not answer in 5 s"
  Fact<std::vector<std::string>> gpu_lost;         // "GPU 1: nvmlDeviceGetPowerUsage: NVML_ERROR_GPU_IS_LOST"

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("library", s.library);
    v("library_version", s.library_version);
    v("init_result", s.init_result);
    v("init_error", s.init_error);
    v("missing_symbols", s.missing_symbols);
    v("timed_out", s.timed_out);
    v("gpu_lost", s.gpu_lost);
  }
};

// One device as the CUDA driver API enumerates it (under this process's CUDA_VISIBLE_DEVICES).
struct CudaDeviceFacts {
  int64_t ordinal = 0;                   // CUDA device ordinal (after CUDA_VISIBLE_DEVICES)
  Fact<std::string> name;                // cuDeviceGetName
  Fact<std::string> compute_capability;  // "9.0"
  Fact<int64_t> memory_total_bytes;      // cuDeviceTotalMem
  Fact<std::string> pci_bus_id;          // sysfs form, "0000:3b:00.0"
  Fact<std::string> uuid;                // "GPU-..." (cuDeviceGetUuid)
  Fact<int64_t> multiprocessor_count;    // SMs

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("ordinal", s.ordinal);
    v("name", s.name);
    v("compute_capability", s.compute_capability);
    v("memory_total_bytes", s.memory_total_bytes);
    v("pci_bus_id", s.pci_bus_id);
    v("uuid", s.uuid);
    v("multiprocessor_count", s.multiprocessor_count);
  }
};

// The CUDA driver API (libcuda.so.1) as this process would meet it: what a framework's first CUDA call sees.
struct CudaDriverApiFacts {
  Fact<std::string> library;             // the file loaded, links resolved
  Fact<std::string> library_version;     // the driver version in that file's name, "550.54.15"
  Fact<int64_t> init_result;             // cuInit(0) return code, 0 = CUDA_SUCCESS
  Fact<std::string> init_error_name;     // "CUDA_ERROR_NO_DEVICE" (cuGetErrorName, else the built-in table)
  Fact<std::string> init_error_string;   // cuGetErrorString's text
  Fact<std::string> driver_api_version;  // cuDriverGetVersion, "12.4"
  Fact<int64_t> device_count;            // cuDeviceGetCount
  Fact<std::vector<CudaDeviceFacts>> devices;
  Fact<std::vector<std::string>> timed_out;  // "cuInit did not answer in 5 s"

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("library", s.library);
    v("library_version", s.library_version);
    v("init_result", s.init_result);
    v("init_error_name", s.init_error_name);
    v("init_error_string", s.init_error_string);
    v("driver_api_version", s.driver_api_version);
    v("device_count", s.device_count);
    v("devices", s.devices);
    v("timed_out", s.timed_out);
  }
};

struct GpuFacts {
  Fact<std::vector<PciDeviceFacts>> nvidia_pci_devices;  // /sys/bus/pci/devices/*, vendor 0x10de, display class
  Fact<std::vector<std::string>> device_nodes;           // /dev/nvidia* present
  GpuDriverFacts driver;
  Fact<std::vector<GpuDeviceFacts>> devices;  // from nvidia-smi -q -x (--from-smi-xml) or NVML
  NvmlProbeFacts nvml;
  CudaDriverApiFacts cuda;

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("nvidia_pci_devices", s.nvidia_pci_devices);
    v("device_nodes", s.device_nodes);
    v("driver", s.driver);
    v("devices", s.devices);
    v("nvml", s.nvml);
    v("cuda", s.cuda);
  }
};

// ---- Compatibility inventory (compat): what is installed, read from files, never imported or executed
// (except `nvcc --version`). Filled by collect_compat (collect/compat.h).

// A Python distribution of interest, from its *.dist-info/METADATA and the package's own version files.
struct PythonPackageFacts {
  std::string name;                     // normalized distribution name: "torch", "onnxruntime-gpu", "nvidia-cudnn-cu12"
  std::string version;                  // as METADATA says: "2.5.1+cu124"
  std::string dist_info;                // the *.dist-info directory it was read from
  Fact<std::string> cuda_version;       // CUDA it was built for: torch/version.py cuda, TF build info, wheel name
  Fact<std::string> cudnn_version;      // cuDNN it was built with (TF build info), or bundled (nvidia-cudnn wheel)
  Fact<std::string> hip_version;        // torch/version.py hip (ROCm builds)
  Fact<std::string> git_version;        // torch/version.py git_version
  Fact<std::string> main_cuda_library;  // the package's main CUDA library: .../torch/lib/libtorch_cuda.so

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("name", s.name);
    v("version", s.version);
    v("dist_info", s.dist_info);
    v("cuda_version", s.cuda_version);
    v("cudnn_version", s.cudnn_version);
    v("hip_version", s.hip_version);
    v("git_version", s.git_version);
    v("main_cuda_library", s.main_cuda_library);
  }
};

// One Python interpreter and what its site-packages hold.
struct PythonEnvFacts {
  std::string interpreter;           // path of the python executable (or the prefix when only that is known)
  std::string found_via;             // "--python", "VIRTUAL_ENV", "CONDA_PREFIX", "PATH"
  Fact<std::string> python_version;  // "3.11.7" or "3.11" (pyvenv.cfg, lib/pythonX.Y)
  Fact<std::vector<std::string>> site_packages;    // directories scanned
  Fact<std::vector<PythonPackageFacts>> packages;  // only the packages of interest

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("interpreter", s.interpreter);
    v("found_via", s.found_via);
    v("python_version", s.python_version);
    v("site_packages", s.site_packages);
    v("packages", s.packages);
  }
};

// One copy of a CUDA library (libcudart, libcudnn, libcublas, libcublasLt, libnccl, libnvrtc, libcuda, ...).
struct CudaLibraryFacts {
  std::string name;           // "libcudart", "libcudnn", ...
  std::string path;           // the file (symlinks resolved where possible)
  std::string found_via;      // "LD_LIBRARY_PATH", "ldconfig cache", "standard location", "wheel <dist>", "maps of PID"
  Fact<std::string> version;  // "12.4.127" (file name or the library's own version function)
  Fact<bool> shadowed;        // an earlier copy of the same library on the loader's search path wins

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("name", s.name);
    v("path", s.path);
    v("found_via", s.found_via);
    v("version", s.version);
    v("shadowed", s.shadowed);
  }
};

// The GPU code inside one CUDA library's fatbinary (ELF .nv_fatbin).
struct FatbinFacts {
  std::string path;
  Fact<std::vector<std::string>> sass_archs;  // real architectures with machine code: "sm_80", "sm_90"
  Fact<std::vector<std::string>> ptx_archs;   // virtual architectures with PTX: "compute_90"
  Fact<std::vector<std::string>> notes;       // what could not be read (compressed entries, truncation)

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("path", s.path);
    v("sass_archs", s.sass_archs);
    v("ptx_archs", s.ptx_archs);
    v("notes", s.notes);
  }
};

struct CompatFacts {
  Fact<std::vector<PythonEnvFacts>> python_envs;
  Fact<std::vector<CudaLibraryFacts>> cuda_libraries;     // on the loader's search path and standard places
  Fact<std::vector<CudaLibraryFacts>> process_libraries;  // CUDA libraries mapped by the --pid process
  Fact<std::string> nvcc_version;                         // "13.0.48" from `nvcc --version`
  Fact<std::string> cuda_home;                            // CUDA_HOME or CUDA_PATH
  Fact<std::string> ld_library_path;                      // LD_LIBRARY_PATH of this process (or --pid's)
  Fact<std::vector<FatbinFacts>> fatbins;                 // libraries scanned for GPU code

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("python_envs", s.python_envs);
    v("cuda_libraries", s.cuda_libraries);
    v("process_libraries", s.process_libraries);
    v("nvcc_version", s.nvcc_version);
    v("cuda_home", s.cuda_home);
    v("ld_library_path", s.ld_library_path);
    v("fatbins", s.fatbins);
  }
};

// ---- The serving process named with --pid / --process (collect/target_process.h): what it has loaded and
// which GPU files it holds open. Whether it holds a GPU context is judged by matching its host PID against
// gpu.devices[].processes (rules/process_verdict.h).

// A CUDA-related library the process has mapped (/proc/<pid>/maps).
struct MappedLibraryFacts {
  std::string kind;  // "libcudart", "libtorch_cuda", "onnxruntime_cuda", ... (collect/proc_maps.h)
  std::string path;  // as mapped; " (deleted)" removed

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("kind", s.kind);
    v("path", s.path);
  }
};

struct TargetProcessFacts {
  int64_t pid = 0;                                       // in this tool's PID namespace (as --pid gave it)
  std::string selected_by;                               // "--pid 1234", "--process vllm (command line)"
  Fact<std::string> comm;                                // /proc/<pid>/comm
  Fact<std::string> cmdline;                             // /proc/<pid>/cmdline, arguments joined by spaces
  Fact<std::vector<int64_t>> ns_pids;                    // /proc/<pid>/status NSpid, outermost namespace first
  Fact<int64_t> host_pid;                                // PID in the host's namespace, as NVML reports it
  Fact<int64_t> container_pid;                           // PID in its own (innermost) namespace
  Fact<std::string> pid_namespace;                       // readlink /proc/<pid>/ns/pid, "pid:[4026532210]"
  Fact<std::vector<MappedLibraryFacts>> cuda_libraries;  // CUDA-related libraries mapped, in map order
  Fact<std::vector<std::string>> gpu_device_files;       // /dev/nvidia* open in /proc/<pid>/fd

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("pid", s.pid);
    v("selected_by", s.selected_by);
    v("comm", s.comm);
    v("cmdline", s.cmdline);
    v("ns_pids", s.ns_pids);
    v("host_pid", s.host_pid);
    v("container_pid", s.container_pid);
    v("pid_namespace", s.pid_namespace);
    v("cuda_libraries", s.cuda_libraries);
    v("gpu_device_files", s.gpu_device_files);
  }
};

struct Snapshot {
  // Header (not Facts: always present in a valid snapshot).
  std::string schema_version;  // "1.0"
  std::string tool_version;    // "0.1.0+abcdef012345"
  std::string collected_at;    // ISO 8601 UTC
  std::string root;            // "/" or the directory given with --root

  HostFacts host;
  ContainerFacts container;
  CgroupFacts cgroup;
  ProcessFacts process;
  GpuFacts gpu;
  CompatFacts compat;
  Fact<TargetProcessFacts> target;  // --pid / --process; absent (null) when none was named
  std::vector<std::string> notes;   // what the collectors want the reader to know (timeouts, partial reads)

  template <class S, class V>
  static void fields(S& s, V&& v) {
    v("host", s.host);
    v("container", s.container);
    v("cgroup", s.cgroup);
    v("process", s.process);
    v("gpu", s.gpu);
    v("compat", s.compat);
    v("target", s.target);
  }
};

}  // namespace infertune
