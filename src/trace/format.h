#pragma once
// Number formatting shared by the trace report: durations from integer ns, shares, byte sizes.

#include <cstdint>
#include <string>

namespace infertune::trace {

std::string ms(int64_t ns);             // "3.907825 ms" (exact: ns/1e6 with 6 decimals)
std::string us(int64_t ns);             // "1.760 µs"
std::string duration(int64_t ns);       // picks µs / ms / s
std::string percent(double share);      // 0.92082 -> "92.08 %"
std::string gbps(double bytes_per_ns);  // 9.927 -> "9.93 GB/s" (1 GB = 1e9 bytes)
std::string times(double ratio);        // 2.345 -> "2.3×"

}  // namespace infertune::trace
