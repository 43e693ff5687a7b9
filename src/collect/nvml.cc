#include "collect/nvml.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "base/deadline.h"
#include "base/dynamic_library.h"
#include "collect/nvml_api.h"

namespace infertune {

namespace nvml {

const char* return_name(Return r) {
  switch (r) {
    case 0: return "NVML_SUCCESS";
    case 1: return "NVML_ERROR_UNINITIALIZED";
    case 2: return "NVML_ERROR_INVALID_ARGUMENT";
    case 3: return "NVML_ERROR_NOT_SUPPORTED";
    case 4: return "NVML_ERROR_NO_PERMISSION";
    case 5: return "NVML_ERROR_ALREADY_INITIALIZED";
    case 6: return "NVML_ERROR_NOT_FOUND";
    case 7: return "NVML_ERROR_INSUFFICIENT_SIZE";
    case 8: return "NVML_ERROR_INSUFFICIENT_POWER";
    case 9: return "NVML_ERROR_DRIVER_NOT_LOADED";
    case 10: return "NVML_ERROR_TIMEOUT";
    case 11: return "NVML_ERROR_IRQ_ISSUE";
    case 12: return "NVML_ERROR_LIBRARY_NOT_FOUND";
    case 13: return "NVML_ERROR_FUNCTION_NOT_FOUND";
    case 14: return "NVML_ERROR_CORRUPTED_INFOROM";
    case 15: return "NVML_ERROR_GPU_IS_LOST";
    case 16: return "NVML_ERROR_RESET_REQUIRED";
    case 17: return "NVML_ERROR_OPERATING_SYSTEM";
    case 18: return "NVML_ERROR_LIB_RM_VERSION_MISMATCH";
    case 19: return "NVML_ERROR_IN_USE";
    case 20: return "NVML_ERROR_MEMORY";
    case 21: return "NVML_ERROR_NO_DATA";
    case 22: return "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED";
    case 23: return "NVML_ERROR_INSUFFICIENT_RESOURCES";
    case 24: return "NVML_ERROR_FREQ_NOT_SUPPORTED";
    case 25: return "NVML_ERROR_ARGUMENT_VERSION_MISMATCH";
    case 26: return "NVML_ERROR_DEPRECATED";
    case 27: return "NVML_ERROR_NOT_READY";
    case 28: return "NVML_ERROR_GPU_NOT_FOUND";
    case 29: return "NVML_ERROR_INVALID_STATE";
    case 999: return "NVML_ERROR_UNKNOWN";
    default: return "NVML_ERROR_(unlisted code)";
  }
}

}  // namespace nvml

std::string nvml_bus_id_to_sysfs(const std::string& bus_id) {
  std::string s;
  for (char c : bus_id) {
    if (c == '\0') break;
    s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // "00000000:3b:00.0": NVML pads the domain to 8 digits, sysfs to 4.
  auto colon = s.find(':');
  if (colon == 8 && s.compare(0, 4, "0000") == 0) s.erase(0, 4);
  return s;
}

std::vector<std::string> decode_clock_event_reasons(unsigned long long mask) {
  std::vector<std::string> out;
  for (const auto& r : nvml::kClockReasons) {
    if (mask & r.bit) out.emplace_back(r.name);
  }
  return out;
}

std::string cuda_version_string(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

namespace {

using namespace nvml;

// The functions used, resolved once; the name actually found is kept (it is the fact's source).
struct Symbols {
  template <class Fn>
  struct Sym {
    Fn fn = nullptr;
    const char* name = nullptr;  // the variant found
    const char* wanted = nullptr;
    explicit operator bool() const { return fn != nullptr; }
  };
  Sym<InitFn> init, shutdown;
  Sym<ErrorStringFn> error_string;
  Sym<SystemStringFn> driver_version, nvml_version;
  Sym<SystemIntFn> cuda_driver_version;
  Sym<CountFn> count;
  Sym<HandleByIndexFn> handle;
  Sym<DeviceStringFn> name, uuid, serial, vbios;
  Sym<PciInfoFn> pci;
  Sym<DeviceIntPairFn> cc;
  Sym<MemoryV2Fn> memory_v2;
  Sym<MemoryFn> memory_v1;
  Sym<UtilizationFn> utilization;
  Sym<DeviceUintPairFn> encoder, decoder;
  Sym<DeviceTypedUintFn> temperature, clock, max_clock, pcie_throughput;
  Sym<DeviceUintFn> power_usage, power_limit, pcie_gen, pcie_gen_max, pcie_width, pcie_width_max;
  Sym<ReasonsFn> reasons;
  Sym<EnableStateFn> persistence, compute_mode, retired_pending;
  Sym<DeviceUintPairFn> mig_mode;
  Sym<DeviceUintFn> max_mig_count, gpu_instance_id, compute_instance_id;
  Sym<MigHandleFn> mig_handle;
  Sym<EnableStatePairFn> ecc_mode;
  Sym<EccCountFn> ecc_count;
  Sym<RemappedRowsFn> remapped_rows;
  Sym<ProcessesFn> compute_procs, graphics_procs;
  Sym<ProcessUtilFn> process_util;
  Sym<ProcessNameFn> process_name;
  std::vector<std::string> missing;

  template <class Fn>
  void resolve(const DynamicLibrary& lib, Sym<Fn>& s, std::initializer_list<const char*> names) {
    s.wanted = *names.begin();
    for (const char* n : names) {
      if (void* p = lib.symbol(n)) {
        s.fn = reinterpret_cast<Fn>(p);
        s.name = n;
        return;
      }
    }
    std::string all;
    for (const char* n : names) all += (all.empty() ? "" : "/") + std::string(n);
    missing.push_back(all);
  }

  explicit Symbols(const DynamicLibrary& lib) {
    resolve(lib, init, {"nvmlInit_v2", "nvmlInit"});
    resolve(lib, shutdown, {"nvmlShutdown"});
    resolve(lib, error_string, {"nvmlErrorString"});
    resolve(lib, driver_version, {"nvmlSystemGetDriverVersion"});
    resolve(lib, nvml_version, {"nvmlSystemGetNVMLVersion"});
    resolve(lib, cuda_driver_version, {"nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"});
    resolve(lib, count, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"});
    resolve(lib, handle, {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"});
    resolve(lib, name, {"nvmlDeviceGetName"});
    resolve(lib, uuid, {"nvmlDeviceGetUUID"});
    resolve(lib, serial, {"nvmlDeviceGetSerial"});
    resolve(lib, vbios, {"nvmlDeviceGetVbiosVersion"});
    resolve(lib, pci, {"nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2"});
    resolve(lib, cc, {"nvmlDeviceGetCudaComputeCapability"});
    resolve(lib, memory_v2, {"nvmlDeviceGetMemoryInfo_v2"});
    resolve(lib, memory_v1, {"nvmlDeviceGetMemoryInfo"});
    resolve(lib, utilization, {"nvmlDeviceGetUtilizationRates"});
    resolve(lib, encoder, {"nvmlDeviceGetEncoderUtilization"});
    resolve(lib, decoder, {"nvmlDeviceGetDecoderUtilization"});
    resolve(lib, temperature, {"nvmlDeviceGetTemperature"});
    resolve(lib, clock, {"nvmlDeviceGetClockInfo"});
    resolve(lib, max_clock, {"nvmlDeviceGetMaxClockInfo"});
    resolve(lib, pcie_throughput, {"nvmlDeviceGetPcieThroughput"});
    resolve(lib, power_usage, {"nvmlDeviceGetPowerUsage"});
    resolve(lib, power_limit, {"nvmlDeviceGetEnforcedPowerLimit"});
    resolve(lib, pcie_gen, {"nvmlDeviceGetCurrPcieLinkGeneration"});
    resolve(lib, pcie_gen_max, {"nvmlDeviceGetMaxPcieLinkGeneration"});
    resolve(lib, pcie_width, {"nvmlDeviceGetCurrPcieLinkWidth"});
    resolve(lib, pcie_width_max, {"nvmlDeviceGetMaxPcieLinkWidth"});
    resolve(lib, reasons, {"nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons"});
    resolve(lib, persistence, {"nvmlDeviceGetPersistenceMode"});
    resolve(lib, compute_mode, {"nvmlDeviceGetComputeMode"});
    resolve(lib, retired_pending, {"nvmlDeviceGetRetiredPagesPendingStatus"});
    resolve(lib, mig_mode, {"nvmlDeviceGetMigMode"});
    resolve(lib, max_mig_count, {"nvmlDeviceGetMaxMigDeviceCount"});
    resolve(lib, mig_handle, {"nvmlDeviceGetMigDeviceHandleByIndex"});
    resolve(lib, gpu_instance_id, {"nvmlDeviceGetGpuInstanceId"});
    resolve(lib, compute_instance_id, {"nvmlDeviceGetComputeInstanceId"});
    resolve(lib, ecc_mode, {"nvmlDeviceGetEccMode"});
    resolve(lib, ecc_count, {"nvmlDeviceGetTotalEccErrors"});
    resolve(lib, remapped_rows, {"nvmlDeviceGetRemappedRows"});
    resolve(lib, compute_procs,
            {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2",
             "nvmlDeviceGetComputeRunningProcesses"});
    resolve(lib, graphics_procs,
            {"nvmlDeviceGetGraphicsRunningProcesses_v3", "nvmlDeviceGetGraphicsRunningProcesses_v2",
             "nvmlDeviceGetGraphicsRunningProcesses"});
    resolve(lib, process_util, {"nvmlDeviceGetProcessUtilization"});
    resolve(lib, process_name, {"nvmlSystemGetProcessName"});
  }
};

template <class T>
struct Answer {
  Return rc = kErrorUnknown;
  T value{};
};

struct ProcRow {
  unsigned int pid = 0;
  unsigned long long mem = kValueNotAvailable;
};
using ProcList = std::vector<ProcRow>;

// One probe: the runner, the symbol table and the bookkeeping of what went wrong.
class Session {
 public:
  Session(const Symbols& sym, double timeout_s, NvmlProbeFacts& probe) : sym_(sym), runner_(timeout_s), probe_(probe) {}

  const Symbols& sym() const { return sym_; }
  bool stuck() const { return runner_.stuck(); }
  std::string stuck_why() const {
    return "not asked: " + runner_.stuck_call() + " did not answer in " + format_timeout(runner_.timeout_s());
  }

  // Runs `call` (capturing by value only) under the deadline.
  template <class T>
  std::optional<Answer<T>> run(const std::string& fn, std::function<Answer<T>()> call) {
    if (runner_.stuck()) return std::nullopt;
    auto a = runner_.run<Answer<T>>(fn, std::move(call));
    if (!a) timed_out_.push_back(fn + " did not answer in " + format_timeout(runner_.timeout_s()));
    return a;
  }

  std::string error_text(Return rc) const {
    std::string s = return_name(rc);
    if (rc == kErrorNotSupported) s += " (not supported on this GPU)";
    return s;
  }

  // A device-level query: sets `out` from the answer or says why it is unknown. Marks the device lost on
  // NVML_ERROR_GPU_IS_LOST.
  template <class V, class T, class Fn>
  void fact(Fact<V>& out, const char* fn_name, bool have, int64_t gpu, bool& lost, std::function<Answer<T>()> call,
            Fn conv) {
    if (!have) return out.unknown(std::string(fn_name) + " is not in this NVML library (older driver)");
    if (lost) return out.unknown("GPU " + std::to_string(gpu) + " was lost earlier in this probe");
    if (stuck()) return out.unknown(stuck_why());
    auto a = run<T>(fn_name, std::move(call));
    if (!a) return out.unknown(std::string(fn_name) + " did not answer in " + format_timeout(runner_.timeout_s()));
    if (a->rc == kErrorGpuIsLost) {
      lost = true;
      gpu_lost_.push_back("GPU " + std::to_string(gpu) + ": " + fn_name + " returned NVML_ERROR_GPU_IS_LOST");
    }
    if (a->rc != kSuccess) return out.unknown(std::string(fn_name) + ": " + error_text(a->rc));
    std::optional<V> v = conv(a->value);
    if (!v) return out.unknown(std::string(fn_name) + ": value not available");
    out.set(std::move(*v), std::string("NVML ") + fn_name);
  }

  void finish() {
    probe_.timed_out.set(timed_out_, "NVML probe (deadline " + format_timeout(runner_.timeout_s()) + " per call)");
    probe_.gpu_lost.set(gpu_lost_, "NVML return codes");
  }
  std::vector<std::string>& timed_out() { return timed_out_; }
  std::vector<std::string>& gpu_lost() { return gpu_lost_; }

 private:
  const Symbols& sym_;
  ProbeRunner runner_;
  NvmlProbeFacts& probe_;
  std::vector<std::string> timed_out_;
  std::vector<std::string> gpu_lost_;
};

template <class T>
std::optional<T> same(const T& v) {
  return v;
}
std::optional<int64_t> as_i64(unsigned int v) { return static_cast<int64_t>(v); }

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

void system_string(Session& ses, Fact<std::string>& out, const Symbols::Sym<SystemStringFn>& sym, const char* fn_name) {
  if (!sym) return out.unknown(std::string(fn_name) + " is not in this NVML library");
  if (ses.stuck()) return out.unknown(ses.stuck_why());
  auto fn = sym.fn;
  auto a = ses.run<std::string>(fn_name, [fn] {
    std::vector<char> buf(kSystemVersionBufferSize + 1, '\0');
    Answer<std::string> r;
    r.rc = fn(buf.data(), kSystemVersionBufferSize);
    r.value = buf.data();
    return r;
  });
  if (!a) return out.unknown(std::string(fn_name) + " did not answer");
  if (a->rc != kSuccess) return out.unknown(std::string(fn_name) + ": " + return_name(a->rc));
  out.set(a->value, std::string("NVML ") + fn_name);
}

void all_unknown(GpuFacts& gpu, const std::string& why) {
  gpu.devices.unknown(why);
  gpu.driver.driver_version.unknown(why);
  gpu.driver.cuda_driver_version.unknown(why);
  gpu.driver.nvml_version.unknown(why);
}

}  // namespace

void collect_nvml(const GpuProbeOptions& opts, GpuFacts& gpu, std::vector<std::string>& notes) {
  NvmlProbeFacts& probe = gpu.nvml;
  auto lib = open_driver_library(opts.nvml_library, kNvmlLibraryEnv, "libnvidia-ml.so.1");
  if (!lib) {
    std::string why = "no NVML library: " + lib.error().message;
    probe.library.unknown(lib.error().message);
    probe.library_version.unknown(why);
    probe.init_result.unknown(why);
    probe.init_error.unknown(why);
    probe.missing_symbols.unknown(why);
    probe.timed_out.unknown(why);
    probe.gpu_lost.unknown(why);
    all_unknown(gpu, why);
    notes.push_back(why);
    return;
  }
  std::string file = lib->file().empty() ? lib->requested() : lib->file();
  probe.library.set(file, "dlopen " + lib->requested());
  std::string fver = library_file_version(file);
  if (fver.find('.') != std::string::npos) {
    probe.library_version.set(fver, "file name of " + file);
  } else {
    probe.library_version.unknown("the file name " + file + " carries no driver version");
  }
  // The library is never unloaded: an abandoned probe thread may still be inside it (base/deadline.h). The
  // probe's calls capture the function pointers by value, never this table.
  const Symbols sym(*lib);
  probe.missing_symbols.set(sym.missing, "dlsym on " + file);
  if (!sym.init || !sym.count || !sym.handle) {
    std::string why = file + " lacks nvmlInit/nvmlDeviceGetCount/nvmlDeviceGetHandleByIndex: not an NVML library";
    probe.init_result.unknown(why);
    probe.init_error.unknown(why);
    probe.timed_out.unknown(why);
    probe.gpu_lost.unknown(why);
    all_unknown(gpu, why);
    notes.push_back(why);
    return;
  }
  Session ses(sym, opts.timeout_s, probe);
  auto init_fn = sym.init.fn;
  auto init = ses.run<int>(sym.init.name, [init_fn] {
    Answer<int> a;
    a.rc = init_fn();
    return a;
  });
  if (!init) {
    std::string why = std::string(sym.init.name) + " did not answer in " + format_timeout(opts.timeout_s);
    probe.init_result.unknown(why);
    probe.init_error.unknown(why);
    all_unknown(gpu, why);
    ses.finish();
    notes.push_back(why);
    return;
  }
  probe.init_result.set(return_name(init->rc), std::string("NVML ") + sym.init.name);
  if (init->rc != kSuccess) {
    std::string text;
    if (sym.error_string) text = sym.error_string.fn(init->rc) ? sym.error_string.fn(init->rc) : "";
    if (text.empty()) text = return_name(init->rc);
    probe.init_error.set(text, "NVML nvmlErrorString");
    std::string why = std::string(sym.init.name) + " failed: " + return_name(init->rc) + " (" + text + ")";
    all_unknown(gpu, why);
    if (init->rc == kErrorGpuIsLost) ses.gpu_lost().push_back(std::string(sym.init.name) + ": NVML_ERROR_GPU_IS_LOST");
    ses.finish();
    notes.push_back(why);
    return;
  }
  probe.init_error.unknown("nvmlInit succeeded");
  system_string(ses, gpu.driver.driver_version, sym.driver_version, "nvmlSystemGetDriverVersion");
  system_string(ses, gpu.driver.nvml_version, sym.nvml_version, "nvmlSystemGetNVMLVersion");
  if (!sym.cuda_driver_version) {
    gpu.driver.cuda_driver_version.unknown("nvmlSystemGetCudaDriverVersion is not in this NVML library");
  } else {
    auto fn = sym.cuda_driver_version.fn;
    auto a = ses.run<int>(sym.cuda_driver_version.name, [fn] {
      Answer<int> r;
      r.rc = fn(&r.value);
      return r;
    });
    if (a && a->rc == kSuccess) {
      gpu.driver.cuda_driver_version.set(cuda_version_string(a->value),
                                         std::string("NVML ") + sym.cuda_driver_version.name);
    } else {
      gpu.driver.cuda_driver_version.unknown(a ? std::string(sym.cuda_driver_version.name) + ": " + return_name(a->rc)
                                               : ses.stuck_why());
    }
  }
  auto count_fn = sym.count.fn;
  auto count = ses.run<unsigned int>(sym.count.name, [count_fn] {
    Answer<unsigned int> a;
    a.rc = count_fn(&a.value);
    return a;
  });
  if (!count || count->rc != kSuccess) {
    gpu.devices.unknown(count ? std::string(sym.count.name) + ": " + return_name(count->rc) : ses.stuck_why());
  } else {
    std::vector<GpuDeviceFacts> devs;
    for (unsigned int k = 0; k < count->value; ++k) {
      auto hfn = sym.handle.fn;
      auto h = ses.run<Device>(sym.handle.name, [hfn, k] {
        Answer<Device> a;
        a.rc = hfn(k, &a.value);
        return a;
      });
      if (!h) {
        GpuDeviceFacts d;
        d.index.set(k, std::string("NVML ") + sym.handle.name);
        d.name.unknown(ses.stuck_why().substr(std::string("not asked: ").size()));
        devs.push_back(std::move(d));
        break;
      }
      if (h->rc != kSuccess) {
        GpuDeviceFacts d;
        d.index.set(k, std::string("NVML ") + sym.handle.name);
        std::string why = std::string(sym.handle.name) + ": " + return_name(h->rc);
        d.name.unknown(why);
        if (h->rc == kErrorGpuIsLost) {
          ses.gpu_lost().push_back("GPU " + std::to_string(k) + ": " + sym.handle.name +
                                   " returned NVML_ERROR_GPU_IS_LOST");
        }
        devs.push_back(std::move(d));
        continue;
      }
      devs.push_back(probe_device(ses, h->value, k, opts.sample_window_s));
    }
    if (ses.stuck() && devs.size() < count->value) {
      notes.push_back("NVML: " + std::to_string(count->value - devs.size()) + " more of " +
                      std::to_string(count->value) + " GPUs not probed: " + ses.stuck_why());
    }
    gpu.devices.set(std::move(devs), std::string("NVML (") + file + ")");
  }
  for (const auto& t : ses.timed_out()) notes.push_back("NVML probe timed out: " + t);
  ses.finish();
  if (!ses.stuck() && sym.shutdown) {
    auto sfn = sym.shutdown.fn;
    (void)ses.run<int>("nvmlShutdown", [sfn] {
      Answer<int> a;
      a.rc = sfn();
      return a;
    });
  }
}

}  // namespace infertune
