// Memory timeline from [memory] allocator events, the operator table's memory columns, the memory section of the
// report and the memory findings.
//
// Oracles: the three H100 inference traces of TraceLens (tests/data/traces/tracelens_h100), whose expected numbers
// below were computed by an independent Python script over the raw JSON (json.load with Decimal timestamps, exact
// ns = µs × 1000): per (Device Type, Device Id), events sorted by ts: count of Bytes > 0 / < 0, sum of positive
// Bytes, the maximum "Total Allocated" and "Total Reserved" with the ts of their first occurrence, the largest
// Reserved − Allocated; per operator, the innermost cpu_op/user_annotation on the same (pid, tid) with
// start <= ts < end (brute force over all operators of the thread). Hand-made traces cover the edge cases.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "report/render.h"
#include "test_support.h"
#include "trace/analyses/analyses.h"
#include "trace/reader.h"
#include "trace/trace_report.h"

namespace infertune::trace {
namespace {

// ---- hand-made traces ----
struct Op {
  std::string name;
  double ts = 0, dur = 0;  // µs
  int64_t tid = 1;
  std::string cat = "cpu_op";
};
struct Mem {
  double ts = 0;  // µs
  int64_t bytes = 0;
  int64_t allocated = -1, reserved = -1;  // -1: not written (2021 traces)
  int device_type = 1, device_id = 0;
  int64_t tid = 1;
};

std::string trace_json(const std::vector<Op>& ops, const std::vector<Mem>& mem, int64_t device_memory = -1,
                       const std::string& extra_events = "") {
  std::string out = "{";
  if (device_memory > 0) {
    out += fmt::format(R"("deviceProperties":[{{"id":0,"name":"Test GPU","totalGlobalMem":{}}}],)", device_memory);
  }
  out += "\"traceEvents\":[";
  bool first = true;
  for (const Op& o : ops) {
    out += fmt::format(R"({}{{"ph":"X","cat":"{}","name":"{}","pid":1,"tid":{},"ts":{:.3f},"dur":{:.3f},"args":{{}}}})",
                       first ? "" : ",", o.cat, o.name, o.tid, o.ts, o.dur);
    first = false;
  }
  for (const Mem& m : mem) {
    std::string args =
        fmt::format(R"("Device Type":{},"Device Id":{},"Bytes":{})", m.device_type, m.device_id, m.bytes);
    if (m.allocated >= 0) args += fmt::format(R"(,"Total Allocated":{})", m.allocated);
    if (m.reserved >= 0) args += fmt::format(R"(,"Total Reserved":{})", m.reserved);
    out += fmt::format(
        R"({}{{"ph":"i","cat":"cpu_instant_event","s":"t","name":"[memory]","pid":1,"tid":{},"ts":{:.3f},"args":{{{}}}}})",
        first ? "" : ",", m.tid, m.ts, args);
    first = false;
  }
  if (!extra_events.empty()) out += (first ? "" : ",") + extra_events;
  return out + "]}";
}

Trace parse(const std::string& json) {
  auto t = read_trace_bytes(json, "synthetic.json");
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? std::move(*t) : Trace{};
}

Trace real(const std::string& name) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/" + name + ".json.gz"));
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? std::move(*t) : Trace{};
}

const OpRow* find_op(const OpTable& ot, const std::string& name) {
  for (const OpRow& o : ot.ops)
    if (o.name == name) return &o;
  return nullptr;
}

bool has_finding(const std::vector<Finding>& fs, const std::string& id) {
  for (const Finding& f : fs)
    if (f.id == id) return true;
  return false;
}
const Finding* get_finding(const std::vector<Finding>& fs, const std::string& id) {
  for (const Finding& f : fs)
    if (f.id == id) return &f;
  return nullptr;
}

constexpr int64_t kGiB = int64_t{1} << 30;

// ---- real traces: peaks against the independent computation ----
struct RealCase {
  const char* name;
  uint64_t allocs, frees;
  int64_t allocated_bytes;
  int64_t peak_allocated, peak_allocated_ts;
  int64_t peak_reserved, peak_reserved_ts;
  int64_t max_unused, max_unused_ts;
  int64_t min_allocated;
  uint64_t cpu_allocs;
  int64_t cpu_allocated_bytes, cpu_peak;
  const char* top_op;
  int64_t top_op_bytes;
  uint64_t top_op_allocs;
};

class TraceMemoryReal : public ::testing::TestWithParam<RealCase> {};

TEST_P(TraceMemoryReal, PeaksEqualIndependentComputation) {
  const RealCase& x = GetParam();
  Trace t = real(x.name);
  Model m = build_model(t);
  MemoryTimeline mt = memory_timeline(m);
  ASSERT_TRUE(mt.why_not.empty()) << mt.why_not;
  ASSERT_EQ(mt.devices.size(), 2u);
  const DeviceMemory& g = mt.devices[0];  // CUDA first
  EXPECT_EQ(g.device_type, 1);
  EXPECT_EQ(g.device_id, 0);
  EXPECT_TRUE(g.accelerator);
  EXPECT_EQ(g.allocs, x.allocs);
  EXPECT_EQ(g.frees, x.frees);
  EXPECT_EQ(g.allocated_bytes, x.allocated_bytes);
  EXPECT_EQ(g.freed_bytes, x.allocated_bytes);  // every trace frees what it allocates
  EXPECT_EQ(g.peak_allocated, x.peak_allocated);
  EXPECT_EQ(g.peak_allocated_ts_ns, x.peak_allocated_ts);
  EXPECT_TRUE(g.has_reserved);
  EXPECT_FALSE(g.allocated_reconstructed);
  EXPECT_EQ(g.peak_reserved, x.peak_reserved);
  EXPECT_EQ(g.peak_reserved_ts_ns, x.peak_reserved_ts);
  EXPECT_EQ(g.max_unused_reserved, x.max_unused);
  EXPECT_EQ(g.max_unused_reserved_ts_ns, x.max_unused_ts);
  EXPECT_EQ(g.min_allocated, x.min_allocated);
  EXPECT_EQ(g.total_memory_bytes, 85018279936);  // H100 80GB HBM3, deviceProperties totalGlobalMem
  EXPECT_EQ(g.curve.size(), x.allocs + x.frees);
  EXPECT_EQ(g.reserved_growths, 0u);  // steady state: reserved never moves in these traces
  EXPECT_EQ(g.reserved_releases, 0u);
  for (size_t i = 1; i < g.curve.size(); ++i) ASSERT_LE(g.curve[i - 1].ts_ns, g.curve[i].ts_ns);
  const DeviceMemory& c = mt.devices[1];
  EXPECT_EQ(c.device_type, 0);
  EXPECT_FALSE(c.accelerator);
  EXPECT_FALSE(c.has_reserved);  // PyTorch writes Total Reserved 0 for CPU
  EXPECT_EQ(c.allocs, x.cpu_allocs);
  EXPECT_EQ(c.allocated_bytes, x.cpu_allocated_bytes);
  EXPECT_EQ(c.peak_allocated, x.cpu_peak);
  EXPECT_EQ(mt.unattributed, 0u);
  ASSERT_FALSE(mt.top_ops.empty());
  EXPECT_FALSE(mt.top_ops_cpu);
  EXPECT_EQ(mt.top_ops[0].op, x.top_op);
  EXPECT_EQ(mt.top_ops[0].bytes, x.top_op_bytes);
  EXPECT_EQ(mt.top_ops[0].allocs, x.top_op_allocs);
  ASSERT_EQ(mt.steps.size(), 1u);
  EXPECT_EQ(mt.steps[0].number, 6);
}

INSTANTIATE_TEST_SUITE_P(
    H100, TraceMemoryReal,
    ::testing::Values(RealCase{"gaunernst_bert-small-uncased__1016001", 109, 109, 47460864, 101305344, 1419247337276476,
                               121634816, 1419247333400919, 30274048, 1419247337341006, 91360768, 9, 72, 16,
                               "aten::empty", 28745728, 60},
                      RealCase{"Qwen_Qwen1.5-0.5B-Chat__1016005", 1125, 1125, 21375221248, 2088508416, 1428625778044036,
                               2629828608, 1428625746340715, 1645086208, 1428625778975243, 984742400, 100, 800, 16,
                               "aten::mul", 5660336128, 220},
                      RealCase{"facebook_timesformer-base-finetuned-k400__1016002", 603, 603, 86321299456, 4490752000,
                               1420179713138128, 4588568576, 1420179703088553, 4300871168, 1420179863467403, 287697408,
                               29, 38537010, 38536818, "aten::bmm", 23657324544, 48}),
    [](const ::testing::TestParamInfo<RealCase>& i) { return std::string(i.param.name).substr(0, 4); });

// The 2021 ResNet-50 training sample (shared collection; skipped without it): [memory] events with only Bytes,
// string tids on the operators ("25738") and numeric ones on the memory events. Expected numbers from the same
// script (running sum of Bytes per device in ts order; tids compared as numbers).
TEST(TraceMemoryLegacy, ResNetRunningSumEqualsIndependentComputation) {
  std::filesystem::path f = std::filesystem::path(test::source_path("")) / ".." / "shared" / "traces" /
                            "kineto_tb_plugin" / "samples" / "resnet50_num_workers_0" /
                            "worker0.1623143089861.pt.trace.json.gz";
  if (!std::filesystem::exists(f)) GTEST_SKIP() << "no shared trace collection at ../shared/traces";
  auto t = read_trace_file(f.string());
  ASSERT_TRUE(t.ok()) << t.error().message;
  MemoryTimeline mt = memory_timeline(build_model(*t));
  ASSERT_EQ(mt.devices.size(), 2u);
  const DeviceMemory& g = mt.devices[0];
  EXPECT_TRUE(g.allocated_reconstructed);
  EXPECT_FALSE(g.has_reserved);
  EXPECT_EQ(g.allocs, 4110u);
  EXPECT_EQ(g.frees, 4110u);
  EXPECT_EQ(g.allocated_bytes, 63689511936);
  EXPECT_EQ(g.peak_allocated, 2791636480);
  EXPECT_EQ(g.peak_allocated_ts_ns, 1623142623582083000);
  EXPECT_EQ(g.total_memory_bytes, 34084028416);
  const DeviceMemory& c = mt.devices[1];
  EXPECT_EQ(c.allocs, 2310u);
  EXPECT_EQ(c.frees, 2308u);
  EXPECT_EQ(c.peak_allocated, 57803264);
  EXPECT_EQ(c.peak_allocated_ts_ns, 1623142623704921000);
  EXPECT_EQ(mt.unattributed, 3294u);
  ASSERT_GE(mt.top_ops.size(), 2u);
  EXPECT_EQ(mt.top_ops[0].op, "aten::empty");
  EXPECT_EQ(mt.top_ops[0].bytes, 34000779264);
  EXPECT_EQ(mt.top_ops[0].allocs, 2694u);
  EXPECT_EQ(mt.top_ops[1].op, "aten::cudnn_convolution");
  EXPECT_EQ(mt.top_ops[1].bytes, 8563458048);
  EXPECT_EQ(mt.steps.size(), 6u);
}

// A DDP training rank (shared collection; skipped without it) whose allocator holds 11.9 GiB while at most 6.2 GiB
// is allocated: the allocator-cache finding fires on real data. Peaks from the same script.
TEST(TraceMemoryLegacy, DdpRankAllocatorCacheFires) {
  std::filesystem::path f = std::filesystem::path(test::source_path("")) / ".." / "shared" / "traces" / "hta" /
                            "df_index_resolver" / "df_index_resolver.json.gz";
  if (!std::filesystem::exists(f)) GTEST_SKIP() << "no shared trace collection at ../shared/traces";
  auto t = read_trace_file(f.string());
  ASSERT_TRUE(t.ok()) << t.error().message;
  MemoryTimeline mt = memory_timeline(build_model(*t));
  ASSERT_EQ(mt.devices.size(), 2u);
  const DeviceMemory& g = mt.devices[0];
  EXPECT_EQ(g.device_id, 1);
  EXPECT_EQ(g.allocs, 13385u);
  EXPECT_EQ(g.allocated_bytes, 52469120000);
  EXPECT_EQ(g.peak_allocated, 6629508096);
  EXPECT_EQ(g.peak_allocated_ts_ns, 1669783687579130000);
  EXPECT_EQ(g.peak_reserved, 12782141440);
  EXPECT_EQ(g.peak_reserved_ts_ns, 1669783687404093000);
  EXPECT_EQ(g.max_unused_reserved, 8685527040);
  EXPECT_EQ(g.max_unused_reserved_ts_ns, 1669783687730425000);
  EXPECT_EQ(g.total_memory_bytes, 34089730048);
  EXPECT_EQ(mt.unattributed, 0u);
  auto fs = trace_file_findings(*t);
  const Finding* c = get_finding(fs, "TRACE-ALLOCATOR-CACHE");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->severity, Severity::kInfo);
  EXPECT_NE(c->title.find("48.13 %"), std::string::npos) << c->title;
  EXPECT_NE(c->impact.find("did not grow inside the trace"), std::string::npos) << c->impact;
  EXPECT_TRUE(has_finding(fs, "TRACE-MEMORY-HEADROOM"));  // 31.7 − 11.9 − 3.2 = 16.7 GiB (52.5 %)
  EXPECT_FALSE(has_finding(fs, "TRACE-ALLOCATOR-CHURN"));
}

