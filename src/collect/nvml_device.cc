// The per-GPU part of the NVML probe: one device's facts, its MIG devices and its processes.

#include <chrono>
#include <map>

#include "collect/nvml.h"
#include "collect/nvml_session.h"

namespace infertune::nvml {

namespace {

struct ProcRow {
  unsigned int pid = 0;
  unsigned long long mem = kValueNotAvailable;
};
using ProcList = std::vector<ProcRow>;

std::function<Answer<std::string>()> string_call(DeviceStringFn fn, Device dev, unsigned size) {
  return [fn, dev, size] {
    std::vector<char> buf(size + 1, '\0');
    Answer<std::string> a;
    a.rc = fn(dev, buf.data(), size);
    a.value = std::string(buf.data());
    return a;
  };
}
std::function<Answer<unsigned int>()> uint_call(DeviceUintFn fn, Device dev) {
  return [fn, dev] {
    Answer<unsigned int> a;
    a.rc = fn(dev, &a.value);
    return a;
  };
}
std::function<Answer<unsigned int>()> typed_uint_call(DeviceTypedUintFn fn, Device dev, int type) {
  return [fn, dev, type] {
    Answer<unsigned int> a;
    a.rc = fn(dev, type, &a.value);
    return a;
  };
}
std::function<Answer<int>()> enable_call(EnableStateFn fn, Device dev) {
  return [fn, dev] {
    Answer<int> a;
    a.rc = fn(dev, &a.value);
    return a;
  };
}

// Running processes of one kind; the _v3/_v2 variants fill ProcessInfo, the unversioned one ProcessInfoV1.
std::function<Answer<ProcList>()> processes_call(ProcessesFn fn, const char* name, Device dev) {
  bool v1 = std::string_view(name).find("_v") == std::string_view::npos;
  return [fn, dev, v1] {
    Answer<ProcList> a;
    unsigned int n = 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
      unsigned int cap = n + 8;  // processes come and go between the two calls
      n = cap;
      if (v1) {
        std::vector<ProcessInfoV1> buf(cap);
        a.rc = fn(dev, &n, buf.data());
        if (a.rc == kSuccess) {
          for (unsigned i = 0; i < n && i < cap; ++i) a.value.push_back({buf[i].pid, buf[i].usedGpuMemory});
        }
      } else {
        std::vector<ProcessInfo> buf(cap);
        a.rc = fn(dev, &n, buf.data());
        if (a.rc == kSuccess) {
          for (unsigned i = 0; i < n && i < cap; ++i) a.value.push_back({buf[i].pid, buf[i].usedGpuMemory});
        }
      }
      if (a.rc != kErrorInsufficientSize) break;
    }
    return a;
  };
}

struct UtilRow {
  int64_t sm_sum = 0, mem_sum = 0, samples = 0;
};
using UtilMap = std::map<unsigned int, UtilRow>;

std::function<Answer<UtilMap>()> process_util_call(ProcessUtilFn fn, Device dev, unsigned long long since_us) {
  return [fn, dev, since_us] {
    Answer<UtilMap> a;
    unsigned int n = 0;
    a.rc = fn(dev, nullptr, &n, since_us);
    if (a.rc == kErrorNotFound) {  // no sample in the window: nothing ran
      a.rc = kSuccess;
      return a;
    }
    if (a.rc != kErrorInsufficientSize && a.rc != kSuccess) return a;
    if (n == 0) {
      a.rc = kSuccess;
      return a;
    }
    unsigned int cap = n + 16;
    std::vector<ProcessUtilizationSample> buf(cap);
    n = cap;
    a.rc = fn(dev, buf.data(), &n, since_us);
    if (a.rc != kSuccess) return a;
    for (unsigned i = 0; i < n && i < cap; ++i) {
      auto& r = a.value[buf[i].pid];
      r.sm_sum += buf[i].smUtil;
      r.mem_sum += buf[i].memUtil;
      ++r.samples;
    }
    return a;
  };
}

std::string process_name(Session& ses, unsigned int pid) {
  const auto& s = ses.sym().process_name;
  if (!s || ses.stuck()) return "";
  auto fn = s.fn;
  auto a = ses.run<std::string>(s.name, [fn, pid] {
    std::vector<char> buf(kProcessNameBufferSize + 1, '\0');
    Answer<std::string> r;
    r.rc = fn(pid, buf.data(), kProcessNameBufferSize);
    r.value = buf.data();
    return r;
  });
  return a && a->rc == kSuccess ? a->value : "";
}

void probe_processes(Session& ses, Device dev, int64_t gpu, bool& lost, double window_s, GpuDeviceFacts& d) {
  const Symbols& sym = ses.sym();
  Fact<ProcList> compute, graphics;
  if (sym.compute_procs) {
    ses.fact(compute, sym.compute_procs.name, true, gpu, lost,
             processes_call(sym.compute_procs.fn, sym.compute_procs.name, dev), same<ProcList>);
  } else {
    compute.unknown("nvmlDeviceGetComputeRunningProcesses is not in this NVML library");
  }
  if (sym.graphics_procs) {
    ses.fact(graphics, sym.graphics_procs.name, true, gpu, lost,
             processes_call(sym.graphics_procs.fn, sym.graphics_procs.name, dev), same<ProcList>);
  }
  if (!compute) return d.processes.unknown(compute.unknown_why);
  std::map<unsigned int, GpuProcessFacts> by_pid;
  auto add = [&](const ProcList& list, const std::string& kind, const std::string& src) {
    for (const auto& p : list) {
      auto& f = by_pid[p.pid];
      f.pid = p.pid;
      f.type = f.type.empty() ? kind : "compute+graphics";
      if (p.mem != kValueNotAvailable) {
        f.used_memory_bytes.set(static_cast<int64_t>(p.mem), src);
      } else if (!f.used_memory_bytes) {
        f.used_memory_bytes.unknown("NVML reports the value as not available (MIG without privileges, or vGPU)");
      }
    }
  };
  add(*compute, "compute", compute.source);
  if (graphics) add(*graphics, "graphics", graphics.source);
  Fact<UtilMap> util;
  if (!by_pid.empty() && sym.process_util) {
    auto now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto since = static_cast<unsigned long long>(now_us - static_cast<int64_t>(window_s * 1e6));
    ses.fact(util, sym.process_util.name, true, gpu, lost, process_util_call(sym.process_util.fn, dev, since),
             same<UtilMap>);
  } else if (!sym.process_util) {
    util.unknown("nvmlDeviceGetProcessUtilization is not in this NVML library");
  }
  std::vector<GpuProcessFacts> list;
  for (auto& [pid, f] : by_pid) {
    f.name = process_name(ses, pid);
    if (util) {
      auto it = util->find(pid);
      std::string src = util.source + " (last " + format_timeout(window_s) + ")";
      if (it != util->end() && it->second.samples > 0) {
        f.sm_utilization_pct.set(it->second.sm_sum / it->second.samples, src);
        f.memory_utilization_pct.set(it->second.mem_sum / it->second.samples, src);
      } else {
        f.sm_utilization_pct.set(0, src + ": no sample for this process");
        f.memory_utilization_pct.set(0, src + ": no sample for this process");
      }
    } else {
      f.sm_utilization_pct.unknown(util.unknown_why);
      f.memory_utilization_pct.unknown(util.unknown_why);
    }
    list.push_back(std::move(f));
  }
  d.processes.set(std::move(list), compute.source + (graphics ? ", " + graphics.source : ""));
}

void probe_mig(Session& ses, Device dev, int64_t gpu, bool& lost, GpuDeviceFacts& d) {
  const Symbols& sym = ses.sym();
  if (!d.mig_mode) return d.mig_devices.unknown(d.mig_mode.unknown_why);
  if (!*d.mig_mode) return d.mig_devices.unknown("MIG is off");
  Fact<int64_t> max;
  ses.fact(max, "nvmlDeviceGetMaxMigDeviceCount", bool(sym.max_mig_count), gpu, lost,
           uint_call(sym.max_mig_count.fn, dev), as_i64);
  if (!max) return d.mig_devices.unknown(max.unknown_why);
  if (!sym.mig_handle) return d.mig_devices.unknown("nvmlDeviceGetMigDeviceHandleByIndex is not in this NVML library");
  std::vector<MigDeviceFacts> list;
  for (int64_t k = 0; k < *max; ++k) {
    auto fn = sym.mig_handle.fn;
    auto idx = static_cast<unsigned int>(k);
    auto h = ses.run<Device>("nvmlDeviceGetMigDeviceHandleByIndex", [fn, dev, idx] {
      Answer<Device> a;
      a.rc = fn(dev, idx, &a.value);
      return a;
    });
    if (!h) return d.mig_devices.unknown(ses.stuck_why());
    if (h->rc == kErrorNotFound || h->rc == kErrorInvalidArgument) continue;  // slot not populated
    if (h->rc != kSuccess) continue;
    Device m = h->value;
    MigDeviceFacts f;
    f.index = k;
    bool mlost = false;
    ses.fact(f.uuid, "nvmlDeviceGetUUID", bool(sym.uuid), gpu, mlost, string_call(sym.uuid.fn, m, kUuidBufferSize),
             same<std::string>);
    ses.fact(f.gpu_instance_id, "nvmlDeviceGetGpuInstanceId", bool(sym.gpu_instance_id), gpu, mlost,
             uint_call(sym.gpu_instance_id.fn, m), as_i64);
    ses.fact(f.compute_instance_id, "nvmlDeviceGetComputeInstanceId", bool(sym.compute_instance_id), gpu, mlost,
             uint_call(sym.compute_instance_id.fn, m), as_i64);
    if (sym.memory_v1) {
      Fact<Memory> mem;
      auto mf = sym.memory_v1.fn;
      ses.fact(mem, "nvmlDeviceGetMemoryInfo", true, gpu, mlost, std::function<Answer<Memory>()>([mf, m] {
                 Answer<Memory> a;
                 a.rc = mf(m, &a.value);
                 return a;
               }),
               same<Memory>);
      if (mem) {
        f.memory_total_bytes.set(static_cast<int64_t>(mem->total), mem.source);
        f.memory_used_bytes.set(static_cast<int64_t>(mem->used), mem.source);
      } else {
        f.memory_total_bytes.unknown(mem.unknown_why);
        f.memory_used_bytes.unknown(mem.unknown_why);
      }
    }
    list.push_back(std::move(f));
  }
  d.mig_devices.set(std::move(list), "NVML nvmlDeviceGetMigDeviceHandleByIndex");
}

void probe_memory(Session& ses, Device dev, int64_t gpu, bool& lost, GpuDeviceFacts& d) {
  const Symbols& sym = ses.sym();
  struct Mem {
    unsigned long long total = 0, used = 0, free = 0;
  };
  Fact<Mem> mem;
  if (sym.memory_v2) {
    auto fn = sym.memory_v2.fn;
    ses.fact(mem, "nvmlDeviceGetMemoryInfo_v2", true, gpu, lost, std::function<Answer<Mem>()>([fn, dev] {
               MemoryV2 m{};
               m.version = kMemoryV2Version;
               Answer<Mem> a;
               a.rc = fn(dev, &m);
               a.value = {m.total, m.used, m.free};
               return a;
             }),
             same<Mem>);
  }
  if (!mem && sym.memory_v1 && !lost && !ses.stuck()) {
    auto fn = sym.memory_v1.fn;
    ses.fact(mem, "nvmlDeviceGetMemoryInfo", true, gpu, lost, std::function<Answer<Mem>()>([fn, dev] {
               Memory m{};
               Answer<Mem> a;
               a.rc = fn(dev, &m);
               a.value = {m.total, m.used, m.free};
               return a;
             }),
             same<Mem>);
  }
  if (!mem) {
    std::string why = mem.unknown_why.empty() ? "nvmlDeviceGetMemoryInfo is not in this NVML library" : mem.unknown_why;
    d.memory_total_bytes.unknown(why);
    d.memory_used_bytes.unknown(why);
    d.memory_free_bytes.unknown(why);
    return;
  }
  d.memory_total_bytes.set(static_cast<int64_t>(mem->total), mem.source);
  d.memory_used_bytes.set(static_cast<int64_t>(mem->used), mem.source);
  d.memory_free_bytes.set(static_cast<int64_t>(mem->free), mem.source);
}

}  // namespace

