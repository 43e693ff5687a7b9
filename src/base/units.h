#pragma once
// Human formatting of quantities for text output. JSON always carries raw numbers in base units.

#include <cstdint>
#include <string>

namespace infertune::units {

// 1536 -> "1.5 KiB", 68719476736 -> "64.0 GiB"
std::string bytes(double b);
// 0.1234 -> "12.3%"
std::string percent(double fraction);
// 90061 s -> "1d 1h", 75 s -> "1m 15s", 0.25 s -> "250 ms"
std::string duration_s(double seconds);
// Trims needless zeros: 2.0 -> "2", 2.50 -> "2.5"
std::string number(double v, int max_decimals = 2);

}  // namespace infertune::units