// The operator table's memory columns on bert-small, against the same script (self: the innermost operator;
// total: every operator of that name around the event on its thread).
TEST(TraceMemoryOps, BertColumnsEqualIndependentComputation) {
  Trace t = real("gaunernst_bert-small-uncased__1016001");
  Model m = build_model(t);
  OpTable ot = op_table(m, OpSort::kCudaMem);
  ASSERT_TRUE(ot.has_memory);
  const OpRow* addmm = find_op(ot, "aten::addmm");
  ASSERT_NE(addmm, nullptr);
  EXPECT_EQ(addmm->cuda_mem, 13949440);
  EXPECT_EQ(addmm->cuda_mem_self, -13313536);  // frees inside addmm, its outputs allocated by aten::empty in it
  const OpRow* linear = find_op(ot, "aten::linear");
  ASSERT_NE(linear, nullptr);
  EXPECT_EQ(linear->cuda_mem, 13949440);
  EXPECT_EQ(linear->cuda_mem_self, 0);
  const OpRow* empty = find_op(ot, "aten::empty");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->cuda_mem, 28745728);
  EXPECT_EQ(empty->cuda_mem_self, 28745728);
  EXPECT_EQ(empty->cpu_mem_self, 64);
  const OpRow* step = find_op(ot, "ProfilerStep*");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(step->cuda_mem, 0);  // everything allocated in the step is freed in it
  EXPECT_EQ(step->cuda_mem_self, -20158976);
  // Sorted by cuda_memory_usage: aten::empty first.
  EXPECT_EQ(ot.ops.front().name, "aten::empty");
  OpTable by_self = op_table(m, OpSort::kSelfCudaMem);
  EXPECT_EQ(by_self.ops.front().name, "aten::empty");
  EXPECT_EQ(by_self.ops[1].name, "aten::gelu");  // 2454528 self
  EXPECT_EQ(by_self.ops[1].cuda_mem_self, 2454528);
}

