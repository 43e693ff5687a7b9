#include "trace/format.h"

#include <fmt/format.h>

#include <cstdlib>

namespace infertune::trace {

std::string ms(int64_t ns) {
  const char* sign = ns < 0 ? "-" : "";
  uint64_t a = static_cast<uint64_t>(ns < 0 ? -ns : ns);
  return fmt::format("{}{}.{:06} ms", sign, a / 1000000, a % 1000000);
}

std::string us(int64_t ns) {
  const char* sign = ns < 0 ? "-" : "";
  uint64_t a = static_cast<uint64_t>(ns < 0 ? -ns : ns);
  return fmt::format("{}{}.{:03} µs", sign, a / 1000, a % 1000);
}

std::string duration(int64_t ns) {
  int64_t a = std::llabs(ns);
  if (a < 1000000) return us(ns);
  if (a < 10000000000) return ms(ns);
  return fmt::format("{:.3f} s", static_cast<double>(ns) / 1e9);
}

std::string percent(double share) { return fmt::format("{:.2f} %", share * 100.0); }

std::string gbps(double bytes_per_ns) { return fmt::format("{:.2f} GB/s", bytes_per_ns); }

std::string times(double ratio) { return fmt::format("{:.1f}×", ratio); }

}  // namespace infertune::trace
