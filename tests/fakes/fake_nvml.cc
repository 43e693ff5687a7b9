// A fake libnvidia-ml for tests: exports the NVML functions infertune uses and answers from a JSON profile
// ($INFERTUNE_FAKE_GPU_PROFILE, see profiles/). Built twice: a current driver, and (FAKE_NVML_OLD_DRIVER) an old
// one without the _v3 / _v2-struct symbols. Never linked into the tool; the real loader dlopens it.
//
// Profile: {"driver_version", "nvml_version", "cuda_driver_version" (12040), "init_error" (nvmlReturn_t),
//           "block": {"function": "nvmlDeviceGetHandleByIndex", "seconds": 2},
//           "devices": [{"name", "uuid", "pci_bus_id": "00000000:3B:00.0", ..., "errors": {"fn": code},
//                        "lost_from": "fn" (GPU lost from that call on), "repeat": n}]}

#include <atomic>
#include <cstring>
#include <deque>
#include <memory>
#include <vector>

#include "collect/nvml_api.h"
#include "fake_profile.h"

using namespace infertune::nvml;
using fake::json;

namespace {

struct FakeDev {
  json spec;
  bool mig = false;
  FakeDev* parent = nullptr;
  std::atomic<bool> lost{false};
  std::vector<FakeDev*> migs;
};

struct State {
  json profile = json::object();
  bool initialized = false;
  std::vector<FakeDev*> devices;
};

State& state() {
  static State* s = new State();  // never destroyed: an abandoned caller thread may still use it at exit
  return *s;
}
// Every device ever made stays alive (handles held by abandoned threads stay valid).
std::deque<std::unique_ptr<FakeDev>>& arena() {
  static auto* a = new std::deque<std::unique_ptr<FakeDev>>();
  return *a;
}

FakeDev* make(const json& spec, bool mig, FakeDev* parent) {
  arena().push_back(std::make_unique<FakeDev>());
  FakeDev* d = arena().back().get();
  d->spec = spec;
  d->mig = mig;
  d->parent = parent;
  return d;
}

json profile() {
  std::lock_guard<std::mutex> g(fake::mu());
  return state().profile;
}

// Common entry of every device call: the initialized check, blocking, injected errors, GPU lost.
Return enter(Device h, const char* fn, FakeDev*& d) {
  json p;
  {
    std::lock_guard<std::mutex> g(fake::mu());
    if (!state().initialized) return kErrorUninitialized;
    p = state().profile;
  }
  d = reinterpret_cast<FakeDev*>(h);
  if (d == nullptr) return kErrorInvalidArgument;
  fake::maybe_block(p, fn);
  FakeDev* top = d->parent ? d->parent : d;
  if (top->spec.value("lost_from", "") == fn) top->lost = true;
  if (top->lost) return kErrorGpuIsLost;
  if (d->spec.contains("errors") && d->spec["errors"].contains(fn)) return d->spec["errors"][fn].get<int>();
  return kSuccess;
}

template <class T>
T num(const json& spec, const char* key, T fallback) {
  if (!spec.contains(key) || !spec[key].is_number()) return fallback;
  return spec[key].get<T>();
}

Return str_out(const std::string& s, char* buf, unsigned int len) {
  if (buf == nullptr) return kErrorInvalidArgument;
  if (s.size() + 1 > len) return kErrorInsufficientSize;
  fake::copy_string(s, buf, len);
  return kSuccess;
}

#define ENTER(fn)                    \
  FakeDev* d = nullptr;              \
  if (Return rc = enter(h, fn, d)) { \
    return rc;                       \
  }

Return init_impl(const char* fn) {
  json p = fake::load_profile();
  fake::maybe_block(p, fn);
  std::lock_guard<std::mutex> g(fake::mu());
  State& s = state();
  s.profile = p;
  s.devices.clear();
  int rc = p.value("init_error", 0);
  if (rc != 0) {
    s.initialized = false;
    return rc;
  }
  if (p.contains("devices")) {
    int k = 0;
    for (const auto& spec : p["devices"]) {
      int repeat = spec.value("repeat", 1);
      for (int r = 0; r < repeat; ++r, ++k) {
        json one = spec;
        if (repeat > 1) {
          // Distinct UUIDs and bus ids for repeated devices: the last hex digits carry the index.
          std::string uuid = one.value("uuid", "GPU-00000000-0000-0000-0000-000000000000");
          char tail[4];
          std::snprintf(tail, sizeof tail, "%02x", k);
          uuid.replace(uuid.size() - 2, 2, tail);
          one["uuid"] = uuid;
          char bus[32];
          std::snprintf(bus, sizeof bus, "00000000:%02X:00.0", one.value("pci_bus", 0x10) + k);
          one["pci_bus_id"] = bus;
        }
        FakeDev* dev = make(one, false, nullptr);
        if (one.contains("mig_devices")) {
          for (const auto& m : one["mig_devices"]) dev->migs.push_back(make(m, true, dev));
        }
        s.devices.push_back(dev);
      }
    }
  }
  s.initialized = true;
  return kSuccess;
}

}  // namespace