TEST(TraceMemoryOps, SortKeysAsPyTorch) {
  OpSort s = OpSort::kCudaTotal;
  EXPECT_TRUE(parse_op_sort("cuda_memory_usage", s));
  EXPECT_EQ(s, OpSort::kCudaMem);
  EXPECT_TRUE(parse_op_sort("cpu_memory_usage", s));
  EXPECT_EQ(s, OpSort::kCpuMem);
  EXPECT_TRUE(parse_op_sort("self_cuda_memory_usage", s));
  EXPECT_EQ(s, OpSort::kSelfCudaMem);
  EXPECT_TRUE(parse_op_sort("self_cpu_memory_usage", s));
  EXPECT_EQ(s, OpSort::kSelfCpuMem);
  EXPECT_FALSE(parse_op_sort("memory", s));
  for (const std::string& n : op_sort_names()) EXPECT_TRUE(parse_op_sort(n, s)) << n;
  EXPECT_EQ(op_sort_names().size(), 9u);
}

// ---- hand-made edge cases ----

// Attribution: innermost operator whose [start, end) holds the event, on the same thread only.
TEST(TraceMemoryOwners, InnermostOperatorOnTheSameThread) {
  std::vector<Op> ops = {
      {"outer", 0, 100}, {"inner", 10, 10}, {"annotation", 50, 20, 1, "user_annotation"}, {"other_thread", 0, 100, 2}};
  std::vector<Mem> mem = {
      {15, 100, 100, 2048},          // inside inner
      {10, 10, 110, 2048},           // inner's start: inside inner
      {20, -100, 10, 2048},          // inner's end: outside inner, inside outer
      {60, 1000, 1010, 2048},        // inside the user annotation
      {150, 5, 1015, 2048},          // outside any operator
      {30, 7, 1022, 2048, 1, 0, 3},  // thread 3 has no operators
  };
  Trace t = parse(trace_json(ops, mem));
  Model m = build_model(t);
  std::vector<uint32_t> own = memory_owners(m);
  ASSERT_EQ(own.size(), 6u);
  auto name = [&](size_t k) { return own[k] == kNoIndex ? std::string("-") : t.name_of(t.events[own[k]]); };
  EXPECT_EQ(name(0), "inner");
  EXPECT_EQ(name(1), "inner");
  EXPECT_EQ(name(2), "outer");
  EXPECT_EQ(name(3), "annotation");
  EXPECT_EQ(name(4), "-");
  EXPECT_EQ(name(5), "-");
  MemoryTimeline mt = memory_timeline(m);
  EXPECT_EQ(mt.unattributed, 2u);
  ASSERT_EQ(mt.top_ops.size(), 4u);
  EXPECT_EQ(mt.top_ops[0].op, "annotation");
  EXPECT_EQ(mt.top_ops[1].op, "inner");
  EXPECT_EQ(mt.top_ops[1].allocs, 2u);
  EXPECT_EQ(mt.top_ops[1].bytes, 110);
  EXPECT_EQ(mt.top_ops[2].op, "(no operator)");
  EXPECT_EQ(mt.top_ops[2].bytes, 12);
  EXPECT_EQ(mt.top_ops[3].op, "outer");
  EXPECT_EQ(mt.top_ops[3].frees, 1u);
  EXPECT_EQ(mt.top_ops[3].freed_bytes, 100);
  // Memory columns: self to the owner, total to it and every operator around it.
  OpTable ot = op_table(m, OpSort::kCudaMem);
  const OpRow* outer = find_op(ot, "outer");
  const OpRow* inner = find_op(ot, "inner");
  ASSERT_NE(outer, nullptr);
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->cuda_mem_self, 110);
  EXPECT_EQ(inner->cuda_mem, 110);
  EXPECT_EQ(outer->cuda_mem_self, -100);
  EXPECT_EQ(outer->cuda_mem, 110 - 100 + 1000);  // the annotation nests in outer
  EXPECT_EQ(outer->cpu_mem, 0);
  EXPECT_EQ(ot.ops.front().name, "outer");
  const OpRow* other = find_op(ot, "other_thread");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->cuda_mem, 0);
}

