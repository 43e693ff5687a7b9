#pragma once
// Exact parsing of JSON number text as the trace reader receives it (never through double for times).

#include <cstdint>
#include <optional>
#include <string_view>

namespace infertune::trace {

enum class IntParse { kOk, kNotInteger, kOutOfRange };

// A JSON integer ("-12", "18446744073709551615") into int64. kOutOfRange for integers beyond int64 (counted by
// the reader), kNotInteger for fractions/exponents/garbage.
IntParse parse_int64(std::string_view text, int64_t& out);

// Microseconds as decimal text ("1419247333400.919", "2", "1.5e3") to integer nanoseconds, exact for up to three
// fractional digits, rounded half away from zero beyond. nullopt when it is not a number or exceeds int64 ns.
std::optional<int64_t> parse_us_to_ns(std::string_view text);

// Any JSON number text to double (for percentages and ratios only).
std::optional<double> parse_double(std::string_view text);

}  // namespace infertune::trace