GpuDeviceFacts probe_device(Session& ses, Device dev, int64_t gpu, double window_s) {
  const Symbols& s = ses.sym();
  GpuDeviceFacts d;
  d.index.set(gpu, std::string("NVML ") + s.handle.name);
  bool lost = false;
  ses.fact(d.name, "nvmlDeviceGetName", bool(s.name), gpu, lost, string_call(s.name.fn, dev, kNameBufferSize),
           same<std::string>);
  ses.fact(d.uuid, "nvmlDeviceGetUUID", bool(s.uuid), gpu, lost, string_call(s.uuid.fn, dev, kUuidBufferSize),
           same<std::string>);
  {
    auto fn = s.pci.fn;
    ses.fact(d.pci_bus_id, s.pci ? s.pci.name : "nvmlDeviceGetPciInfo_v3", bool(s.pci), gpu, lost,
             std::function<Answer<std::string>()>([fn, dev] {
               PciInfo p{};
               Answer<std::string> a;
               a.rc = fn(dev, &p);
               p.busId[sizeof p.busId - 1] = '\0';
               a.value = nvml_bus_id_to_sysfs(p.busId);
               return a;
             }),
             same<std::string>);
  }
  ses.fact(d.serial, "nvmlDeviceGetSerial", bool(s.serial), gpu, lost, string_call(s.serial.fn, dev, kSerialBufferSize),
           same<std::string>);
  ses.fact(d.vbios_version, "nvmlDeviceGetVbiosVersion", bool(s.vbios), gpu, lost,
           string_call(s.vbios.fn, dev, kVbiosBufferSize), same<std::string>);
  {
    auto fn = s.cc.fn;
    ses.fact(d.compute_capability, "nvmlDeviceGetCudaComputeCapability", bool(s.cc), gpu, lost,
             std::function<Answer<std::string>()>([fn, dev] {
               int major = 0, minor = 0;
               Answer<std::string> a;
               a.rc = fn(dev, &major, &minor);
               a.value = std::to_string(major) + "." + std::to_string(minor);
               return a;
             }),
             same<std::string>);
  }
  probe_memory(ses, dev, gpu, lost, d);
  {
    auto fn = s.utilization.fn;
    Fact<Utilization> u;
    ses.fact(u, "nvmlDeviceGetUtilizationRates", bool(s.utilization), gpu, lost,
             std::function<Answer<Utilization>()>([fn, dev] {
               Answer<Utilization> a;
               a.rc = fn(dev, &a.value);
               return a;
             }),
             same<Utilization>);
    if (u) {
      d.utilization_gpu_pct.set(u->gpu, u.source);
      d.utilization_memory_pct.set(u->memory, u.source);
    } else {
      d.utilization_gpu_pct.unknown(u.unknown_why);
      d.utilization_memory_pct.unknown(u.unknown_why);
    }
  }
  auto pair_first = [](DeviceUintPairFn fn, Device dv) {
    return std::function<Answer<unsigned int>()>([fn, dv] {
      Answer<unsigned int> a;
      unsigned int period = 0;
      a.rc = fn(dv, &a.value, &period);
      return a;
    });
  };
  ses.fact(d.encoder_utilization_pct, "nvmlDeviceGetEncoderUtilization", bool(s.encoder), gpu, lost,
           pair_first(s.encoder.fn, dev), as_i64);
  ses.fact(d.decoder_utilization_pct, "nvmlDeviceGetDecoderUtilization", bool(s.decoder), gpu, lost,
           pair_first(s.decoder.fn, dev), as_i64);
  ses.fact(d.temperature_c, "nvmlDeviceGetTemperature", bool(s.temperature), gpu, lost,
           typed_uint_call(s.temperature.fn, dev, kTemperatureGpu), as_i64);
  ses.fact(d.power_draw_mw, "nvmlDeviceGetPowerUsage", bool(s.power_usage), gpu, lost, uint_call(s.power_usage.fn, dev),
           as_i64);
  ses.fact(d.power_limit_mw, "nvmlDeviceGetEnforcedPowerLimit", bool(s.power_limit), gpu, lost,
           uint_call(s.power_limit.fn, dev), as_i64);
  ses.fact(d.sm_clock_mhz, "nvmlDeviceGetClockInfo", bool(s.clock), gpu, lost,
           typed_uint_call(s.clock.fn, dev, kClockSm), as_i64);
  ses.fact(d.sm_clock_max_mhz, "nvmlDeviceGetMaxClockInfo", bool(s.max_clock), gpu, lost,
           typed_uint_call(s.max_clock.fn, dev, kClockSm), as_i64);
  ses.fact(d.mem_clock_mhz, "nvmlDeviceGetClockInfo", bool(s.clock), gpu, lost,
           typed_uint_call(s.clock.fn, dev, kClockMem), as_i64);
  ses.fact(d.mem_clock_max_mhz, "nvmlDeviceGetMaxClockInfo", bool(s.max_clock), gpu, lost,
           typed_uint_call(s.max_clock.fn, dev, kClockMem), as_i64);
  ses.fact(d.pcie_gen_current, "nvmlDeviceGetCurrPcieLinkGeneration", bool(s.pcie_gen), gpu, lost,
           uint_call(s.pcie_gen.fn, dev), as_i64);
  ses.fact(d.pcie_gen_max, "nvmlDeviceGetMaxPcieLinkGeneration", bool(s.pcie_gen_max), gpu, lost,
           uint_call(s.pcie_gen_max.fn, dev), as_i64);
  ses.fact(d.pcie_width_current, "nvmlDeviceGetCurrPcieLinkWidth", bool(s.pcie_width), gpu, lost,
           uint_call(s.pcie_width.fn, dev), as_i64);
  ses.fact(d.pcie_width_max, "nvmlDeviceGetMaxPcieLinkWidth", bool(s.pcie_width_max), gpu, lost,
           uint_call(s.pcie_width_max.fn, dev), as_i64);
  auto kbps = [](unsigned int v) { return std::optional<int64_t>(static_cast<int64_t>(v) * 1024); };
  ses.fact(d.pcie_tx_bytes_per_s, "nvmlDeviceGetPcieThroughput", bool(s.pcie_throughput), gpu, lost,
           typed_uint_call(s.pcie_throughput.fn, dev, kPcieUtilTxBytes), kbps);
  ses.fact(d.pcie_rx_bytes_per_s, "nvmlDeviceGetPcieThroughput", bool(s.pcie_throughput), gpu, lost,
           typed_uint_call(s.pcie_throughput.fn, dev, kPcieUtilRxBytes), kbps);
  {
    auto fn = s.reasons.fn;
    ses.fact(
        d.clock_event_reasons, s.reasons ? s.reasons.name : "nvmlDeviceGetCurrentClocksEventReasons", bool(s.reasons),
        gpu, lost, std::function<Answer<unsigned long long>()>([fn, dev] {
          Answer<unsigned long long> a;
          a.rc = fn(dev, &a.value);
          return a;
        }),
        [](unsigned long long m) { return std::optional<std::vector<std::string>>(decode_clock_event_reasons(m)); });
  }
  auto on = [](int v) { return std::optional<bool>(v != 0); };
  ses.fact(d.persistence_mode, "nvmlDeviceGetPersistenceMode", bool(s.persistence), gpu, lost,
           enable_call(s.persistence.fn, dev), on);
  ses.fact(d.compute_mode, "nvmlDeviceGetComputeMode", bool(s.compute_mode), gpu, lost,
           enable_call(s.compute_mode.fn, dev), [](int v) -> std::optional<std::string> {
             switch (v) {
               case kComputeModeDefault: return "Default";
               case kComputeModeExclusiveThread: return "Exclusive_Thread";
               case kComputeModeProhibited: return "Prohibited";
               case kComputeModeExclusiveProcess: return "Exclusive_Process";
               default: return "mode " + std::to_string(v);
             }
           });
  {
    auto fn = s.mig_mode.fn;
    ses.fact(d.mig_mode, "nvmlDeviceGetMigMode", bool(s.mig_mode), gpu, lost,
             std::function<Answer<unsigned int>()>([fn, dev] {
               Answer<unsigned int> a;
               unsigned int pending = 0;
               a.rc = fn(dev, &a.value, &pending);
               return a;
             }),
             [](unsigned int v) { return std::optional<bool>(v != 0); });
  }
  probe_mig(ses, dev, gpu, lost, d);
  {
    auto fn = s.ecc_mode.fn;
    ses.fact(d.ecc_mode, "nvmlDeviceGetEccMode", bool(s.ecc_mode), gpu, lost, std::function<Answer<int>()>([fn, dev] {
               Answer<int> a;
               int pending = 0;
               a.rc = fn(dev, &a.value, &pending);
               return a;
             }),
             on);
  }
  auto ecc_call = [](EccCountFn fn, Device dv, int counter) {
    return std::function<Answer<unsigned long long>()>([fn, dv, counter] {
      Answer<unsigned long long> a;
      a.rc = fn(dv, kMemoryErrorUncorrected, counter, &a.value);
      return a;
    });
  };
  auto u64 = [](unsigned long long v) { return std::optional<int64_t>(static_cast<int64_t>(v)); };
  ses.fact(d.ecc_volatile_uncorrectable, "nvmlDeviceGetTotalEccErrors", bool(s.ecc_count), gpu, lost,
           ecc_call(s.ecc_count.fn, dev, kVolatileEcc), u64);
  ses.fact(d.ecc_aggregate_uncorrectable, "nvmlDeviceGetTotalEccErrors", bool(s.ecc_count), gpu, lost,
           ecc_call(s.ecc_count.fn, dev, kAggregateEcc), u64);
  ses.fact(d.retired_pages_pending, "nvmlDeviceGetRetiredPagesPendingStatus", bool(s.retired_pending), gpu, lost,
           enable_call(s.retired_pending.fn, dev), on);
  {
    struct Rows {
      unsigned int corr = 0, unc = 0, pending = 0, failure = 0;
    };
    Fact<Rows> rows;
    auto fn = s.remapped_rows.fn;
    ses.fact(rows, "nvmlDeviceGetRemappedRows", bool(s.remapped_rows), gpu, lost,
             std::function<Answer<Rows>()>([fn, dev] {
               Answer<Rows> a;
               a.rc = fn(dev, &a.value.corr, &a.value.unc, &a.value.pending, &a.value.failure);
               return a;
             }),
             same<Rows>);
    if (rows) {
      d.remapped_rows_pending.set(rows->pending != 0, rows.source);
      d.remapped_rows_failure.set(rows->failure != 0, rows.source);
    } else {
      d.remapped_rows_pending.unknown(rows.unknown_why);
      d.remapped_rows_failure.unknown(rows.unknown_why);
    }
  }
  probe_processes(ses, dev, gpu, lost, window_s, d);
  return d;
}

}  // namespace infertune::nvml