// Frees of memory allocated before the trace began: counted as frees, the curve follows the totals.
TEST(TraceMemoryEdge, FreesWithoutAllocs) {
  Trace t = parse(trace_json({}, {{1, -4096, 8192, 65536}, {2, -4096, 4096, 65536}}));
  MemoryTimeline mt = memory_timeline(build_model(t));
  ASSERT_EQ(mt.devices.size(), 1u);
  const DeviceMemory& d = mt.devices[0];
  EXPECT_EQ(d.allocs, 0u);
  EXPECT_EQ(d.frees, 2u);
  EXPECT_EQ(d.allocated_bytes, 0);
  EXPECT_EQ(d.freed_bytes, 8192);
  EXPECT_EQ(d.peak_allocated, 8192);
  EXPECT_EQ(d.peak_allocated_ts_ns, 1000);
  EXPECT_EQ(d.min_allocated, 4096);
  EXPECT_EQ(d.peak_reserved, 65536);
  EXPECT_EQ(d.max_unused_reserved, 65536 - 4096);
  EXPECT_EQ(d.max_unused_reserved_ts_ns, 2000);
  EXPECT_EQ(mt.top_ops.size(), 1u);  // the frees, outside any operator
  EXPECT_EQ(mt.top_ops[0].op, "(no operator)");
  EXPECT_EQ(mt.top_ops[0].allocs, 0u);
  EXPECT_EQ(mt.unattributed, 2u);
}

