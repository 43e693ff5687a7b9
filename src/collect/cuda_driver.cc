#include "collect/cuda_driver.h"

#include <cstdio>
#include <functional>

#include "base/deadline.h"
#include "base/dynamic_library.h"

namespace infertune {

// CUresult values and CUdevice_attribute values used here: facts from NVIDIA's public cuda.h (CUDA driver API
// reference, CUDA 12.x).
namespace {

constexpr int kCudaSuccess = 0;
constexpr int kAttrMultiprocessorCount = 16;
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;

using CUdevice = int;
struct CUuuid {
  unsigned char bytes[16];
};
static_assert(sizeof(CUuuid) == 16);

using InitFn = int (*)(unsigned int);
using IntOutFn = int (*)(int*);
using DeviceGetFn = int (*)(CUdevice*, int);
using NameFn = int (*)(char*, int, CUdevice);
using AttrFn = int (*)(int*, int, CUdevice);
using TotalMemFn = int (*)(size_t*, CUdevice);
using UuidFn = int (*)(CUuuid*, CUdevice);
using ErrorTextFn = int (*)(int, const char**);

template <class T>
struct Answer {
  int rc = 999;
  T value{};
};

}  // namespace

std::string cuda_error_name(int code) {
  switch (code) {
    case 0: return "CUDA_SUCCESS";
    case 1: return "CUDA_ERROR_INVALID_VALUE";
    case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
    case 3: return "CUDA_ERROR_NOT_INITIALIZED";
    case 4: return "CUDA_ERROR_DEINITIALIZED";
    case 34: return "CUDA_ERROR_STUB_LIBRARY";
    case 46: return "CUDA_ERROR_DEVICE_UNAVAILABLE";
    case 100: return "CUDA_ERROR_NO_DEVICE";
    case 101: return "CUDA_ERROR_INVALID_DEVICE";
    case 102: return "CUDA_ERROR_DEVICE_NOT_LICENSED";
    case 304: return "CUDA_ERROR_OPERATING_SYSTEM";
    case 801: return "CUDA_ERROR_NOT_SUPPORTED";
    case 802: return "CUDA_ERROR_SYSTEM_NOT_READY";
    case 803: return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
    case 804: return "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
    case 999: return "CUDA_ERROR_UNKNOWN";
    default: return "CUDA_ERROR_" + std::to_string(code);
  }
}

namespace {

void all_unknown(CudaDriverApiFacts& out, const std::string& why) {
  out.init_result.unknown(why);
  out.init_error_name.unknown(why);
  out.init_error_string.unknown(why);
  out.driver_api_version.unknown(why);
  out.device_count.unknown(why);
  out.devices.unknown(why);
}

std::string uuid_string(const CUuuid& u) {
  // GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as nvidia-smi and NVML print it.
  std::string s = "GPU-";
  char buf[3];
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    std::snprintf(buf, sizeof buf, "%02x", u.bytes[i]);
    s += buf;
  }
  return s;
}

}  // namespace

