#include "trace/trace_charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "report/chart.h"
#include "trace/format.h"

namespace infertune::trace {

namespace {
constexpr size_t kMaxBars = 40;  // a chart stays readable whatever --top asks for (the tables show the rest)
}  // namespace

Chart top_kernels_chart(const KernelSummary& ks, size_t top) {
  top = std::min(top, kMaxBars);
  Chart c;
  c.kind = ChartKind::kBar;
  c.id = "trace-top-kernels";
  c.title = "Top kernels by total GPU time";
  c.unit = "ns";
  for (size_t i = 0; i < ks.kernels.size() && i < top; ++i) {
    c.labels.push_back(ks.kernels[i].name);
    c.values.push_back(static_cast<double>(ks.kernels[i].stats.total_ns));
  }
  c.caption = "Summed duration of each kernel name over all devices and streams";
  if (ks.kernels.size() > top) c.caption += fmt::format("; {} more names not shown", ks.kernels.size() - top);
  if (!ks.why_not.empty()) c.caption = ks.why_not;
  return c;
}

Chart kernel_classes_chart(const KernelSummary& ks) {
  Chart c;
  c.kind = ChartKind::kBar;
  c.id = "trace-kernel-classes";
  c.title = "Kernel classes by total GPU time";
  c.unit = "ns";
  for (const ClassRow& r : ks.classes) {
    c.labels.push_back(kernel_class_name(r.cls));
    c.values.push_back(static_cast<double>(r.stats.total_ns));
  }
  c.caption = "Kernels classified by name; memcpy and memset included. GPU busy (union): " + ms(ks.gpu_busy_ns);
  if (!ks.why_not.empty()) c.caption = ks.why_not;
  return c;
}

Chart top_ops_chart(const OpTable& ot, size_t top) {
  top = std::min(top, kMaxBars);
  Chart c;
  c.kind = ChartKind::kBar;
  c.id = "trace-top-ops";
  c.title = "Top operators by CUDA total";
  c.unit = "ns";
  std::vector<const OpRow*> rows;
  for (const OpRow& o : ot.ops) {
    if (o.cuda_total_ns > 0 && o.name != "ProfilerStep*") rows.push_back(&o);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const OpRow* a, const OpRow* b) { return a->cuda_total_ns > b->cuda_total_ns; });
  for (size_t i = 0; i < rows.size() && i < top; ++i) {
    c.labels.push_back(rows[i]->name);
    c.values.push_back(static_cast<double>(rows[i]->cuda_total_ns));
  }
  c.caption =
      "GPU time of the activities each operator launched, nested operators included (so a parent and its children "
      "both count); ProfilerStep* left out";
  if (rows.size() > top) c.caption += fmt::format("; {} more operators not shown", rows.size() - top);
  if (!ot.why_not.empty()) c.caption = ot.why_not;
  return c;
}

Chart utilisation_chart(const Utilisation& u) {
  Chart c;
  c.kind = ChartKind::kTimeSeries;
  c.id = "trace-utilisation";
  c.title = "GPU utilisation over time";
  c.unit = "%";
  c.x_origin = u.start_ns;
  c.x_label = "time since the first event";
  if (!u.why_not.empty()) {
    c.caption = u.why_not;
    return c;
  }
  std::string busy;
  for (const DeviceUtilisation& d : u.devices) {
    ChartSeries s;
    s.name = fmt::format("GPU {}", d.device);
    s.step = true;
    for (size_t i = 0; i < u.bins; ++i) {
      int64_t len = u.bin_length(i);
      double share = len > 0 ? 100.0 * static_cast<double>(d.busy_ns[i]) / static_cast<double>(len) : 0;
      s.points.push_back({u.bin_start(i), share});
    }
    if (!s.points.empty()) s.points.push_back({u.end_ns, s.points.back().y});  // the last bin's step ends here
    c.series.push_back(std::move(s));
    busy += fmt::format("{}GPU {} busy {} of {} ({})", busy.empty() ? "" : "; ", d.device, ms(d.busy_total_ns),
                        ms(u.end_ns - u.start_ns),
                        percent(static_cast<double>(d.busy_total_ns) / static_cast<double>(u.end_ns - u.start_ns)));
  }
  c.caption = fmt::format(
      "Busy share of each {} bin over the trace span: the union of kernels, memcpy and memset on all streams (those "
      "without their launch call in the trace included). {}",
      duration(u.bin_ns), busy);
  return c;
}

