#pragma once
// Shared by the fake NVML and fake libcuda test libraries: the JSON profile named by $INFERTUNE_FAKE_GPU_PROFILE
// (read again at every nvmlInit / cuInit), and the injected behaviours (errors, blocking calls).

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

namespace fake {

using nlohmann::json;

inline std::mutex& mu() {
  static std::mutex m;
  return m;
}

// The profile; an empty object when the variable is unset or the file does not parse (every call then fails).
inline json load_profile() {
  const char* path = std::getenv("INFERTUNE_FAKE_GPU_PROFILE");
  if (path == nullptr) return json::object();
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  return j.is_object() ? j : json::object();
}

// When the profile's "block" (or `section`.block) names this function, sleep as long as it says.
inline void maybe_block(const json& p, const char* fn) {
  if (!p.contains("block")) return;
  const json& b = p["block"];
  if (b.value("function", "") != fn) return;
  auto ms = static_cast<long>(b.value("seconds", 1.0) * 1000.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

inline void copy_string(const std::string& s, char* buf, unsigned int len) {
  if (buf == nullptr || len == 0) return;
  size_t n = s.size() < len - 1 ? s.size() : len - 1;
  s.copy(buf, n);
  buf[n] = '\0';
}

}  // namespace fake
