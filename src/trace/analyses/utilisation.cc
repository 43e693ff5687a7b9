// GPU utilisation over time: busy share of fixed bins over the trace span (see analyses.h).

#include <algorithm>
#include <utility>
#include <vector>

#include "trace/analyses/analyses.h"

namespace infertune::trace {

int64_t Utilisation::bin_length(size_t i) const {
  if (i >= bins) return 0;
  return std::min(bin_start(i) + bin_ns, end_ns) - bin_start(i);
}

Utilisation gpu_utilisation(const Model& m, size_t bins) {
  Utilisation u;
  if (m.activities.empty()) {
    u.why_not = "the trace has no GPU activity (no kernel, gpu_memcpy or gpu_memset events)";
    return u;
  }
  // The span of the trace, widened to cover every GPU activity (a model built by hand may not set it).
  int64_t start = m.first_ns, end = m.last_ns;
  if (end <= start) {
    start = m.activities.front().ts_ns;
    end = start;
  }
  for (const GpuActivity& a : m.activities) {
    start = std::min(start, a.ts_ns);
    end = std::max(end, a.end_ns);
  }
  if (end <= start) {
    u.why_not = "the GPU activities have no duration";
    return u;
  }
  const int64_t span = end - start;
  if (bins == 0) bins = 1;
  if (static_cast<uint64_t>(span) < bins) bins = static_cast<size_t>(span);
  u.start_ns = start;
  u.end_ns = end;
  u.bin_ns = span / static_cast<int64_t>(bins) + (span % static_cast<int64_t>(bins) != 0 ? 1 : 0);  // ceil
  u.bins = static_cast<size_t>((span + u.bin_ns - 1) / u.bin_ns);  // ceil may leave the last bins empty: drop them

  std::vector<int32_t> devices = m.devices;
  if (devices.empty()) {
    for (const GpuActivity& a : m.activities) devices.push_back(a.device);
    std::sort(devices.begin(), devices.end());
    devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
  }
  for (int32_t dev : devices) {
    DeviceUtilisation d;
    d.device = dev;
    d.busy_ns.assign(u.bins, 0);
    std::vector<std::pair<int64_t, int64_t>> spans;
    for (const GpuActivity& a : m.activities) {
      if (a.device == dev && a.end_ns > a.ts_ns) spans.emplace_back(a.ts_ns, a.end_ns);
    }
    if (!std::is_sorted(spans.begin(), spans.end())) std::sort(spans.begin(), spans.end());  // Model: by (ts, end)
    // Merge into busy periods on the way and spread each period over its bins.
    auto spread = [&](int64_t s, int64_t e) {
      d.busy_total_ns += e - s;
      auto b = static_cast<size_t>((s - start) / u.bin_ns);
      while (s < e && b < u.bins) {
        int64_t part_end = std::min(e, u.bin_start(b) + u.bin_length(b));
        d.busy_ns[b] += part_end - s;
        s = part_end;
        ++b;
      }
    };
    for (size_t i = 0; i < spans.size();) {
      int64_t s = spans[i].first, e = spans[i].second;
      for (++i; i < spans.size() && spans[i].first <= e; ++i) e = std::max(e, spans[i].second);
      spread(s, e);
    }
    u.devices.push_back(std::move(d));
  }
  return u;
}

}  // namespace infertune::trace
