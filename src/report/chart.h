#pragma once
// Helpers for drawing Report charts (report.h): value and tick formatting by unit, axis ticks, downsampling,
// label shortening. Pure functions; the HTML renderer draws with them and the tests check them.

#include <cstddef>
#include <string>
#include <vector>

#include "report/report.h"

namespace infertune::chart {

// A value for an axis or a tooltip, by unit: "ns" -> "1.5 ms", "bytes" -> "20 GiB", "%" -> "42.5 %", other ->
// "1.2 k unit". Never "nan"/"inf": a value that is not finite is "n/a".
std::string format_value(double v, const std::string& unit);

// An axis over [lo, hi] with "nice" steps (1, 2, 5 × 10^k; for bytes a power of two, so ticks read "256 MiB",
// "1 GiB"): the extent is widened to whole steps, ticks are the multiples of step within it.
struct Axis {
  double lo = 0, hi = 1, step = 1;
  std::vector<double> ticks;
};
Axis nice_axis(double lo, double hi, const std::string& unit, size_t target_ticks = 5);

// At most about `max_points` points (and never fewer than 8 allowed): the first and the last point, then for
// each of (max_points − 2) / 2 equal x bins the point with the smallest and the one with the largest y, in x
// order, so peaks and troughs survive. Series at or under the limit are returned as they are.
std::vector<ChartPoint> downsample(const std::vector<ChartPoint>& points, size_t max_points = 1000);

// `text` cut to `max_chars` code points with "…" at the end (never inside a UTF-8 sequence).
std::string shorten(const std::string& text, size_t max_chars);

}  // namespace infertune::chart
