// GPU utilisation over time (exact per-bin busy time) and the charts of `trace analyze` / `trace diff`.

#include "trace/trace_charts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "report/render.h"
#include "test_support.h"
#include "trace/analyses/analyses.h"
#include "trace/reader.h"
#include "trace/trace_report.h"

namespace infertune::trace {
namespace {

GpuActivity act(int32_t device, int64_t ts, int64_t end, int32_t stream = 7) {
  GpuActivity a;
  a.device = static_cast<int8_t>(device);
  a.stream = static_cast<int16_t>(stream);
  a.ts_ns = ts;
  a.end_ns = end;
  return a;
}

Model hand_model(std::vector<GpuActivity> acts, int64_t first, int64_t last) {
  Model m;
  m.activities = std::move(acts);
  m.first_ns = first;
  m.last_ns = last;
  for (const GpuActivity& a : m.activities) m.devices.push_back(a.device);
  std::sort(m.devices.begin(), m.devices.end());
  m.devices.erase(std::unique(m.devices.begin(), m.devices.end()), m.devices.end());
  return m;
}

TEST(GpuUtilisation, UnionPerBinAcrossStreams) {
  // Device 0: two overlapping kernels on different streams ([0,10) ∪ [5,20) = [0,20)), one more at [30,35);
  // device 1 busy throughout.
  Model m = hand_model({act(0, 0, 10, 7), act(0, 5, 20, 8), act(1, 0, 100), act(0, 30, 35)}, 0, 100);
  Utilisation u = gpu_utilisation(m, 10);
  ASSERT_TRUE(u.why_not.empty());
  EXPECT_EQ(u.bins, 10u);
  EXPECT_EQ(u.bin_ns, 10);
  ASSERT_EQ(u.devices.size(), 2u);
  EXPECT_EQ(u.devices[0].device, 0);
  EXPECT_EQ(u.devices[0].busy_ns, (std::vector<int64_t>{10, 10, 0, 5, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(u.devices[0].busy_total_ns, 25);
  EXPECT_EQ(u.devices[1].busy_ns, std::vector<int64_t>(10, 10));
}

TEST(GpuUtilisation, UnevenLastBinAndBoundaries) {
  // Span 10 in 4 bins: width 3, the last bin [9,10) is 1 ns long.
  Model m = hand_model({act(0, 2, 3), act(0, 8, 10)}, 0, 10);
  Utilisation u = gpu_utilisation(m, 4);
  EXPECT_EQ(u.bin_ns, 3);
  ASSERT_EQ(u.bins, 4u);
  EXPECT_EQ(u.bin_length(3), 1);
  EXPECT_EQ(u.devices[0].busy_ns, (std::vector<int64_t>{1, 0, 1, 1}));
  for (size_t i = 0; i < u.bins; ++i) EXPECT_LE(u.devices[0].busy_ns[i], u.bin_length(i));
}

TEST(GpuUtilisation, FewerNanosecondsThanBinsAndUnsortedInput) {
  Model m = hand_model({act(0, 3, 5), act(0, 1, 2)}, 0, 5);
  Utilisation u = gpu_utilisation(m, 200);
  EXPECT_EQ(u.bins, 5u);
  EXPECT_EQ(u.bin_ns, 1);
  EXPECT_EQ(u.devices[0].busy_ns, (std::vector<int64_t>{0, 1, 0, 1, 1}));
}

TEST(GpuUtilisation, SpanWidenedToActivitiesAndEmptyModel) {
  Model m = hand_model({act(0, 100, 150)}, 0, 0);  // span not set: the activities give it
  Utilisation u = gpu_utilisation(m, 5);
  EXPECT_EQ(u.start_ns, 100);
  EXPECT_EQ(u.end_ns, 150);
  EXPECT_EQ(u.devices[0].busy_total_ns, 50);
  Model none;
  EXPECT_FALSE(gpu_utilisation(none).why_not.empty());
  Model zero = hand_model({act(0, 5, 5)}, 5, 5);
  EXPECT_FALSE(gpu_utilisation(zero).why_not.empty());
}

// Union of all activities of a device, computed directly.
int64_t union_ns(const Model& m, int32_t dev) {
  std::vector<std::pair<int64_t, int64_t>> v;
  for (const GpuActivity& a : m.activities) {
    if (a.device == dev) v.emplace_back(a.ts_ns, a.end_ns);
  }
  std::sort(v.begin(), v.end());
  int64_t total = 0, s = 0, e = -1;
  for (auto [a, b] : v) {
    if (a > e) {
      if (e > s) total += e - s;
      s = a;
      e = b;
    } else {
      e = std::max(e, b);
    }
  }
  if (e > s) total += e - s;
  return total;
}

TEST(GpuUtilisation, RealTracesSumToTheUnion) {
  for (const char* name :
       {"traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz", "traces/inference_rank_1.json.gz"}) {
    auto t = read_trace_file(test::data_path(name));
    ASSERT_TRUE(t) << name;
    Model m = build_model(*t);
    Utilisation u = gpu_utilisation(m);
    ASSERT_TRUE(u.why_not.empty()) << name;
    EXPECT_EQ(u.bins, 200u);
    EXPECT_EQ(u.start_ns, m.first_ns);
    EXPECT_EQ(u.end_ns, m.last_ns);
    ASSERT_EQ(u.devices.size(), m.devices.size());
    for (const DeviceUtilisation& d : u.devices) {
      int64_t sum = 0;
      for (size_t i = 0; i < u.bins; ++i) {
        EXPECT_GE(d.busy_ns[i], 0);
        EXPECT_LE(d.busy_ns[i], u.bin_length(i));
        sum += d.busy_ns[i];
      }
      EXPECT_EQ(sum, d.busy_total_ns) << name;
      EXPECT_EQ(sum, union_ns(m, d.device)) << name;
    }
  }
}

TEST(GpuUtilisation, BertBusyEqualsTheTimelineWhenEveryActivityIsLinked) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t);
  Model m = build_model(*t);
  ASSERT_EQ(m.linked_activities, m.activities.size());
  TimelineResult tl = gpu_timeline(m);
  Utilisation u = gpu_utilisation(m);
  ASSERT_EQ(u.devices.size(), 1u);
  EXPECT_EQ(u.devices[0].busy_total_ns, tl.devices[0].busy_ns);
}

TEST(TraceCharts, MemoryCurveFromAHandBuiltTimeline) {
  MemoryTimeline mt;
  DeviceMemory cpu;
  cpu.device_type = 0;
  cpu.device_id = 0;
  cpu.curve = {{10, 1, 1}};
  DeviceMemory gpu;
  gpu.device_type = 1;
  gpu.device_id = 3;
  gpu.total_memory_bytes = 80LL << 30;
  for (int64_t i = 0; i < 5000; ++i) {
    int64_t alloc = (i % 50) << 20;
    gpu.curve.push_back({1000 + i * 100, alloc, i == 10 ? -1 : alloc + (64LL << 20)});
  }
  gpu.curve[2345].allocated = 70LL << 30;  // a spike that must survive downsampling
  gpu.peak_allocated = 70LL << 30;
  gpu.peak_allocated_ts_ns = gpu.curve[2345].ts_ns;
  gpu.peak_reserved = 71LL << 30;
  gpu.peak_reserved_ts_ns = 3000;
  gpu.max_unused_reserved = 64LL << 20;
  mt.devices = {gpu, cpu};
  std::vector<Chart> charts = memory_charts(mt, 1000);
  ASSERT_EQ(charts.size(), 1u);  // CUDA devices only
  const Chart& c = charts[0];
  EXPECT_EQ(c.id, "trace-memory-gpu-3");
  EXPECT_EQ(c.kind, ChartKind::kTimeSeries);
  EXPECT_EQ(c.unit, "bytes");
  ASSERT_EQ(c.series.size(), 2u);
  EXPECT_EQ(c.series[0].name, "allocated");
  EXPECT_EQ(c.series[1].name, "reserved");
  EXPECT_TRUE(c.series[0].step);
  for (const ChartSeries& s : c.series) EXPECT_LE(s.points.size(), 1000u);
  double peak = 0;
  for (const ChartPoint& p : c.series[0].points) peak = std::max(peak, p.y);
  EXPECT_EQ(peak, static_cast<double>(70LL << 30));
  ASSERT_TRUE(c.reference.has_value());
  EXPECT_EQ(*c.reference, static_cast<double>(80LL << 30));
  EXPECT_EQ(c.reference_label, "device memory 80 GiB");
  EXPECT_NE(c.caption.find("peak allocated 70 GiB at 234 µs"), std::string::npos) << c.caption;
  EXPECT_NE(c.caption.find("5000 memory events"), std::string::npos) << c.caption;
  EXPECT_NE(c.caption.find("peak reserved 71 GiB at 2 µs; reserved − allocated up to 64 MiB"), std::string::npos)
      << c.caption;

  Report r;
  r.charts = charts;
  std::string h = render_html(r, {});
  EXPECT_NE(h.find("id=\"chart-trace-memory-gpu-3\""), std::string::npos);
  EXPECT_EQ(std::count(h.begin(), h.end(), '\n') > 0, true);
  size_t paths = 0;
  for (size_t p = h.find("<path class=\"series"); p != std::string::npos; p = h.find("<path class=\"series", p + 1))
    ++paths;
  EXPECT_EQ(paths, 2u);
  EXPECT_NE(h.find("<line class=\"ref\""), std::string::npos);

  MemoryTimeline empty;
  empty.why_not = "no [memory] events";
  EXPECT_TRUE(memory_charts(empty, 0).empty());
}

TEST(TraceCharts, TopOperatorsByCudaTotalWithoutProfilerStep) {
  auto row = [](std::string name, uint64_t calls, int64_t cpu_total, int64_t cpu_self, int64_t cuda_total,
                int64_t cuda_self) {
    OpRow r;
    r.name = std::move(name);
    r.calls = calls;
    r.cpu_total_ns = cpu_total;
    r.cpu_self_ns = cpu_self;
    r.cuda_total_ns = cuda_total;
    r.cuda_self_ns = cuda_self;
    return r;
  };
  OpTable ot;
  ot.ops = {row("ProfilerStep*", 1, 100, 1, 900, 0), row("aten::mm", 5, 10, 5, 300, 300),
            row("aten::cpu_only", 50, 80, 80, 0, 0), row("aten::linear", 5, 20, 2, 600, 0)};
  Chart c = top_ops_chart(ot, 10);
  EXPECT_EQ(c.labels, (std::vector<std::string>{"aten::linear", "aten::mm"}));
  EXPECT_EQ(c.values, (std::vector<double>{600, 300}));
  for (int i = 0; i < 100; ++i) ot.ops.push_back(row("op" + std::to_string(i), 1, 1, 1, 1000 + i, 0));
  EXPECT_EQ(top_ops_chart(ot, 1000).labels.size(), 40u);  // capped
  Chart one = top_ops_chart(ot, 1);
  EXPECT_EQ(one.labels.size(), 1u);
  EXPECT_NE(one.caption.find("101 more operators not shown"), std::string::npos);
}

TEST(TraceCharts, DiffChangesSignedAndByMagnitude) {
  TraceDiff d;
  d.slower = {{"kernel a", "ns", 100, 400}, {"kernel b", "ns", 100, 150}};
  d.faster = {{"op c (CPU self)", "ns", 500, 100}};
  Chart c = diff_changes_chart(d, 10);
  EXPECT_EQ(c.labels, (std::vector<std::string>{"op c (CPU self)", "kernel a", "kernel b"}));
  EXPECT_EQ(c.values, (std::vector<double>{-400, 300, 50}));
}

TEST(TraceCharts, AnalyzeReportCarriesTheCharts) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t);
  Report r = trace_report(*t, {});
  std::map<std::string, const Chart*> by_id;
  for (const Chart& c : r.charts) by_id[c.id] = &c;
  for (const char* id : {"trace-top-kernels", "trace-kernel-classes", "trace-top-ops", "trace-utilisation"}) {
    ASSERT_TRUE(by_id.count(id)) << id;
  }
  const Chart& k = *by_id["trace-top-kernels"];
  EXPECT_EQ(k.labels.size(), 10u);
  EXPECT_TRUE(std::is_sorted(k.values.rbegin(), k.values.rend()));
  const Chart& u = *by_id["trace-utilisation"];
  ASSERT_EQ(u.series.size(), 1u);
  EXPECT_EQ(u.series[0].name, "GPU 0");
  EXPECT_EQ(u.series[0].points.size(), 201u);  // 200 bins and the end of the last
  for (const ChartPoint& p : u.series[0].points) EXPECT_TRUE(p.y >= 0 && p.y <= 100);
  EXPECT_NE(u.caption.find("GPU 0 busy 0.309437 ms"), std::string::npos) << u.caption;

  TraceReportOptions only;
  only.sections = {"kernels"};
  Report rk = trace_report(*t, only);
  ASSERT_EQ(rk.charts.size(), 2u);
  EXPECT_EQ(rk.charts[0].id, "trace-top-kernels");
  EXPECT_EQ(rk.charts[1].id, "trace-kernel-classes");

  // Text and Markdown leave the charts out.
  Report bare = r;
  bare.charts.clear();
  EXPECT_EQ(render_text(r, {}), render_text(bare, {}));
  EXPECT_EQ(render_markdown(r, {}), render_markdown(bare, {}));
  EXPECT_EQ(json_text(report_to_json(r)), json_text(report_to_json(bare)));
}

}  // namespace
}  // namespace infertune::trace