std::vector<Chart> memory_charts(const MemoryTimeline& mt, int64_t origin_ns) {
  std::vector<Chart> out;
  for (const DeviceMemory& d : mt.devices) {
    if (d.device_type != 1) continue;  // CUDA devices only
    Chart c;
    c.kind = ChartKind::kTimeSeries;
    c.id = fmt::format("trace-memory-gpu-{}", d.device_id);
    c.title = fmt::format("GPU {} memory (caching allocator)", d.device_id);
    c.unit = "bytes";
    c.x_origin = origin_ns;
    c.x_label = "time since the first event";
    ChartSeries alloc{"allocated", {}, true}, reserved{"reserved", {}, true};
    for (const MemoryPoint& p : d.curve) {
      if (p.allocated >= 0) alloc.points.push_back({p.ts_ns, static_cast<double>(p.allocated)});
      if (p.reserved >= 0) reserved.points.push_back({p.ts_ns, static_cast<double>(p.reserved)});
    }
    size_t events = std::max(alloc.points.size(), reserved.points.size());
    alloc.points = chart::downsample(alloc.points, 1000);
    reserved.points = chart::downsample(reserved.points, 1000);
    if (!alloc.points.empty()) c.series.push_back(std::move(alloc));
    if (!reserved.points.empty()) c.series.push_back(std::move(reserved));
    if (d.total_memory_bytes > 0) {
      c.reference = static_cast<double>(d.total_memory_bytes);
      c.reference_label = "device memory " + chart::format_value(static_cast<double>(d.total_memory_bytes), "bytes");
    }
    auto at = [&](int64_t ts) { return chart::format_value(static_cast<double>(ts - origin_ns), "ns"); };
    c.caption =
        fmt::format("Allocator totals after each of {} memory events: peak allocated {} at {}", events,
                    chart::format_value(static_cast<double>(d.peak_allocated), "bytes"), at(d.peak_allocated_ts_ns));
    if (d.peak_reserved > 0) {
      c.caption +=
          fmt::format(", peak reserved {} at {}; reserved − allocated up to {}",
                      chart::format_value(static_cast<double>(d.peak_reserved), "bytes"), at(d.peak_reserved_ts_ns),
                      chart::format_value(static_cast<double>(d.max_unused_reserved), "bytes"));
    }
    out.push_back(std::move(c));
  }
  return out;
}

Chart diff_changes_chart(const TraceDiff& d, size_t top) {
  top = std::min(top, kMaxBars);
  Chart c;
  c.kind = ChartKind::kBar;
  c.id = "trace-diff-changes";
  c.title = "Largest changes in time (new − base)";
  c.unit = "ns";
  std::vector<const DiffRow*> rows;
  for (const DiffRow& r : d.slower) rows.push_back(&r);
  for (const DiffRow& r : d.faster) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const DiffRow* a, const DiffRow* b) { return std::llabs(a->delta()) > std::llabs(b->delta()); });
  for (size_t i = 0; i < rows.size() && i < top; ++i) {
    c.labels.push_back(rows[i]->name);
    c.values.push_back(static_cast<double>(rows[i]->delta()));
  }
  c.caption = "Kernels, operators' self time, idle causes and step time: right of zero got slower, left got faster";
  return c;
}

void add_trace_charts(Report& r, const Model& m, const KernelSummary& ks, const OpTable* ops,
                      const std::function<bool(const char*)>& selected, size_t top, const MemoryTimeline* memory) {
  if (selected("kernels") && ks.why_not.empty()) {
    r.charts.push_back(top_kernels_chart(ks, top));
    r.charts.push_back(kernel_classes_chart(ks));
  }
  if (ops != nullptr && selected("ops") && ops->why_not.empty()) r.charts.push_back(top_ops_chart(*ops, top));
  if (selected("timeline")) {
    Utilisation u = gpu_utilisation(m);
    if (u.why_not.empty()) r.charts.push_back(utilisation_chart(u));
  }
  if (selected("memory")) {
    MemoryTimeline computed;
    if (memory == nullptr) {
      computed = memory_timeline(m);
      memory = &computed;
    }
    for (Chart& c : memory_charts(*memory, m.first_ns)) r.charts.push_back(std::move(c));
  }
}

}  // namespace infertune::trace
