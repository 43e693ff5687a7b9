// `trace diff`: two small hand-made traces whose differences follow by hand, and a trace against itself.

#include "trace/trace_diff.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "report/render.h"
#include "trace/reader.h"

namespace infertune::trace {
namespace {

struct Ev {
  std::string cat, name;
  double ts = 0, dur = 0;  // µs
  int64_t corr = -1, ext = -1, bytes = -1;
};

Trace parse(const std::vector<Ev>& evs, const std::string& label) {
  std::string out = "{\"traceEvents\":[";
  bool first = true;
  for (const Ev& e : evs) {
    bool gpu = e.cat == "kernel" || e.cat == "gpu_memcpy";
    std::string args;
    auto arg = [&](const std::string& k, int64_t v) {
      if (v >= 0) args += (args.empty() ? "" : ",") + fmt::format("\"{}\":{}", k, v);
    };
    arg("correlation", e.corr);
    arg("External id", e.ext);
    arg("bytes", e.bytes);
    if (gpu) args += ",\"device\":0,\"stream\":7";
    out += fmt::format(
        "{}{{\"ph\":\"X\",\"cat\":\"{}\",\"name\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":{:.3f},\"dur\":{:.3f},"
        "\"args\":{{{}}}}}",
        first ? "" : ",", e.cat, e.name, gpu ? 0 : 1, gpu ? 7 : 1, e.ts, e.dur, args);
    first = false;
  }
  auto t = read_trace_bytes(out + "]}", label);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? std::move(*t) : Trace{};
}

// Base: GEMM 400 µs, elementwise 100 µs, a 1 MiB pinned upload. GPU 20..616 µs, busy 510, idle 86.
Trace base_trace() {
  return parse({{"user_annotation", "ProfilerStep#1", 0, 1000},
                {"cpu_op", "aten::mm", 10, 20, -1, 1},
                {"cuda_runtime", "cudaLaunchKernel", 12, 4, 11, 1},
                {"kernel", "gemm_kernel", 20, 400, 11, 1},
                {"cpu_op", "aten::add", 430, 10, -1, 2},
                {"cuda_runtime", "cudaLaunchKernel", 431, 4, 12, 2},
                {"kernel", "elementwise_kernel", 440, 100, 12, 2},
                {"cpu_op", "aten::copy_", 600, 20, -1, 3},
                {"cuda_runtime", "cudaMemcpyAsync", 601, 4, 13, 3},
                {"gpu_memcpy", "Memcpy HtoD (Pinned -> Device)", 606, 10, 13, 3, 1 << 20}},
               "base.json");
}

// New: GEMM 300 µs (aten::mm's CPU self +10 µs), elementwise 150 µs, a new softmax 20 µs, no upload.
// GPU 20..525 µs, busy 470, idle 35.
Trace new_trace() {
  return parse({{"user_annotation", "ProfilerStep#1", 0, 1000},
                {"cpu_op", "aten::mm", 10, 30, -1, 1},
                {"cuda_runtime", "cudaLaunchKernel", 12, 4, 11, 1},
                {"kernel", "gemm_kernel", 20, 300, 11, 1},
                {"cpu_op", "aten::add", 330, 10, -1, 2},
                {"cuda_runtime", "cudaLaunchKernel", 331, 4, 12, 2},
                {"kernel", "elementwise_kernel", 340, 150, 12, 2},
                {"cpu_op", "aten::softmax", 495, 10, -1, 4},
                {"cuda_runtime", "cudaLaunchKernel", 496, 4, 14, 4},
                {"kernel", "softmax_kernel", 505, 20, 14, 4}},
               "new.json");
}

const DiffRow& find(const std::vector<DiffRow>& rows, const std::string& name) {
  auto it = std::find_if(rows.begin(), rows.end(), [&](const DiffRow& r) { return r.name == name; });
  static const DiffRow missing{"(missing)", "", -1, -1};
  EXPECT_NE(it, rows.end()) << name;
  return it == rows.end() ? missing : *it;
}

void expect_row(const std::vector<DiffRow>& rows, const std::string& name, int64_t base, int64_t now) {
  const DiffRow& r = find(rows, name);
  EXPECT_EQ(r.base, base) << name;
  EXPECT_EQ(r.now, now) << name;
}

TEST(TraceDiff, HandMadeTracesGiveExactDeltas) {
  Trace b = base_trace(), n = new_trace();
  TraceDiff d = diff_traces(b, n);
  expect_row(d.overall, "GPU timeline total", 596000, 505000);
  expect_row(d.overall, "GPU busy", 510000, 470000);
  expect_row(d.overall, "GPU idle", 86000, 35000);
  expect_row(d.overall, "Kernels", 2, 3);
  expect_row(d.overall, "Kernel GPU time (sum)", 500000, 470000);
  expect_row(d.overall, "Launch calls", 2, 3);
  expect_row(d.overall, "Copies (memcpy)", 1, 0);
  expect_row(d.overall, "Copy bytes", 1 << 20, 0);
  expect_row(d.overall, "Copy time", 10000, 0);
  expect_row(d.overall, "Profiler steps", 1, 1);
  expect_row(d.overall, "Mean step wall time", 1000000, 1000000);
  // Idle by cause sums to the idle time on both sides.
  int64_t cb = 0, cn = 0;
  for (const DiffRow& r : d.overall) {
    if (r.name.rfind("GPU idle: ", 0) == 0) cb += r.base, cn += r.now;
  }
  EXPECT_EQ(cb, 86000);
  EXPECT_EQ(cn, 35000);

  // Kernels matched by name, ordered by the size of the change.
  ASSERT_EQ(d.kernels.size(), 3u);
  EXPECT_EQ(d.kernels[0].name, "gemm_kernel");
  EXPECT_EQ(d.kernels[0].delta(), -100000);
  EXPECT_DOUBLE_EQ(d.kernels[0].rel(), -0.25);
  EXPECT_EQ(d.kernels[1].name, "elementwise_kernel");
  EXPECT_EQ(d.kernels[1].delta(), 50000);
  EXPECT_DOUBLE_EQ(d.kernels[1].rel(), 0.5);
  EXPECT_EQ(d.kernels[2].name, "softmax_kernel");
  EXPECT_EQ(d.kernels[2].base, 0);
  EXPECT_EQ(d.kernels[2].now, 20000);
  expect_row(d.classes, "GEMM", 400000, 300000);
  expect_row(d.ops_cuda, "aten::mm", 400000, 300000);
  expect_row(d.ops_cuda, "aten::softmax", 0, 20000);
  expect_row(d.ops_cuda, "aten::copy_", 10000, 0);
  expect_row(d.ops_cpu, "aten::mm", 20000, 30000);

  // Ranked: the elementwise kernel grew most (no idle cause can grow by more than the new idle, 35 µs);
  // the GEMM shrank most.
  ASSERT_FALSE(d.slower.empty());
  EXPECT_EQ(d.slower[0].name, "kernel elementwise_kernel");
  EXPECT_EQ(d.slower[0].delta(), 50000);
  expect_row(d.slower, "kernel softmax_kernel", 0, 20000);
  expect_row(d.slower, "operator aten::mm (CPU self)", 16000, 26000);
  ASSERT_FALSE(d.faster.empty());
  EXPECT_EQ(d.faster[0].name, "kernel gemm_kernel");
  for (const DiffRow& r : d.slower) EXPECT_GT(r.delta(), 0) << r.name;
  for (const DiffRow& r : d.faster) EXPECT_LT(r.delta(), 0) << r.name;
  for (size_t i = 1; i < d.slower.size(); ++i) EXPECT_GE(d.slower[i - 1].delta(), d.slower[i].delta());
}

// Peak GPU memory from the [memory] events: rows only when a trace recorded memory.
Trace memory_trace(int64_t allocated, int64_t reserved, const std::string& label) {
  auto mem = [&](int ts) {
    return fmt::format(
        R"({{"ph":"i","cat":"cpu_instant_event","s":"t","name":"[memory]","pid":1,"tid":1,"ts":{},)"
        R"("args":{{"Total Reserved":{},"Total Allocated":{},"Bytes":{},"Addr":1,"Device Id":0,"Device Type":1}}}})",
        ts, reserved, allocated, allocated);
  };
  std::string json =
      R"({"traceEvents":[{"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":1,"tid":1,"ts":1,"dur":2,)"
      R"("args":{"correlation":1}},{"ph":"X","cat":"kernel","name":"k","pid":0,"tid":7,"ts":5,"dur":100,)"
      R"("args":{"correlation":1,"device":0,"stream":7}},)" +
      mem(10) + "," + mem(20) + "]}";
  auto t = read_trace_bytes(json, label);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? std::move(*t) : Trace{};
}

TEST(TraceDiff, PeakGpuMemoryWhenRecorded) {
  constexpr int64_t kMiB = 1 << 20;
  TraceDiff d = diff_traces(memory_trace(600 * kMiB, 1024 * kMiB, "fp32.json"),
                            memory_trace(300 * kMiB, 512 * kMiB, "bf16.json"));
  expect_row(d.overall, "Peak GPU memory allocated", 600 * kMiB, 300 * kMiB);
  expect_row(d.overall, "Peak GPU memory reserved", 1024 * kMiB, 512 * kMiB);
  EXPECT_EQ(find(d.overall, "Peak GPU memory reserved").unit, "bytes");
  // Memory is not time: never among the slower/faster rows.
  for (const auto* rows : {&d.slower, &d.faster}) {
    for (const DiffRow& r : *rows) EXPECT_EQ(r.name.find("memory"), std::string::npos) << r.name;
  }
  // Only the new trace recorded memory: the base side is 0, shown as new.
  TraceDiff one = diff_traces(base_trace(), memory_trace(300 * kMiB, 512 * kMiB, "bf16.json"));
  expect_row(one.overall, "Peak GPU memory allocated", 0, 300 * kMiB);
  // Neither did: no memory rows (0 → 0 would read as "none used").
  TraceDiff none = diff_traces(base_trace(), new_trace());
  for (const DiffRow& r : none.overall) EXPECT_EQ(r.name.find("Peak GPU memory"), std::string::npos) << r.name;
}

TEST(TraceDiff, TraceAgainstItselfHasNoChange) {
  Trace b = base_trace();
  TraceDiff d = diff_traces(b, b);
  for (const auto* rows : {&d.overall, &d.kernels, &d.classes, &d.ops_cuda, &d.ops_cpu}) {
    for (const DiffRow& r : *rows) EXPECT_EQ(r.delta(), 0) << r.name;
  }
  EXPECT_TRUE(d.slower.empty());
  EXPECT_TRUE(d.faster.empty());
}

TEST(TraceDiff, ReportRendersInEveryFormat) {
  Trace b = base_trace(), n = new_trace();
  TraceDiffOptions o;
  o.top = 2;
  Report r = trace_diff_report(b, n, o);
  EXPECT_EQ(r.command, "trace diff");
  ASSERT_TRUE(r.data.has_value());
  const Json& j = *r.data;
  EXPECT_EQ(j["slower"][0]["name"], "kernel elementwise_kernel");
  EXPECT_EQ(j["slower"][0]["delta"], 50000);
  EXPECT_DOUBLE_EQ(j["slower"][0]["rel"].get<double>(), 0.5);
  EXPECT_EQ(j["kernels"].size(), 2u);  // --top 2
  EXPECT_EQ(j["faster"][0]["base"], 400000);
  std::string text = render(r, Format::kText, {});
  EXPECT_NE(text.find("What got slower"), std::string::npos);
  EXPECT_NE(text.find("100.000 µs → 150.000 µs (+50.000 µs, +50.00 %)"), std::string::npos) << text;
  EXPECT_NE(text.find("new)"), std::string::npos);  // softmax: no base
  std::string md = render(r, Format::kMarkdown, {});
  EXPECT_NE(md.find("gemm\\_kernel"), std::string::npos);
}

}  // namespace
}  // namespace infertune::trace