// 2021 traces: only Bytes. Allocated is the running sum from the first event; reserved is unknown.
TEST(TraceMemoryEdge, MissingTotalsAreReconstructed) {
  Trace t = parse(trace_json({}, {{1, 100}, {2, 50}, {3, -100}, {4, 30}, {5, -80}}));
  MemoryTimeline mt = memory_timeline(build_model(t));
  ASSERT_EQ(mt.devices.size(), 1u);
  const DeviceMemory& d = mt.devices[0];
  EXPECT_TRUE(d.allocated_reconstructed);
  EXPECT_FALSE(d.has_reserved);
  ASSERT_EQ(d.curve.size(), 5u);
  std::vector<int64_t> want = {100, 150, 50, 80, 0};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(d.curve[i].allocated, want[i]) << i;
    EXPECT_EQ(d.curve[i].reserved, -1) << i;
  }
  EXPECT_EQ(d.peak_allocated, 150);
  EXPECT_EQ(d.peak_allocated_ts_ns, 2000);
  EXPECT_EQ(d.peak_reserved, 0);
  EXPECT_EQ(d.reserved_overhead(), 0);
  // No reserved total: no headroom or cache finding can be judged.
  Trace big = parse(trace_json({}, {{1, 100}, {2, -100}}, 80 * kGiB));
  auto fs = trace_file_findings(big);
  EXPECT_FALSE(has_finding(fs, "TRACE-MEMORY-HEADROOM"));
  EXPECT_FALSE(has_finding(fs, "TRACE-ALLOCATOR-CACHE"));
}

// CPU, CUDA and HIP memory: accelerators first; CPU's Total Reserved (0) is not a reserved total; the CUDA
// columns count CUDA and HIP, the CPU columns CPU.
TEST(TraceMemoryEdge, CpuAndDeviceMemory) {
  std::vector<Op> ops = {{"op", 0, 100}};
  std::vector<Mem> mem = {
      {1, 64, 64, 0, 0, -1},        // CPU
      {2, 1024, 1024, 2048, 1, 1},  // CUDA 1
      {3, 512, 512, 4096, 6, 0},    // HIP 0
      {4, 2048, 3072, 4096, 1, 1},  // CUDA 1
      {5, -64, 0, 0, 0, -1},        // CPU
      {6, 8, -1, -1, 13, 0},        // MPS: neither column
  };
  Trace t = parse(trace_json(ops, mem, 16 * kGiB));
  Model m = build_model(t);
  MemoryTimeline mt = memory_timeline(m);
  ASSERT_EQ(mt.devices.size(), 4u);
  EXPECT_EQ(mt.devices[0].device_type, 1);
  EXPECT_EQ(mt.devices[0].device_id, 1);
  EXPECT_EQ(mt.devices[0].total_memory_bytes, -1);  // deviceProperties lists only device 0
  EXPECT_EQ(mt.devices[0].peak_allocated, 3072);
  EXPECT_EQ(mt.devices[0].peak_reserved, 4096);
  EXPECT_EQ(mt.devices[0].reserved_growths, 1u);
  EXPECT_EQ(mt.devices[0].reserved_grown_bytes, 2048);
  EXPECT_EQ(mt.devices[1].device_type, 6);
  EXPECT_EQ(mt.devices[1].total_memory_bytes, 16 * kGiB);
  EXPECT_EQ(mt.devices[2].device_type, 0);
  EXPECT_FALSE(mt.devices[2].has_reserved);
  EXPECT_EQ(mt.devices[2].peak_allocated, 64);
  EXPECT_EQ(mt.devices[3].device_type, 13);
  EXPECT_FALSE(mt.devices[3].accelerator);
  EXPECT_EQ(mt.devices[3].peak_allocated, 8);  // reconstructed
  ASSERT_EQ(mt.top_ops.size(), 1u);
  EXPECT_EQ(mt.top_ops[0].bytes, 1024 + 512 + 2048);
  OpTable ot = op_table(m, OpSort::kCudaMem);
  const OpRow* op = find_op(ot, "op");
  ASSERT_NE(op, nullptr);
  EXPECT_EQ(op->cuda_mem, 1024 + 512 + 2048);
  EXPECT_EQ(op->cpu_mem, 0);  // 64 − 64
  EXPECT_EQ(op->cpu_mem_self, 0);
}