namespace {
// Running processes: "processes": [{"pid", "used_memory" (absent = not available), "type": "compute"|"graphics"}].
template <class Info>
Return procs(Device h, unsigned int* n, Info* out, const char* fn, const char* type) {
  ENTER(fn);
  std::vector<json> rows;
  if (d->spec.contains("processes")) {
    for (const auto& p : d->spec["processes"]) {
      if (p.value("type", "compute") == type || p.value("type", "") == "compute+graphics") rows.push_back(p);
    }
  }
  unsigned int cap = *n;
  *n = static_cast<unsigned int>(rows.size());
  if (rows.size() > cap || (out == nullptr && !rows.empty())) return kErrorInsufficientSize;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memset(&out[i], 0, sizeof(Info));
    out[i].pid = rows[i].value("pid", 0u);
    out[i].usedGpuMemory =
        rows[i].contains("used_memory") ? rows[i]["used_memory"].get<unsigned long long>() : kValueNotAvailable;
  }
  return kSuccess;
}
}  // namespace

extern "C" {

Return nvmlInit_v2() { return init_impl("nvmlInit_v2"); }
Return nvmlInit() { return init_impl("nvmlInit"); }
Return nvmlShutdown() {
  std::lock_guard<std::mutex> g(fake::mu());
  state().initialized = false;
  return kSuccess;
}
const char* nvmlErrorString(Return r) {
  switch (r) {
    case kSuccess: return "Success";
    case kErrorNotSupported: return "Not Supported";
    case kErrorDriverNotLoaded: return "Driver Not Loaded";
    case kErrorGpuIsLost: return "GPU is lost";
    case kErrorLibRmVersionMismatch: return "RM has detected an NVML/RM version mismatch.";
    default: return "Unknown Error";
  }
}

static Return system_string(const char* key, const char* fallback, char* buf, unsigned int len) {
  json p = profile();
  if (!state().initialized) return kErrorUninitialized;
  return str_out(p.value(key, fallback), buf, len);
}
Return nvmlSystemGetDriverVersion(char* buf, unsigned int len) {
  return system_string("driver_version", "550.54.15", buf, len);
}
Return nvmlSystemGetNVMLVersion(char* buf, unsigned int len) {
  return system_string("nvml_version", "12.550.54.15", buf, len);
}
static Return cuda_version(int* v) {
  json p = profile();
  *v = p.value("cuda_driver_version", 12040);
  return kSuccess;
}
Return nvmlSystemGetCudaDriverVersion(int* v) { return cuda_version(v); }
#ifndef FAKE_NVML_OLD_DRIVER
Return nvmlSystemGetCudaDriverVersion_v2(int* v) { return cuda_version(v); }
#endif

static Return count_impl(unsigned int* n, const char* fn) {
  json p = profile();
  fake::maybe_block(p, fn);
  std::lock_guard<std::mutex> g(fake::mu());
  if (!state().initialized) return kErrorUninitialized;
  *n = static_cast<unsigned int>(state().devices.size());
  return kSuccess;
}
Return nvmlDeviceGetCount_v2(unsigned int* n) { return count_impl(n, "nvmlDeviceGetCount_v2"); }
Return nvmlDeviceGetCount(unsigned int* n) { return count_impl(n, "nvmlDeviceGetCount"); }

static Return handle_impl(unsigned int i, Device* out, const char* fn) {
  json p = profile();
  fake::maybe_block(p, "nvmlDeviceGetHandleByIndex");
  std::lock_guard<std::mutex> g(fake::mu());
  if (!state().initialized) return kErrorUninitialized;
  if (i >= state().devices.size()) return kErrorInvalidArgument;
  FakeDev* d = state().devices[i];
  if (d->spec.contains("errors") && d->spec["errors"].contains(fn)) return d->spec["errors"][fn].get<int>();
  *out = reinterpret_cast<Device>(d);
  return kSuccess;
}
Return nvmlDeviceGetHandleByIndex_v2(unsigned int i, Device* out) {
  return handle_impl(i, out, "nvmlDeviceGetHandleByIndex");
}
Return nvmlDeviceGetHandleByIndex(unsigned int i, Device* out) {
  return handle_impl(i, out, "nvmlDeviceGetHandleByIndex");
}

Return nvmlDeviceGetName(Device h, char* buf, unsigned int len) {
  ENTER("nvmlDeviceGetName");
  return str_out(d->spec.value("name", "NVIDIA Fake GPU"), buf, len);
}
Return nvmlDeviceGetUUID(Device h, char* buf, unsigned int len) {
  ENTER("nvmlDeviceGetUUID");
  return str_out(d->spec.value("uuid", "GPU-00000000-0000-0000-0000-000000000000"), buf, len);
}
Return nvmlDeviceGetSerial(Device h, char* buf, unsigned int len) {
  ENTER("nvmlDeviceGetSerial");
  if (!d->spec.contains("serial")) return kErrorNotSupported;
  return str_out(d->spec["serial"].get<std::string>(), buf, len);
}
Return nvmlDeviceGetVbiosVersion(Device h, char* buf, unsigned int len) {
  ENTER("nvmlDeviceGetVbiosVersion");
  return str_out(d->spec.value("vbios", "96.00.00.00.01"), buf, len);
}
static Return pci_impl(Device h, PciInfo* p, const char* fn) {
  ENTER(fn);
  std::memset(p, 0, sizeof *p);
  std::string bus = d->spec.value("pci_bus_id", "00000000:3B:00.0");
  fake::copy_string(bus, p->busId, sizeof p->busId);
  fake::copy_string(bus.substr(4), p->busIdLegacy, sizeof p->busIdLegacy);
  unsigned dom = 0, b = 0, dev = 0;
  std::sscanf(bus.c_str(), "%x:%x:%x", &dom, &b, &dev);
  p->domain = dom;
  p->bus = b;
  p->device = dev;
  p->pciDeviceId = num<unsigned>(d->spec, "pci_device_id", 0x233010de);
  return kSuccess;
}
Return nvmlDeviceGetPciInfo_v2(Device h, PciInfo* p) { return pci_impl(h, p, "nvmlDeviceGetPciInfo_v2"); }
#ifndef FAKE_NVML_OLD_DRIVER
Return nvmlDeviceGetPciInfo_v3(Device h, PciInfo* p) { return pci_impl(h, p, "nvmlDeviceGetPciInfo_v3"); }
#endif
Return nvmlDeviceGetCudaComputeCapability(Device h, int* major, int* minor) {
  ENTER("nvmlDeviceGetCudaComputeCapability");
  std::string cc = d->spec.value("compute_capability", "9.0");
  *major = std::atoi(cc.c_str());
  *minor = std::atoi(cc.c_str() + cc.find('.') + 1);
  return kSuccess;
}
Return nvmlDeviceGetMemoryInfo(Device h, Memory* m) {
  ENTER("nvmlDeviceGetMemoryInfo");
  m->total = num<unsigned long long>(d->spec, "memory_total", 0);
  m->used = num<unsigned long long>(d->spec, "memory_used", 0);
  m->free = m->total - m->used;
  return kSuccess;
}
#ifndef FAKE_NVML_OLD_DRIVER
Return nvmlDeviceGetMemoryInfo_v2(Device h, MemoryV2* m) {
  ENTER("nvmlDeviceGetMemoryInfo_v2");
  if (m->version != kMemoryV2Version) return 25;
  m->total = num<unsigned long long>(d->spec, "memory_total", 0);
  m->reserved = num<unsigned long long>(d->spec, "memory_reserved", 0);
  m->used = num<unsigned long long>(d->spec, "memory_used", 0);
  m->free = m->total - m->reserved - m->used;
  return kSuccess;
}
#endif
Return nvmlDeviceGetUtilizationRates(Device h, Utilization* u) {
  ENTER("nvmlDeviceGetUtilizationRates");
  u->gpu = num<unsigned>(d->spec, "utilization_gpu", 0);
  u->memory = num<unsigned>(d->spec, "utilization_memory", 0);
  return kSuccess;
}
Return nvmlDeviceGetEncoderUtilization(Device h, unsigned int* u, unsigned int* period) {
  ENTER("nvmlDeviceGetEncoderUtilization");
  *u = num<unsigned>(d->spec, "encoder_utilization", 0);
  *period = 167000;
  return kSuccess;
}
Return nvmlDeviceGetDecoderUtilization(Device h, unsigned int* u, unsigned int* period) {
  ENTER("nvmlDeviceGetDecoderUtilization");
  *u = num<unsigned>(d->spec, "decoder_utilization", 0);
  *period = 167000;
  return kSuccess;
}
Return nvmlDeviceGetTemperature(Device h, int sensor, unsigned int* t) {
  ENTER("nvmlDeviceGetTemperature");
  if (sensor != kTemperatureGpu) return kErrorInvalidArgument;
  *t = num<unsigned>(d->spec, "temperature", 40);
  return kSuccess;
}
Return nvmlDeviceGetPowerUsage(Device h, unsigned int* mw) {
  ENTER("nvmlDeviceGetPowerUsage");
  *mw = num<unsigned>(d->spec, "power_draw_mw", 70000);
  return kSuccess;
}
Return nvmlDeviceGetEnforcedPowerLimit(Device h, unsigned int* mw) {
  ENTER("nvmlDeviceGetEnforcedPowerLimit");
  *mw = num<unsigned>(d->spec, "power_limit_mw", 700000);
  return kSuccess;
}
Return nvmlDeviceGetClockInfo(Device h, int type, unsigned int* mhz) {
  ENTER("nvmlDeviceGetClockInfo");
  *mhz = type == kClockSm ? num<unsigned>(d->spec, "sm_clock", 1980) : num<unsigned>(d->spec, "mem_clock", 2619);
  return kSuccess;
}
Return nvmlDeviceGetMaxClockInfo(Device h, int type, unsigned int* mhz) {
  ENTER("nvmlDeviceGetMaxClockInfo");
  *mhz =
      type == kClockSm ? num<unsigned>(d->spec, "sm_clock_max", 1980) : num<unsigned>(d->spec, "mem_clock_max", 2619);
  return kSuccess;
}
Return nvmlDeviceGetPcieThroughput(Device h, int counter, unsigned int* kbps) {
  ENTER("nvmlDeviceGetPcieThroughput");
  *kbps = counter == kPcieUtilTxBytes ? num<unsigned>(d->spec, "pcie_tx_kbps", 0)
                                      : num<unsigned>(d->spec, "pcie_rx_kbps", 0);
  return kSuccess;
}
#define FAKE_UINT(fn, key, dflt)            \
  Return fn(Device h, unsigned int* v) {    \
    ENTER(#fn);                             \
    *v = num<unsigned>(d->spec, key, dflt); \
    return kSuccess;                        \
  }
FAKE_UINT(nvmlDeviceGetCurrPcieLinkGeneration, "pcie_gen", 5)
FAKE_UINT(nvmlDeviceGetMaxPcieLinkGeneration, "pcie_gen_max", 5)
FAKE_UINT(nvmlDeviceGetCurrPcieLinkWidth, "pcie_width", 16)
FAKE_UINT(nvmlDeviceGetMaxPcieLinkWidth, "pcie_width_max", 16)
FAKE_UINT(nvmlDeviceGetGpuInstanceId, "gpu_instance_id", 0)
FAKE_UINT(nvmlDeviceGetComputeInstanceId, "compute_instance_id", 0)

static Return reasons(Device h, unsigned long long* r, const char* fn) {
  ENTER(fn);
  *r = num<unsigned long long>(d->spec, "clock_event_reasons", 0);
  return kSuccess;
}
Return nvmlDeviceGetCurrentClocksThrottleReasons(Device h, unsigned long long* r) {
  return reasons(h, r, "nvmlDeviceGetCurrentClocksThrottleReasons");
}
#ifndef FAKE_NVML_OLD_DRIVER
Return nvmlDeviceGetCurrentClocksEventReasons(Device h, unsigned long long* r) {
  return reasons(h, r, "nvmlDeviceGetCurrentClocksEventReasons");
}
#endif
Return nvmlDeviceGetPersistenceMode(Device h, int* m) {
  ENTER("nvmlDeviceGetPersistenceMode");
  *m = num<int>(d->spec, "persistence_mode", 1);
  return kSuccess;
}
Return nvmlDeviceGetComputeMode(Device h, int* m) {
  ENTER("nvmlDeviceGetComputeMode");
  *m = num<int>(d->spec, "compute_mode", kComputeModeDefault);
  return kSuccess;
}
Return nvmlDeviceGetRetiredPagesPendingStatus(Device h, int* m) {
  ENTER("nvmlDeviceGetRetiredPagesPendingStatus");
  *m = num<int>(d->spec, "retired_pages_pending", 0);
  return kSuccess;
}
Return nvmlDeviceGetEccMode(Device h, int* current, int* pending) {
  ENTER("nvmlDeviceGetEccMode");
  if (!d->spec.contains("ecc_mode")) return kErrorNotSupported;
  *current = *pending = d->spec["ecc_mode"].get<int>();
  return kSuccess;
}
Return nvmlDeviceGetTotalEccErrors(Device h, int type, int counter, unsigned long long* n) {
  ENTER("nvmlDeviceGetTotalEccErrors");
  if (!d->spec.contains("ecc_mode")) return kErrorNotSupported;
  if (type != kMemoryErrorUncorrected) return kErrorInvalidArgument;
  *n = counter == kVolatileEcc ? num<unsigned long long>(d->spec, "ecc_volatile_uncorrectable", 0)
                               : num<unsigned long long>(d->spec, "ecc_aggregate_uncorrectable", 0);
  return kSuccess;
}

#ifndef FAKE_NVML_OLD_DRIVER
Return nvmlDeviceGetRemappedRows(Device h, unsigned int* corr, unsigned int* unc, unsigned int* pending,
                                 unsigned int* failure) {
  ENTER("nvmlDeviceGetRemappedRows");
  if (!d->spec.contains("remapped_rows_pending")) return kErrorNotSupported;
  *corr = 0;
  *unc = 0;
  *pending = num<unsigned>(d->spec, "remapped_rows_pending", 0);
  *failure = num<unsigned>(d->spec, "remapped_rows_failure", 0);
  return kSuccess;
}
Return nvmlDeviceGetMigMode(Device h, unsigned int* current, unsigned int* pending) {
  ENTER("nvmlDeviceGetMigMode");
  if (!d->spec.contains("mig_mode")) return kErrorNotSupported;
  *current = *pending = d->spec["mig_mode"].get<unsigned>();
  return kSuccess;
}
Return nvmlDeviceGetMaxMigDeviceCount(Device h, unsigned int* n) {
  ENTER("nvmlDeviceGetMaxMigDeviceCount");
  *n = num<unsigned>(d->spec, "max_mig_devices", 7);
  return kSuccess;
}
Return nvmlDeviceGetMigDeviceHandleByIndex(Device h, unsigned int i, Device* out) {
  ENTER("nvmlDeviceGetMigDeviceHandleByIndex");
  if (i >= d->migs.size()) return kErrorNotFound;
  *out = reinterpret_cast<Device>(d->migs[i]);
  return kSuccess;
}
#endif

Return nvmlDeviceGetComputeRunningProcesses(Device h, unsigned int* n, ProcessInfoV1* out) {
  return procs(h, n, out, "nvmlDeviceGetComputeRunningProcesses", "compute");
}
Return nvmlDeviceGetComputeRunningProcesses_v2(Device h, unsigned int* n, ProcessInfo* out) {
  return procs(h, n, out, "nvmlDeviceGetComputeRunningProcesses_v2", "compute");
}
Return nvmlDeviceGetGraphicsRunningProcesses(Device h, unsigned int* n, ProcessInfoV1* out) {
  return procs(h, n, out, "nvmlDeviceGetGraphicsRunningProcesses", "graphics");
}
Return nvmlDeviceGetGraphicsRunningProcesses_v2(Device h, unsigned int* n, ProcessInfo* out) {
  return procs(h, n, out, "nvmlDeviceGetGraphicsRunningProcesses_v2", "graphics");
}
#ifndef FAKE_NVML_OLD_DRIVER
Return nvmlDeviceGetComputeRunningProcesses_v3(Device h, unsigned int* n, ProcessInfo* out) {
  return procs(h, n, out, "nvmlDeviceGetComputeRunningProcesses_v3", "compute");
}
Return nvmlDeviceGetGraphicsRunningProcesses_v3(Device h, unsigned int* n, ProcessInfo* out) {
  return procs(h, n, out, "nvmlDeviceGetGraphicsRunningProcesses_v3", "graphics");
}
#endif

// Process samples: each process with "sm_util"/"mem_util" gives two samples (the values given, averaged).
Return nvmlDeviceGetProcessUtilization(Device h, ProcessUtilizationSample* out, unsigned int* n,
                                       unsigned long long since) {
  ENTER("nvmlDeviceGetProcessUtilization");
  std::vector<ProcessUtilizationSample> rows;
  if (d->spec.contains("processes")) {
    for (const auto& p : d->spec["processes"]) {
      if (!p.contains("sm_util")) continue;
      for (int k = 0; k < 2; ++k) {
        ProcessUtilizationSample s{};
        s.pid = p.value("pid", 0u);
        s.timeStamp = since + 1 + static_cast<unsigned long long>(k);
        s.smUtil = p["sm_util"].get<unsigned>();
        s.memUtil = p.value("mem_util", 0u);
        rows.push_back(s);
      }
    }
  }
  if (rows.empty()) return kErrorNotFound;  // what NVML says when no process ran in the window
  unsigned int cap = *n;
  *n = static_cast<unsigned int>(rows.size());
  if (out == nullptr || rows.size() > cap) return kErrorInsufficientSize;
  for (size_t i = 0; i < rows.size(); ++i) out[i] = rows[i];
  return kSuccess;
}

Return nvmlSystemGetProcessName(unsigned int pid, char* buf, unsigned int len) {
  json p = profile();
  if (p.contains("devices")) {
    for (const auto& dev : p["devices"]) {
      if (!dev.contains("processes")) continue;
      for (const auto& pr : dev["processes"]) {
        if (pr.value("pid", 0u) == pid) return str_out(pr.value("name", "python3"), buf, len);
      }
    }
  }
  return kErrorNotFound;
}

}  // extern "C"
