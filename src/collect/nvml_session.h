#pragma once
// Inside the NVML collector (collect/nvml.cc, collect/nvml_device.cc): the symbol table resolved once with
// versioned fallbacks, and the probe session that runs every call under the deadline and records what went
// wrong. Not for use elsewhere.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/deadline.h"
#include "base/dynamic_library.h"
#include "collect/nvml_api.h"
#include "facts/snapshot.h"

namespace infertune::nvml {

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
inline std::optional<int64_t> as_i64(unsigned int v) { return static_cast<int64_t>(v); }

// Every per-GPU fact of one device (collect/nvml_device.cc).
GpuDeviceFacts probe_device(Session& ses, Device dev, int64_t gpu, double window_s);

}  // namespace infertune::nvml