TEST(TraceMemoryEdge, CpuOnlyTraceRanksCpuAllocations) {
  Trace t = parse(trace_json({{"aten::empty", 0, 10}}, {{1, 4096, 4096, 0, 0, -1}}));
  MemoryTimeline mt = memory_timeline(build_model(t));
  ASSERT_EQ(mt.top_ops.size(), 1u);
  EXPECT_TRUE(mt.top_ops_cpu);
  EXPECT_EQ(mt.top_ops[0].op, "aten::empty");
}

TEST(TraceMemoryEdge, NoMemoryEvents) {
  Trace t = parse(trace_json({{"aten::mm", 0, 10}}, {}));
  Model m = build_model(t);
  MemoryTimeline mt = memory_timeline(m);
  EXPECT_FALSE(mt.why_not.empty());
  EXPECT_TRUE(mt.devices.empty());
  EXPECT_FALSE(op_table(m, OpSort::kCudaMem).has_memory);
}

// Per-step churn and the allocator's driver calls.
TEST(TraceMemoryEdge, StepsAndAllocatorCalls) {
  std::vector<Op> ops = {{"ProfilerStep#1", 0, 100, 1, "user_annotation"},
                         {"ProfilerStep#2", 100, 100, 1, "user_annotation"},
                         {"cudaMalloc", 120, 30, 1, "cuda_runtime"},
                         {"cudaFree", 160, 10, 1, "cuda_runtime"}};
  std::vector<Mem> mem = {
      {10, 100, 100, 1000}, {20, -100, 0, 1000}, {150, 500, 500, 2000}, {170, -500, 0, 1000}, {180, 5, 5, 1000}};
  Trace t = parse(trace_json(ops, mem));
  MemoryTimeline mt = memory_timeline(build_model(t));
  ASSERT_EQ(mt.steps.size(), 2u);
  EXPECT_EQ(mt.steps[0].allocs, 1u);
  EXPECT_EQ(mt.steps[0].frees, 1u);
  EXPECT_EQ(mt.steps[1].allocs, 2u);
  EXPECT_EQ(mt.steps[1].allocated_bytes, 505);
  EXPECT_EQ(mt.steps[1].reserved_growths, 1u);
  EXPECT_EQ(mt.steps[1].reserved_releases, 1u);
  EXPECT_EQ(mt.alloc_api_calls, 2u);
  EXPECT_EQ(mt.alloc_api_ns, 40000);
  EXPECT_TRUE(is_alloc_api_name("cuMemAlloc_v2"));
  EXPECT_TRUE(is_alloc_api_name("hipFree"));
  EXPECT_FALSE(is_alloc_api_name("cudaMemcpyAsync"));
}

// ---- findings ----

// One kernel so that the GPU timeline has a window.
std::string kernel_events() {
  return R"({"ph":"X","cat":"cuda_runtime","name":"cudaLaunchKernel","pid":1,"tid":1,"ts":1.000,"dur":2.000,"args":{"correlation":1}},)"
         R"({"ph":"X","cat":"kernel","name":"k","pid":0,"tid":7,"ts":5.000,"dur":100.000,"args":{"correlation":1,"device":0,"stream":7}})";
}

TEST(TraceMemoryFindings, HeadroomFiresOnBert) {
  Trace t = real("gaunernst_bert-small-uncased__1016001");
  auto fs = trace_file_findings(t);
  const Finding* f = get_finding(fs, "TRACE-MEMORY-HEADROOM");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kInfo);
  // 85018279936 − 121634816 − 8501827993 (10 % margin) = 76394817127 bytes ≈ 71.1 GiB
  EXPECT_NE(f->title.find("116.0 MiB reserved of 79.2 GiB"), std::string::npos) << f->title;
  EXPECT_NE(f->title.find("71.1 GiB unused"), std::string::npos) << f->title;
  EXPECT_NE(f->impact.find("working set of 9.5 MiB fits over 100 more times"), std::string::npos) << f->impact;
  // Steady-state allocator: neither cache nor churn findings on the real traces.
  for (const char* n : {"gaunernst_bert-small-uncased__1016001", "Qwen_Qwen1.5-0.5B-Chat__1016005",
                        "facebook_timesformer-base-finetuned-k400__1016002"}) {
    auto all = trace_file_findings(real(n));
    EXPECT_FALSE(has_finding(all, "TRACE-ALLOCATOR-CACHE")) << n;
    EXPECT_FALSE(has_finding(all, "TRACE-ALLOCATOR-CHURN")) << n;
  }
}

