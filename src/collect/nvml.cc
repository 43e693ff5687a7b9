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
#include "collect/nvml_session.h"

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