void collect_cuda_driver(const GpuProbeOptions& opts, CudaDriverApiFacts& out, std::vector<std::string>& notes) {
  auto lib = open_driver_library(opts.cuda_library, kCudaLibraryEnv, "libcuda.so.1");
  if (!lib) {
    out.library.unknown(lib.error().message);
    out.library_version.unknown("no CUDA driver library");
    out.timed_out.unknown("no CUDA driver library");
    all_unknown(out, "no CUDA driver library: " + lib.error().message);
    notes.push_back("no CUDA driver library: " + lib.error().message);
    return;
  }
  std::string file = lib->file().empty() ? lib->requested() : lib->file();
  out.library.set(file, "dlopen " + lib->requested());
  std::string fver = library_file_version(file);
  if (fver.find('.') != std::string::npos) {
    out.library_version.set(fver, "file name of " + file);
  } else {
    out.library_version.unknown("the file name " + file + " carries no driver version");
  }
  auto sym = [&](std::initializer_list<const char*> names) -> std::pair<void*, const char*> {
    for (const char* n : names) {
      if (void* p = lib->symbol(n)) return {p, n};
    }
    return {nullptr, *names.begin()};
  };
  auto init = reinterpret_cast<InitFn>(sym({"cuInit"}).first);
  auto version = reinterpret_cast<IntOutFn>(sym({"cuDriverGetVersion"}).first);
  auto count = reinterpret_cast<IntOutFn>(sym({"cuDeviceGetCount"}).first);
  auto get = reinterpret_cast<DeviceGetFn>(sym({"cuDeviceGet"}).first);
  auto name = reinterpret_cast<NameFn>(sym({"cuDeviceGetName"}).first);
  auto attr = reinterpret_cast<AttrFn>(sym({"cuDeviceGetAttribute"}).first);
  auto [mem_p, mem_name] = sym({"cuDeviceTotalMem_v2", "cuDeviceTotalMem"});
  auto total_mem = reinterpret_cast<TotalMemFn>(mem_p);
  auto bus = reinterpret_cast<NameFn>(sym({"cuDeviceGetPCIBusId"}).first);
  auto [uuid_p, uuid_name] = sym({"cuDeviceGetUuid_v2", "cuDeviceGetUuid"});
  auto uuid = reinterpret_cast<UuidFn>(uuid_p);
  auto err_name = reinterpret_cast<ErrorTextFn>(sym({"cuGetErrorName"}).first);
  auto err_text = reinterpret_cast<ErrorTextFn>(sym({"cuGetErrorString"}).first);
  if (init == nullptr) {
    out.timed_out.unknown(file + " has no cuInit");
    return all_unknown(out, file + " has no cuInit: not a CUDA driver library");
  }

  ProbeRunner runner(opts.timeout_s);
  std::vector<std::string> timed_out;
  auto run_int = [&](const std::string& what, std::function<Answer<int>()> fn) {
    auto a = runner.run<Answer<int>>(what, std::move(fn));
    if (!a && runner.stuck_call() == what && (timed_out.empty() || timed_out.back().rfind(what, 0) != 0)) {
      timed_out.push_back(what + " did not answer in " + format_timeout(opts.timeout_s));
    }
    return a;
  };
  auto stuck_why = [&] {
    return "not asked: " + runner.stuck_call() + " did not answer in " + format_timeout(opts.timeout_s);
  };
  auto finish = [&] {
    out.timed_out.set(timed_out, "CUDA driver probe (deadline " + format_timeout(opts.timeout_s) + " per call)");
    for (const auto& t : timed_out) notes.push_back("CUDA probe timed out: " + t);
  };

  auto r = run_int("cuInit", [init] {
    Answer<int> a;
    a.rc = init(0);
    return a;
  });
  if (!r) {
    all_unknown(out, "cuInit did not answer in " + format_timeout(opts.timeout_s));
    return finish();
  }
  out.init_result.set(r->rc, "CUDA cuInit(0)");
  if (r->rc != kCudaSuccess) {
    const char* n = nullptr;
    if (err_name != nullptr && err_name(r->rc, &n) == kCudaSuccess && n != nullptr) {
      out.init_error_name.set(n, "CUDA cuGetErrorName");
    } else {
      out.init_error_name.set(cuda_error_name(r->rc), "CUDA error code table (cuda.h)");
    }
    const char* t = nullptr;
    if (err_text != nullptr && err_text(r->rc, &t) == kCudaSuccess && t != nullptr) {
      out.init_error_string.set(t, "CUDA cuGetErrorString");
    } else {
      out.init_error_string.unknown("cuGetErrorString gave no text");
    }
    notes.push_back("cuInit failed: " + *out.init_error_name + " (" + std::to_string(r->rc) + ")");
  } else {
    out.init_error_name.unknown("cuInit succeeded");
    out.init_error_string.unknown("cuInit succeeded");
  }
  if (version != nullptr) {
    auto v = run_int("cuDriverGetVersion", [version] {
      Answer<int> a;
      a.rc = version(&a.value);
      return a;
    });
    if (v && v->rc == kCudaSuccess) {
      out.driver_api_version.set(cuda_version_string(v->value), "CUDA cuDriverGetVersion");
    } else {
      out.driver_api_version.unknown(v ? "cuDriverGetVersion: " + cuda_error_name(v->rc) : stuck_why());
    }
  } else {
    out.driver_api_version.unknown("cuDriverGetVersion is not in " + file);
  }
  if (r->rc != kCudaSuccess) {
    std::string why = "cuInit failed with " + cuda_error_name(r->rc);
    out.device_count.unknown(why);
    out.devices.unknown(why);
    return finish();
  }
  if (count == nullptr || get == nullptr) {
    out.device_count.unknown("cuDeviceGetCount/cuDeviceGet are not in " + file);
    out.devices.unknown("cuDeviceGetCount/cuDeviceGet are not in " + file);
    return finish();
  }
  auto c = run_int("cuDeviceGetCount", [count] {
    Answer<int> a;
    a.rc = count(&a.value);
    return a;
  });
  if (!c || c->rc != kCudaSuccess) {
    std::string why = c ? "cuDeviceGetCount: " + cuda_error_name(c->rc) : stuck_why();
    out.device_count.unknown(why);
    out.devices.unknown(why);
    return finish();
  }
  out.device_count.set(c->value, "CUDA cuDeviceGetCount");
  std::vector<CudaDeviceFacts> devs;
  for (int k = 0; k < c->value && !runner.stuck(); ++k) {
    auto h = run_int("cuDeviceGet", [get, k] {
      Answer<int> a;
      a.rc = get(&a.value, k);
      return a;
    });
    if (!h || h->rc != kCudaSuccess) continue;
    CUdevice dev = h->value;
    CudaDeviceFacts d;
    d.ordinal = k;
    auto str_fact = [&](Fact<std::string>& f, NameFn fn, const char* what, int len) {
      if (fn == nullptr) return f.unknown(std::string(what) + " is not in " + file);
      auto a = runner.run<Answer<std::string>>(what, [fn, dev, len] {
        std::vector<char> buf(static_cast<size_t>(len) + 1, '\0');
        Answer<std::string> x;
        x.rc = fn(buf.data(), len, dev);
        x.value = buf.data();
        return x;
      });
      if (!a) {
        if (runner.stuck_call() == what)
          timed_out.push_back(std::string(what) + " did not answer in " + format_timeout(opts.timeout_s));
        return f.unknown(stuck_why());
      }
      if (a->rc != kCudaSuccess) return f.unknown(std::string(what) + ": " + cuda_error_name(a->rc));
      f.set(a->value, std::string("CUDA ") + what);
    };
    str_fact(d.name, name, "cuDeviceGetName", 256);
    str_fact(d.pci_bus_id, bus, "cuDeviceGetPCIBusId", 64);
    if (d.pci_bus_id) d.pci_bus_id.value = nvml_bus_id_to_sysfs(*d.pci_bus_id);
    auto attr_of = [&](int which) -> std::optional<int> {
      if (attr == nullptr) return std::nullopt;
      auto a = run_int("cuDeviceGetAttribute", [attr, which, dev] {
        Answer<int> x;
        x.rc = attr(&x.value, which, dev);
        return x;
      });
      if (!a || a->rc != kCudaSuccess) return std::nullopt;
      return a->value;
    };
    auto major = attr_of(kAttrComputeCapabilityMajor);
    auto minor = attr_of(kAttrComputeCapabilityMinor);
    if (major && minor) {
      d.compute_capability.set(std::to_string(*major) + "." + std::to_string(*minor), "CUDA cuDeviceGetAttribute");
    } else {
      d.compute_capability.unknown(runner.stuck() ? stuck_why() : "cuDeviceGetAttribute gave no compute capability");
    }
    if (auto sms = attr_of(kAttrMultiprocessorCount)) {
      d.multiprocessor_count.set(*sms, "CUDA cuDeviceGetAttribute");
    } else {
      d.multiprocessor_count.unknown(runner.stuck() ? stuck_why() : "cuDeviceGetAttribute gave no SM count");
    }
    if (total_mem != nullptr && !runner.stuck()) {
      auto a = runner.run<Answer<size_t>>(mem_name, [total_mem, dev] {
        Answer<size_t> x;
        x.rc = total_mem(&x.value, dev);
        return x;
      });
      if (a && a->rc == kCudaSuccess) {
        d.memory_total_bytes.set(static_cast<int64_t>(a->value), std::string("CUDA ") + mem_name);
      } else {
        if (!a) timed_out.push_back(std::string(mem_name) + " did not answer in " + format_timeout(opts.timeout_s));
        d.memory_total_bytes.unknown(a ? std::string(mem_name) + ": " + cuda_error_name(a->rc) : stuck_why());
      }
    } else {
      d.memory_total_bytes.unknown(runner.stuck() ? stuck_why() : "cuDeviceTotalMem is not in " + file);
    }
    if (uuid != nullptr && !runner.stuck()) {
      auto a = runner.run<Answer<std::string>>(uuid_name, [uuid, dev] {
        Answer<std::string> x;
        CUuuid u{};
        x.rc = uuid(&u, dev);
        x.value = uuid_string(u);
        return x;
      });
      if (a && a->rc == kCudaSuccess) {
        d.uuid.set(a->value, std::string("CUDA ") + uuid_name);
      } else {
        if (!a) timed_out.push_back(std::string(uuid_name) + " did not answer in " + format_timeout(opts.timeout_s));
        d.uuid.unknown(a ? std::string(uuid_name) + ": " + cuda_error_name(a->rc) : stuck_why());
      }
    } else {
      d.uuid.unknown(runner.stuck() ? stuck_why() : "cuDeviceGetUuid is not in " + file);
    }
    devs.push_back(std::move(d));
  }
  out.devices.set(std::move(devs), "CUDA driver API (" + file + ")");
  finish();
}

}  // namespace infertune