TEST(TraceMemoryFindings, HeadroomSilentWhenNearlyFullOrUnknown) {
  // 60 GiB reserved of 80 GiB: 80 − 60 − 8 = 12 GiB left, 15 % < 25 %.
  std::vector<Mem> full = {{10, 50 * kGiB, 50 * kGiB, 60 * kGiB}, {20, -kGiB, 49 * kGiB, 60 * kGiB}};
  EXPECT_FALSE(has_finding(trace_file_findings(parse(trace_json({}, full, 80 * kGiB, kernel_events()))),
                           "TRACE-MEMORY-HEADROOM"));
  // 40 GiB of 80: 32 GiB left (40 %): fires.
  std::vector<Mem> half = {{10, 30 * kGiB, 30 * kGiB, 40 * kGiB}, {20, -kGiB, 29 * kGiB, 40 * kGiB}};
  auto half_fs = trace_file_findings(parse(trace_json({}, half, 80 * kGiB, kernel_events())));
  const Finding* h = get_finding(half_fs, "TRACE-MEMORY-HEADROOM");
  ASSERT_NE(h, nullptr);
  // Working set 30 − 29 = 1 GiB; 80 − 40 − 8 = 32 GiB left: it fits 32 more times.
  EXPECT_NE(h->impact.find("32.0 GiB of 80.0 GiB (40.00 %) unused"), std::string::npos) << h->impact;
  EXPECT_NE(h->impact.find("fits 32 more times, so a batch (or KV cache) up to about 33× larger"), std::string::npos)
      << h->impact;
  EXPECT_NEAR(h->weight, 0.4, 1e-9);
  // The device's memory is not listed: no headroom to judge.
  EXPECT_FALSE(
      has_finding(trace_file_findings(parse(trace_json({}, half, -1, kernel_events()))), "TRACE-MEMORY-HEADROOM"));
}

TEST(TraceMemoryFindings, NearLimitFiresFromNinetyThreePercentReserved) {
  // 76 GiB reserved of 80 GiB (95 %), 72 GiB allocated at the peak.
  std::vector<Mem> tight = {{10, 72 * kGiB, 72 * kGiB, 76 * kGiB}, {20, -kGiB, 71 * kGiB, 76 * kGiB}};
  auto fs = trace_file_findings(parse(trace_json({}, tight, 80 * kGiB, kernel_events())));
  const Finding* f = get_finding(fs, "TRACE-MEMORY-NEAR-LIMIT");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_NE(f->title.find("76.0 GiB reserved of 80.0 GiB (95.00 %)"), std::string::npos) << f->title;
  EXPECT_NE(f->impact.find("4.0 GiB of the reserved peak was cache"), std::string::npos) << f->impact;
  // Ranked after the warnings that save time: the share beyond the line, not a share of GPU time.
  EXPECT_NEAR(f->weight, 0.02, 1e-9);
  EXPECT_FALSE(has_finding(fs, "TRACE-MEMORY-HEADROOM"));
}

TEST(TraceMemoryFindings, NearLimitSilentBelowTheLineOrWhenUnknown) {
  // 68 GiB of 80 GiB (85 %); 72 GiB (90 %: a vLLM KV cache at the default --gpu-memory-utilization).
  for (int64_t reserved : {68 * kGiB, 72 * kGiB}) {
    std::vector<Mem> high = {{10, 60 * kGiB, 60 * kGiB, reserved}, {20, -kGiB, 59 * kGiB, reserved}};
    EXPECT_FALSE(has_finding(trace_file_findings(parse(trace_json({}, high, 80 * kGiB, kernel_events()))),
                             "TRACE-MEMORY-NEAR-LIMIT"))
        << reserved;
  }
  // 76 GiB reserved, but the trace does not list the device's memory.
  std::vector<Mem> tight = {{10, 72 * kGiB, 72 * kGiB, 76 * kGiB}};
  EXPECT_FALSE(
      has_finding(trace_file_findings(parse(trace_json({}, tight, -1, kernel_events()))), "TRACE-MEMORY-NEAR-LIMIT"));
  // The shipped H100 traces use a fraction of the device.
  for (const char* n : {"gaunernst_bert-small-uncased__1016001", "Qwen_Qwen1.5-0.5B-Chat__1016005",
                        "facebook_timesformer-base-finetuned-k400__1016002"}) {
    EXPECT_FALSE(has_finding(trace_file_findings(real(n)), "TRACE-MEMORY-NEAR-LIMIT")) << n;
  }
}

TEST(TraceMemoryFindings, AllocatorCacheFiresAndStaysSilent) {
  // Reserved 20 GiB, never more than 10 GiB allocated: 50 % of the reserved peak unused.
  std::vector<Mem> frag = {{10, 10 * kGiB, 10 * kGiB, 20 * kGiB}, {20, -5 * kGiB, 5 * kGiB, 20 * kGiB}};
  auto fs = trace_file_findings(parse(trace_json({}, frag, 80 * kGiB, kernel_events())));
  const Finding* f = get_finding(fs, "TRACE-ALLOCATOR-CACHE");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kInfo);  // the device is 25 % full: a waste, not a risk
  EXPECT_NE(f->title.find("50.00 %"), std::string::npos) << f->title;
  EXPECT_NE(f->fix.find("expandable_segments:True"), std::string::npos);
  // Nearly full device: the same waste is a warning.
  std::vector<Mem> tight = {{10, 50 * kGiB, 50 * kGiB, 72 * kGiB}, {20, -kGiB, 49 * kGiB, 72 * kGiB}};
  auto tight_fs = trace_file_findings(parse(trace_json({}, tight, 80 * kGiB, kernel_events())));
  const Finding* w = get_finding(tight_fs, "TRACE-ALLOCATOR-CACHE");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->severity, Severity::kWarning);
  // 20 % unused, or under 1 GiB: silent.
  std::vector<Mem> normal = {{10, 16 * kGiB, 16 * kGiB, 20 * kGiB}};
  EXPECT_FALSE(has_finding(trace_file_findings(parse(trace_json({}, normal, 80 * kGiB, kernel_events()))),
                           "TRACE-ALLOCATOR-CACHE"));
  std::vector<Mem> small = {{10, 100 << 20, 100 << 20, 900 << 20}};
  EXPECT_FALSE(has_finding(trace_file_findings(parse(trace_json({}, small, 80 * kGiB, kernel_events()))),
                           "TRACE-ALLOCATOR-CACHE"));
}

