// A fake libcuda (CUDA driver API) for tests: answers from the same JSON profile as the fake NVML
// ($INFERTUNE_FAKE_GPU_PROFILE): its "cuda" object ({"init_result", "driver_version", "block"}) and the devices
// of "devices" (name, compute_capability, memory_total, pci_bus_id, uuid, multiprocessor_count), filtered by
// CUDA_VISIBLE_DEVICES (indices) as the real driver does. Never linked into the tool.

#include <cstring>
#include <string>
#include <vector>

#include "fake_profile.h"

using fake::json;

namespace {

struct State {
  json profile = json::object();
  bool initialized = false;
  std::vector<json> devices;
};
State& state() {
  static State* s = new State();  // never destroyed: an abandoned caller thread may still use it at exit
  return *s;
}

std::vector<json> visible(const json& p) {
  std::vector<json> all;
  if (p.contains("devices")) {
    for (const auto& d : p["devices"]) {
      for (int r = 0; r < d.value("repeat", 1); ++r) all.push_back(d);
    }
  }
  const char* env = std::getenv("CUDA_VISIBLE_DEVICES");
  if (env == nullptr) return all;
  std::vector<json> out;
  std::string s = env;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos) break;  // driver stops here
    size_t k = std::stoul(item);
    if (k >= all.size()) break;
    out.push_back(all[k]);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

const json* dev(int ordinal) {
  std::lock_guard<std::mutex> g(fake::mu());
  if (!state().initialized || ordinal < 0 || static_cast<size_t>(ordinal) >= state().devices.size()) return nullptr;
  return &state().devices[static_cast<size_t>(ordinal)];
}

json cuda_section() {
  std::lock_guard<std::mutex> g(fake::mu());
  return state().profile.value("cuda", json::object());
}

}  // namespace

extern "C" {

int cuInit(unsigned int) {
  json p = fake::load_profile();
  json c = p.value("cuda", json::object());
  fake::maybe_block(c, "cuInit");
  std::lock_guard<std::mutex> g(fake::mu());
  state().profile = p;
  int rc = c.value("init_result", 0);
  if (rc != 0) return rc;
  state().devices = visible(p);
  if (state().devices.empty()) return 100;  // CUDA_ERROR_NO_DEVICE, as the driver answers
  state().initialized = true;
  return 0;
}
int cuDriverGetVersion(int* v) {
  json p = fake::load_profile();
  *v = p.value("cuda", json::object()).value("driver_version", p.value("cuda_driver_version", 12040));
  return 0;
}
int cuDeviceGetCount(int* n) {
  fake::maybe_block(cuda_section(), "cuDeviceGetCount");
  std::lock_guard<std::mutex> g(fake::mu());
  if (!state().initialized) return 3;
  *n = static_cast<int>(state().devices.size());
  return 0;
}
int cuDeviceGet(int* d, int ordinal) {
  if (dev(ordinal) == nullptr) return 101;
  *d = ordinal;
  return 0;
}
int cuDeviceGetName(char* buf, int len, int d) {
  const json* j = dev(d);
  if (j == nullptr) return 101;
  fake::copy_string(j->value("name", "NVIDIA Fake GPU"), buf, static_cast<unsigned>(len));
  return 0;
}
int cuDeviceGetPCIBusId(char* buf, int len, int d) {
  const json* j = dev(d);
  if (j == nullptr) return 101;
  std::string bus = j->value("pci_bus_id", "00000000:3B:00.0");
  fake::copy_string(bus.substr(4), buf, static_cast<unsigned>(len));  // the driver API prints "0000:3B:00.0"
  return 0;
}
int cuDeviceGetAttribute(int* v, int attr, int d) {
  const json* j = dev(d);
  if (j == nullptr) return 101;
  std::string cc = j->value("compute_capability", "9.0");
  if (attr == 75)
    *v = std::atoi(cc.c_str());
  else if (attr == 76)
    *v = std::atoi(cc.c_str() + cc.find('.') + 1);
  else if (attr == 16)
    *v = j->value("multiprocessor_count", 132);
  else
    return 1;
  return 0;
}
int cuDeviceTotalMem_v2(size_t* bytes, int d) {
  const json* j = dev(d);
  if (j == nullptr) return 101;
  *bytes = j->value("memory_total", static_cast<size_t>(0));
  return 0;
}
int cuDeviceGetUuid(unsigned char* out, int d) {
  const json* j = dev(d);
  if (j == nullptr) return 101;
  std::string u = j->value("uuid", "GPU-00000000-0000-0000-0000-000000000000");
  std::string hex;
  for (char c : u.substr(4)) {
    if (c != '-') hex += c;
  }
  for (int i = 0; i < 16 && static_cast<size_t>(2 * i + 1) < hex.size(); ++i) {
    out[i] = static_cast<unsigned char>(std::stoul(hex.substr(static_cast<size_t>(2 * i), 2), nullptr, 16));
  }
  return 0;
}
int cuGetErrorName(int rc, const char** out) {
  switch (rc) {
    case 0: *out = "CUDA_SUCCESS"; return 0;
    case 100: *out = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 803: *out = "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH"; return 0;
    case 999: *out = "CUDA_ERROR_UNKNOWN"; return 0;
    default: *out = nullptr; return 1;
  }
}
int cuGetErrorString(int rc, const char** out) {
  switch (rc) {
    case 100: *out = "no CUDA-capable device is detected"; return 0;
    case 803: *out = "system has unsupported display driver / cuda driver combination"; return 0;
    case 999: *out = "unknown error"; return 0;
    default: *out = nullptr; return 1;
  }
}

}  // extern "C"
