#include "trace/numbers.h"

#include <charconv>
#include <limits>

namespace infertune::trace {

namespace {
// 128-bit intermediates keep the decimal arithmetic exact (GCC/Clang extension).
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;
}  // namespace

namespace {
// Up to 18 decimal digits always fit int64: the common case, without 128-bit arithmetic. False when `t` is not
// [-]digits of that length (the caller then takes the general path).
bool short_int(std::string_view t, int64_t& out) {
  size_t i = t.size() > 0 && t[0] == '-' ? 1 : 0;
  size_t n = t.size() - i;
  if (n == 0 || n > 18) return false;
  int64_t v = 0;
  for (; i < t.size(); ++i) {
    auto d = static_cast<unsigned>(t[i] - '0');
    if (d > 9) return false;
    v = v * 10 + static_cast<int64_t>(d);
  }
  out = t[0] == '-' ? -v : v;
  return true;
}
}  // namespace

IntParse parse_int64(std::string_view t, int64_t& out) {
  if (short_int(t, out)) return IntParse::kOk;
  if (t.empty()) return IntParse::kNotInteger;
  size_t i = 0;
  bool neg = false;
  if (t[0] == '-') {
    neg = true;
    i = 1;
  }
  if (i == t.size()) return IntParse::kNotInteger;
  u128 v = 0;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c < '0' || c > '9') return IntParse::kNotInteger;
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > static_cast<u128>(std::numeric_limits<uint64_t>::max())) return IntParse::kOutOfRange;
  }
  constexpr auto kMax = static_cast<u128>(std::numeric_limits<int64_t>::max());
  if (!neg && v > kMax) return IntParse::kOutOfRange;
  if (neg && v > kMax + 1) return IntParse::kOutOfRange;
  out = neg ? static_cast<int64_t>(-static_cast<i128>(v)) : static_cast<int64_t>(v);
  return IntParse::kOk;
}

std::optional<int64_t> parse_us_to_ns(std::string_view t) {
  {
    // Fast path for what Kineto writes: [-]digits[.d{1,3}] with at most 15 integer digits (exact in int64).
    size_t i = t.size() > 0 && t[0] == '-' ? 1 : 0;
    int64_t whole = 0;
    size_t start = i;
    for (; i < t.size() && i - start <= 15; ++i) {
      auto d = static_cast<unsigned>(t[i] - '0');
      if (d > 9) break;
      whole = whole * 10 + static_cast<int64_t>(d);
    }
    size_t int_digits = i - start;
    if (int_digits > 0 && int_digits <= 15) {
      int64_t frac = 0;
      int frac_digits = 0;
      bool ok = true;
      if (i < t.size() && t[i] == '.') {
        ++i;
        for (; i < t.size() && frac_digits < 4; ++i, ++frac_digits) {
          auto d = static_cast<unsigned>(t[i] - '0');
          if (d > 9) break;
          frac = frac * 10 + static_cast<int64_t>(d);
        }
        ok = frac_digits >= 1 && frac_digits <= 3;
        for (int k = frac_digits; k < 3; ++k) frac *= 10;
      }
      if (ok && i == t.size()) {
        int64_t v = whole * 1000 + frac;
        return t[0] == '-' ? -v : v;
      }
    }
  }
  size_t i = 0, n = t.size();
  bool neg = false;
  if (i < n && t[i] == '-') {
    neg = true;
    ++i;
  }
  // Mantissa digits as an integer with `scale` = number of fractional digits taken.
  i128 mant = 0;
  int frac_digits = 0;
  int dropped_exp = 0;  // integer digits beyond the 30 we keep (not expected in traces)
  int digits = 0;
  bool any = false;
  for (; i < n && t[i] >= '0' && t[i] <= '9'; ++i) {
    any = true;
    if (digits < 30) {
      mant = mant * 10 + (t[i] - '0');
      if (mant != 0) ++digits;
    } else {
      ++dropped_exp;
    }
  }
  if (i < n && t[i] == '.') {
    ++i;
    for (; i < n && t[i] >= '0' && t[i] <= '9'; ++i) {
      any = true;
      if (digits < 30) {
        mant = mant * 10 + (t[i] - '0');
        if (mant != 0) ++digits;
        ++frac_digits;
      }
    }
  }
  if (!any) return std::nullopt;
  int exp10 = 0;
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < n && (t[i] == '+' || t[i] == '-')) eneg = t[i++] == '-';
    if (i == n) return std::nullopt;
    int e = 0;
    for (; i < n && t[i] >= '0' && t[i] <= '9'; ++i) {
      if (e < 10000) e = e * 10 + (t[i] - '0');
    }
    exp10 = eneg ? -e : e;
  }
  if (i != n) return std::nullopt;
  // value_ns = mant * 10^(3 + exp10 + dropped_exp - frac_digits)
  int p = 3 + exp10 + dropped_exp - frac_digits;
  constexpr i128 kLimit = static_cast<i128>(std::numeric_limits<int64_t>::max());
  if (mant == 0) return 0;
  if (p >= 0) {
    for (int k = 0; k < p; ++k) {
      mant *= 10;
      if (mant > kLimit) return std::nullopt;
    }
  } else {
    if (p < -38) return 0;
    i128 div = 1;
    for (int k = 0; k < -p; ++k) div *= 10;
    i128 q = mant / div, r = mant % div;
    if (r * 2 >= div) ++q;  // half away from zero (sign applied below)
    mant = q;
  }
  if (mant > kLimit) return std::nullopt;
  int64_t v = static_cast<int64_t>(mant);
  return neg ? -v : v;
}

std::optional<double> parse_double(std::string_view t) {
  double d = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
  if (ec != std::errc() || p != t.data() + t.size()) return std::nullopt;
  return d;
}

}  // namespace infertune::trace