TEST(TraceMemoryFindings, AllocatorChurnFiresOnReleases) {
  // Reserved goes 4 GiB -> 2 GiB (empty_cache) -> 4 GiB again.
  std::vector<Op> ops = {{"cudaFree", 25, 40, 1, "cuda_runtime"}, {"cudaMalloc", 70, 10, 1, "cuda_runtime"}};
  std::vector<Mem> mem = {{10, kGiB, 2 * kGiB, 4 * kGiB},
                          {20, -kGiB, kGiB, 4 * kGiB},
                          {30, 0, kGiB, 2 * kGiB},
                          {80, kGiB, 2 * kGiB, 4 * kGiB}};
  auto fs = trace_file_findings(parse(trace_json(ops, mem, 80 * kGiB, kernel_events())));
  const Finding* f = get_finding(fs, "TRACE-ALLOCATOR-CHURN");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_NE(f->title.find("1× and grew 1×"), std::string::npos) << f->title;
  bool calls = false;
  for (const Evidence& e : f->evidence) calls |= e.value.find("2 cudaMalloc/cudaFree-family calls, 0.050000 ms") == 0;
  EXPECT_TRUE(calls);
  EXPECT_NEAR(f->weight, 0.5, 1e-9);  // 50 µs of allocator calls in a 100 µs GPU window
  // Flat reserved: silent.
  std::vector<Mem> flat = {{10, kGiB, 2 * kGiB, 4 * kGiB}, {20, -kGiB, kGiB, 4 * kGiB}};
  EXPECT_FALSE(has_finding(trace_file_findings(parse(trace_json(ops, flat, 80 * kGiB, kernel_events()))),
                           "TRACE-ALLOCATOR-CHURN"));
}

// ---- report ----
TEST(TraceMemoryReport, SectionTextAndJson) {
  Trace t = real("gaunernst_bert-small-uncased__1016001");
  TraceReportOptions o;
  o.top = 3;
  o.sections = {"memory", "ops"};
  o.sort = "cuda_memory_usage";
  Report r = trace_report(t, o);
  std::string text = render_text(r, RenderOptions{});
  EXPECT_NE(text.find("Memory ([memory] allocator events)"), std::string::npos);
  EXPECT_NE(text.find("96.6 MiB (101305344 bytes) at 4.680448 ms"), std::string::npos) << text;  // peak allocated
  EXPECT_NE(text.find("peak reserved − peak allocated 19.4 MiB (16.71 % of peak reserved)"), std::string::npos);
  EXPECT_NE(text.find("CUDA 0 peak reserved"), std::string::npos);
  EXPECT_NE(text.find("CUDA Mem 27.4 MiB · self 27.4 MiB"), std::string::npos) << text;  // aten::empty first
  EXPECT_EQ(text.find("Steps (ProfilerStep#N)"), std::string::npos);
  ASSERT_TRUE(r.data.has_value());
  const nlohmann::json& mem = (*r.data)["memory"];
  EXPECT_EQ(mem["events"], 236);
  EXPECT_EQ(mem["devices"][0]["peak_allocated"], 101305344);
  EXPECT_EQ(mem["devices"][0]["peak_reserved"], 121634816);
  EXPECT_EQ(mem["devices"][0]["total_memory_bytes"], 85018279936);
  EXPECT_TRUE(mem["devices"][1]["peak_reserved"].is_null());
  EXPECT_EQ(mem["top_ops"][0]["op"], "aten::empty");
  EXPECT_EQ(mem["top_ops"].size(), 3u);
  EXPECT_EQ((*r.data)["ops"]["top"][0]["cuda_memory_usage"], 28745728);
  // Without [memory] events the operator table has no memory columns.
  Trace plain = parse(trace_json({{"aten::mm", 0, 10}}, {}));
  std::string t2 = render_text(trace_report(plain, TraceReportOptions{}), RenderOptions{});
  EXPECT_EQ(t2.find("CUDA Mem"), std::string::npos);
  EXPECT_NE(t2.find("no [memory] events"), std::string::npos);
}

}  // namespace
}  // namespace infertune::trace
