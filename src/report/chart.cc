#include "report/chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace infertune::chart {

namespace {

// Fixed decimals with the trailing zeros (and a bare point) removed: 2.50 -> "2.5", 3.00 -> "3".
std::string trimmed(double v, int decimals) {
  std::string s = fmt::format("{:.{}f}", v, decimals);
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

// Three significant digits for a magnitude in [0, 1000).
std::string sig3(double v) {
  double a = std::fabs(v);
  int decimals = a < 10 ? 2 : a < 100 ? 1 : 0;
  return trimmed(v, decimals);
}

// v scaled down by `base` until it is under `base`, with the matching suffix; past the last suffix, "%.3g".
std::string scaled(double v, double base, const char* const* suffixes, size_t n, const char* sep) {
  double a = std::fabs(v);
  size_t k = 0;
  while (a >= base && k + 1 < n) {
    a /= base;
    ++k;
  }
  std::string sign = v < 0 ? "-" : "";
  // Rounding can carry into the next unit (999.96 µs -> "1000 µs"): move up instead.
  if (sig3(a) == "1000" && k + 1 < n && base == 1000) {
    a /= base;
    ++k;
  }
  std::string num = a >= base ? fmt::format("{:.3g}", a) : sig3(a);
  return sign + num + sep + suffixes[k];
}

double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * mag;
}

}  // namespace

std::string format_value(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "n/a";
  if (unit == "ns") {
    static const char* const kSuffix[] = {"ns", "µs", "ms", "s"};
    return scaled(v, 1000, kSuffix, 4, " ");
  }
  if (unit == "bytes") {
    static const char* const kSuffix[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    return scaled(v, 1024, kSuffix, 7, " ");
  }
  if (unit == "%") return sig3(v) + " %";
  static const char* const kSuffix[] = {"", "k", "M", "G", "T", "P", "E"};
  std::string s = std::fabs(v) < 1000 ? sig3(v) : scaled(v, 1000, kSuffix, 7, " ");
  return unit.empty() ? s : s + " " + unit;
}

Axis nice_axis(double lo, double hi, const std::string& unit, size_t target_ticks) {
  Axis a;
  if (!std::isfinite(lo)) lo = 0;
  if (!std::isfinite(hi)) hi = lo + 1;
  constexpr double kLimit = 1e300;  // keeps hi − lo finite
  lo = std::clamp(lo, -kLimit, kLimit);
  hi = std::clamp(hi, -kLimit, kLimit);
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    if (lo == 0) {
      hi = 1;
    } else if (lo > 0) {
      lo = 0;
    } else {
      hi = 0;
    }
  }
  if (target_ticks < 2) target_ticks = 2;
  double raw = (hi - lo) / static_cast<double>(target_ticks);
  double step;
  if (unit == "bytes" && raw >= 1) {
    step = std::pow(2.0, std::ceil(std::log2(raw)));  // powers of two read as whole KiB/MiB/GiB
  } else {
    step = nice_step(raw);
  }
  a.step = step;
  a.lo = std::floor(lo / step) * step;
  a.hi = std::ceil(hi / step) * step;
  if (!(a.hi > a.lo)) a.hi = a.lo + step;  // the step is below the precision of lo (huge, nearly equal values)
  // By index, never by accumulation, and bounded: a step under the precision of lo must not loop forever.
  for (int i = 0; i <= 40; ++i) {
    double v = a.lo + step * i;
    if (v > a.hi + step * 1e-9) break;
    if (std::fabs(v) < step * 1e-9) v = 0;  // -0 and rounding residue
    if (!a.ticks.empty() && v <= a.ticks.back()) break;
    a.ticks.push_back(v);
  }
  return a;
}

std::vector<ChartPoint> downsample(const std::vector<ChartPoint>& points, size_t max_points) {
  max_points = std::max<size_t>(max_points, 8);
  if (points.size() <= max_points) return points;
  const size_t bins = (max_points - 2) / 2;
  const int64_t x0 = points.front().x, x1 = points.back().x;
  // Bin of x: floor((x − x0) · bins / (x1 − x0 + 1)), in double so huge spans cannot overflow (monotone in x).
  const double span = static_cast<double>(x1) - static_cast<double>(x0) + 1;
  auto bin_of = [&](int64_t x) {
    double b = std::floor((static_cast<double>(x) - static_cast<double>(x0)) * static_cast<double>(bins) / span);
    return static_cast<size_t>(std::clamp(b, 0.0, static_cast<double>(bins - 1)));
  };
  std::vector<ChartPoint> out;
  out.reserve(bins * 2 + 2);
  out.push_back(points.front());
  size_t i = 1;
  const size_t last = points.size() - 1;
  while (i < last) {
    size_t bin = bin_of(points[i].x);
    size_t lo = i, hi = i;
    size_t j = i + 1;
    for (; j < last; ++j) {
      if (bin_of(points[j].x) != bin) break;
      if (points[j].y < points[lo].y) lo = j;
      if (points[j].y > points[hi].y) hi = j;
    }
    if (lo == hi) {
      out.push_back(points[lo]);
    } else {
      out.push_back(points[std::min(lo, hi)]);
      out.push_back(points[std::max(lo, hi)]);
    }
    i = j;
  }
  out.push_back(points.back());
  return out;
}

std::string shorten(const std::string& text, size_t max_chars) {
  if (max_chars == 0) max_chars = 1;
  size_t chars = 0, cut = std::string::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (chars == max_chars - 1) cut = i;
    ++chars;
  }
  if (chars <= max_chars) return text;
  return text.substr(0, cut) + "…";
}

}  // namespace infertune::chart
