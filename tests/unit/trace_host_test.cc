// Host-side trace analyses: per-step timeline and the TensorBoard plugin's step breakdown, GPU idle by cause,
// launch overhead, synchronisations, copies, the operator table, and the findings built on them.
//
// Oracles: the TensorBoard profiler plugin's overview numbers for the ResNet-50 sample (shared collection,
// reference/tb_plugin_overview_expected.json), TraceLens' ops_summary.csv for the three H100 traces (per-operator
// direct kernel time), and small hand-made traces whose answers follow from the definitions by hand.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/render.h"
#include "test_support.h"
#include "trace/analyses/analyses.h"
#include "trace/reader.h"
#include "trace/trace_report.h"

namespace infertune::trace {
namespace {

namespace fs = std::filesystem;

// ---- hand-made traces ----
struct Ev {
  std::string cat, name;
  double ts = 0, dur = 0;  // µs
  int64_t corr = -1, ext = -1, bytes = -1;
};

std::string to_json(const std::vector<Ev>& evs) {
  std::string out = "{\"traceEvents\":[";
  bool first = true;
  for (const Ev& e : evs) {
    bool gpu = e.cat == "kernel" || e.cat == "gpu_memcpy" || e.cat == "gpu_memset";
    std::string args;
    auto arg = [&](const std::string& k, int64_t v) {
      if (v < 0) return;
      args += (args.empty() ? "" : ",") + fmt::format("\"{}\":{}", k, v);
    };
    arg("correlation", e.corr);
    arg("External id", e.ext);
    arg("bytes", e.bytes);
    if (gpu) args += ",\"device\":0,\"stream\":7";
    out += fmt::format(
        "{}{{\"ph\":\"X\",\"cat\":\"{}\",\"name\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":{:.3f},"
        "\"dur\":{:.3f},\"args\":{{{}}}}}",
        first ? "" : ",", e.cat, e.name, gpu ? 0 : 1, gpu ? 7 : 1, e.ts, e.dur, args);
    first = false;
  }
  return out + "]}";
}

Trace parse(const std::vector<Ev>& evs) {
  auto t = read_trace_bytes(to_json(evs), "synthetic.json");
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? std::move(*t) : Trace{};
}

// Two steps: a DataLoader wait, a pageable upload followed by a stream sync, a kernel, an .item() (DtoH + sync).
// GPU window 506..1990 µs. Gaps: [516,540) sync (the upload's cudaStreamSynchronize ends at 517), [900,905)
// launch overhead, [906,990) sync (.item()'s sync runs 905..950), [995,1810) data loading.
std::vector<Ev> stalls_trace() {
  return {
      {"user_annotation", "ProfilerStep#1", 0, 1000},
      {"cpu_op", "enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__", 0, 500},
      {"cpu_op", "aten::to", 500, 20, -1, 1},
      {"cuda_runtime", "cudaMemcpyAsync", 505, 5, 10, 1},
      {"gpu_memcpy", "Memcpy HtoD (Pageable -> Device)", 506, 10, 10, 1, 4 << 20},
      {"cuda_runtime", "cudaStreamSynchronize", 510, 7},
      {"cpu_op", "aten::mm", 530, 10, -1, 2},
      {"cuda_runtime", "cudaLaunchKernel", 532, 4, 11, 2},
      {"kernel", "gemm_kernel", 540, 360, 11, 2},
      {"cpu_op", "aten::item", 900, 60, -1, 3},
      {"cpu_op", "aten::_local_scalar_dense", 901, 58, -1, 4},
      {"cuda_runtime", "cudaMemcpyAsync", 902, 3, 12, 4},
      {"gpu_memcpy", "Memcpy DtoH (Device -> Pageable)", 905, 1, 12, 4, 4},
      {"cuda_runtime", "cudaStreamSynchronize", 905, 45},
      {"cpu_op", "aten::add", 960, 20, -1, 5},
      {"cuda_runtime", "cudaLaunchKernel", 962, 4, 13, 5},
      {"kernel", "elementwise_kernel", 990, 5, 13, 5},
      {"user_annotation", "ProfilerStep#2", 1000, 1000},
      {"cpu_op", "enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__", 1000, 800},
      {"cpu_op", "aten::mm", 1800, 10, -1, 6},
      {"cuda_runtime", "cudaLaunchKernel", 1801, 4, 14, 6},
      {"kernel", "gemm_kernel", 1810, 180, 14, 6},
  };
}

// `steps` steps of 20 tiny kernels each (2 µs kernels launched every 10 µs: launch-bound); the last step also runs
// a CPU-only operator for `slow_us` before its launches.
std::vector<Ev> launch_bound_trace(int steps, double slow_us) {
  std::vector<Ev> v;
  double ts = 0;
  int64_t corr = 100;
  for (int s = 0; s < steps; ++s) {
    double start = ts;
    size_t step_index = v.size();
    v.push_back({"user_annotation", fmt::format("ProfilerStep#{}", s), start, 0});
    if (s == steps - 1 && slow_us > 0) {
      v.push_back({"cpu_op", "aten::nonzero", ts, slow_us});
      ts += slow_us;
    }
    for (int k = 0; k < 20; ++k) {
      v.push_back({"cpu_op", "aten::add", ts, 8, -1, corr});
      v.push_back({"cuda_runtime", "cudaLaunchKernel", ts + 2, 5, corr, corr});
      v.push_back({"kernel", "vectorized_elementwise_kernel", ts + 8, 2, corr, corr});
      ++corr;
      ts += 10;
    }
    v[step_index].dur = ts - start;
  }
  return v;
}

const Finding* find(const Report& r, const std::string& id) {
  for (const Finding& f : r.findings)
    if (f.id == id) return &f;
  return nullptr;
}

TEST(TraceIdle, HandMadeGapsGoToTheirCauses) {
  Trace t = parse(stalls_trace());
  Model m = build_model(t);
  TimelineResult tl = gpu_timeline(m);
  ASSERT_EQ(tl.devices.size(), 1u);
  const GpuTimeline& g = tl.devices[0];
  EXPECT_EQ(g.total_ns, 1484000);
  EXPECT_EQ(g.idle_ns, 24000 + 5000 + 84000 + 815000);
  EXPECT_EQ(g.idle_split.get(IdleCause::kSync), 24000 + 84000);
  EXPECT_EQ(g.idle_split.get(IdleCause::kLaunch), 5000);
  EXPECT_EQ(g.idle_split.get(IdleCause::kDataLoader), 815000);
  EXPECT_EQ(g.idle_split.get(IdleCause::kCpuWork), 0);
  EXPECT_EQ(g.idle_split.get(IdleCause::kQueued), 0);
  EXPECT_EQ(g.idle_split.total_ns(), g.idle_ns);

  SyncStats sy = sync_stats(m, tl);
  EXPECT_EQ(sy.calls, 2u);
  EXPECT_EQ(sy.host_ns, 52000);
  EXPECT_EQ(sy.gpu_idle_ns, 108000);
  ASSERT_EQ(sy.callers.size(), 2u);
  EXPECT_EQ(sy.callers[0].op, "aten::item > aten::_local_scalar_dense");
  EXPECT_EQ(sy.callers[0].call, "cudaStreamSynchronize");
  EXPECT_EQ(sy.callers[0].gpu_idle_ns, 84000);
  EXPECT_EQ(sy.callers[1].op, "aten::to");
  EXPECT_EQ(sy.callers[1].gpu_idle_ns, 24000);
}

TEST(TraceIdle, QueuedWorkAndCpuOnlyWork) {
  // Kernel B is launched while kernel A still runs but starts 20 µs after A ends: queued. Then a CPU-only
  // operator (no launch inside) runs 50 µs of a 60 µs gap: cpu_work 50, launch 10.
  Trace t = parse({
      {"cpu_op", "aten::mm", 0, 10, -1, 1},
      {"cuda_runtime", "cudaLaunchKernel", 1, 4, 1, 1},
      {"kernel", "a", 10, 100, 1, 1},
      {"cpu_op", "aten::mm", 20, 10, -1, 2},
      {"cuda_runtime", "cudaLaunchKernel", 21, 4, 2, 2},
      {"kernel", "b", 130, 10, 2, 2},
      {"cpu_op", "aten::nonzero", 140, 50},
      {"cpu_op", "aten::add", 195, 10, -1, 3},
      {"cuda_runtime", "cudaLaunchKernel", 196, 4, 3, 3},
      {"kernel", "c", 200, 10, 3, 3},
  });
  Model m = build_model(t);
  TimelineResult tl = gpu_timeline(m);
  const GpuTimeline& g = tl.devices.at(0);
  EXPECT_EQ(g.idle_split.get(IdleCause::kQueued), 20000);
  EXPECT_EQ(g.idle_split.get(IdleCause::kCpuWork), 50000);
  EXPECT_EQ(g.idle_split.get(IdleCause::kLaunch), 10000);
  EXPECT_EQ(g.host_wait_ns, 60000);
}

// The split on real traces, as an independent Python implementation of the same definitions computed it
// (exact decimal µs → ns): bert here, ResNet-50 in TraceSteps.ResNetBreakdownEqualsTensorBoardPlugin.
TEST(TraceIdle, BertSplitEqualsIndependentComputation) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t.ok());
  Model m = build_model(*t);
  TimelineResult tl = gpu_timeline(m);
  const IdleSplit& s = tl.devices.at(0).idle_split;
  EXPECT_EQ(s.get(IdleCause::kLaunch), 3339070);
  EXPECT_EQ(s.get(IdleCause::kCpuWork), 78743);
  EXPECT_EQ(s.get(IdleCause::kSync), 180575);
  EXPECT_EQ(s.get(IdleCause::kDataLoader), 0);
  EXPECT_EQ(s.get(IdleCause::kQueued), 0);
}

TEST(TraceIdle, RealTracesSplitAddsUpToIdle) {
  for (const char* name : {"gaunernst_bert-small-uncased__1016001", "Qwen_Qwen1.5-0.5B-Chat__1016005",
                           "facebook_timesformer-base-finetuned-k400__1016002"}) {
    auto t = read_trace_file(test::data_path(std::string("traces/tracelens_h100/") + name + ".json.gz"));
    ASSERT_TRUE(t.ok());
    Model m = build_model(*t);
    TimelineResult tl = gpu_timeline(m);
    for (const GpuTimeline& g : tl.devices) {
      EXPECT_EQ(g.idle_split.total_ns(), g.idle_ns) << name;
      EXPECT_EQ(g.idle_ns - g.idle_split.get(IdleCause::kQueued), g.host_wait_ns) << name;
      uint64_t gaps = 0;
      for (uint64_t n : g.idle_split.gaps) gaps += n;
      EXPECT_EQ(gaps, g.gaps) << name;
    }
  }
}

TEST(TraceSteps, HandMadeStepsAndBreakdown) {
  Trace t = parse(stalls_trace());
  Model m = build_model(t);
  StepsResult st = step_timeline(m);
  ASSERT_TRUE(st.why_not.empty());
  ASSERT_EQ(st.steps.size(), 2u);
  const StepRow& s1 = st.steps[0];
  EXPECT_EQ(s1.number, 1);
  EXPECT_EQ(s1.start_ns, 0);
  EXPECT_EQ(s1.end_ns, 1000000);
  EXPECT_EQ(s1.busy_ns, 376000);
  EXPECT_EQ(s1.idle_ns, 624000);
  EXPECT_EQ(s1.kernels, 2u);
  EXPECT_EQ(s1.memcpys, 2u);
  EXPECT_EQ(s1.launch_calls, 2u);
  // The leading 506 µs before the first copy: the DataLoader span overlaps it. The step's last 5 µs [995,1000)
  // end with no GPU activity: launch overhead, like [900,905).
  EXPECT_EQ(s1.idle.get(IdleCause::kDataLoader), 506000);
  EXPECT_EQ(s1.idle.get(IdleCause::kLaunch), 10000);
  EXPECT_EQ(s1.idle.get(IdleCause::kSync), 108000);
  EXPECT_EQ(s1.idle.total_ns(), s1.idle_ns);
  const StepRow& s2 = st.steps[1];
  EXPECT_EQ(s2.start_ns, 1000000);
  EXPECT_EQ(s2.end_ns, 2000000);
  EXPECT_EQ(s2.busy_ns, 180000);
  EXPECT_EQ(st.slowest.front(), 0u);
  // Breakdown: kernel 360+5 / 180, memcpy 11, DataLoader 500+800 minus what GPU work covers.
  EXPECT_EQ(s1.tb_ns[static_cast<size_t>(TbPart::kKernel)], 365000);
  EXPECT_EQ(s1.tb_ns[static_cast<size_t>(TbPart::kMemcpy)], 11000);
  EXPECT_EQ(s1.tb_ns[static_cast<size_t>(TbPart::kDataLoader)], 500000);
  int64_t sum = 0;
  for (int64_t v : s1.tb_ns) sum += v;
  EXPECT_EQ(sum, s1.wall_ns());
  EXPECT_EQ(s2.tb_ns[static_cast<size_t>(TbPart::kKernel)], 180000);
  EXPECT_EQ(s2.tb_ns[static_cast<size_t>(TbPart::kDataLoader)], 800000);
}

fs::path shared_traces() {
  fs::path dir = fs::path(test::source_path("")) / ".." / "shared" / "traces";
  if (const char* env = std::getenv("INFERTUNE_SHARED_TRACES"); env != nullptr && *env != '\0') dir = env;
  return dir;
}

// The TensorBoard profiler plugin's overview of the ResNet-50 sample: per-step breakdown, to the microsecond.
TEST(TraceSteps, ResNetBreakdownEqualsTensorBoardPlugin) {
  fs::path dir = shared_traces();
  fs::path ref = dir / "reference" / "tb_plugin_overview_expected.json";
  if (!fs::exists(ref)) GTEST_SKIP() << "no shared trace collection at ../shared/traces";
  auto expect = nlohmann::json::parse(test::read_text(ref.string()))["resnet50_num_workers_0"];
  auto t = read_trace_file((dir / expect["file"].get<std::string>()).string());
  ASSERT_TRUE(t.ok()) << t.error().message;
  Model m = build_model(*t);
  StepsResult st = step_timeline(m);
  ASSERT_EQ(st.steps.size(), expect["steps"].size());
  for (size_t i = 0; i < st.steps.size(); ++i) {
    const auto& row = expect["steps"][i];
    EXPECT_EQ(std::to_string(st.steps[i].number), row[0].get<std::string>());
    int64_t wall = 0;
    for (size_t k = 0; k < kTbParts; ++k) {
      EXPECT_EQ(st.steps[i].tb_ns[k], row[k + 1].get<int64_t>() * 1000)
          << "step " << st.steps[i].number << " " << tb_part_name(static_cast<TbPart>(k));
      wall += row[k + 1].get<int64_t>() * 1000;
    }
    EXPECT_EQ(st.steps[i].wall_ns(), wall);
  }
  // Averages (the plugin rounds to µs) and GPU utilization (kernel / step time, 2 decimals).
  int64_t mean_wall = 0;
  for (size_t k = 0; k < kTbParts; ++k) {
    const char* part = tb_part_name(static_cast<TbPart>(k));
    EXPECT_NEAR(static_cast<double>(st.tb_mean_ns[k]) / 1000.0, expect["average_breakdown"][part]["us"].get<double>(),
                0.5)
        << part;
    mean_wall += st.tb_mean_ns[k];
  }
  EXPECT_NEAR(static_cast<double>(mean_wall) / 1000.0, expect["average_step_time_us"].get<double>(), 0.5);
  double util = 100.0 * static_cast<double>(st.tb_mean_ns[0]) / static_cast<double>(mean_wall);
  EXPECT_NEAR(util, 55.51, 0.005);

  // Idle by cause on the GPU timeline (independent Python computation of the same definitions).
  TimelineResult split = gpu_timeline(m);
  const IdleSplit& is = split.devices.at(0).idle_split;
  EXPECT_EQ(is.get(IdleCause::kLaunch), 94292000);
  EXPECT_EQ(is.get(IdleCause::kCpuWork), 599000);
  EXPECT_EQ(is.get(IdleCause::kSync), 2641000);
  EXPECT_EQ(is.get(IdleCause::kDataLoader), 285214000);
  EXPECT_EQ(is.get(IdleCause::kQueued), 10173000);

  // The same trace: DataLoader-bound, pageable uploads.
  Report r = trace_report(*t, TraceReportOptions{});
  ASSERT_NE(find(r, "TRACE-DATALOADER-BOUND"), nullptr);
  ASSERT_NE(find(r, "TRACE-PAGEABLE-COPIES"), nullptr);
  // The uploads' stream syncs, by the operator that made them (ProfilerStep#N, an operator in this schema, left
  // out of the path so the six steps' calls group together).
  TimelineResult tl = gpu_timeline(m);
  SyncStats sy = sync_stats(m, tl);
  ASSERT_FALSE(sy.callers.empty());
  EXPECT_EQ(sy.callers[0].call, "cudaStreamSynchronize");
  EXPECT_EQ(sy.callers[0].op, "aten::to > aten::copy_");
  EXPECT_EQ(sy.callers[0].calls, 12u);
  CopyStats c = copy_stats(m);
  ASSERT_FALSE(c.rows.empty());
  EXPECT_EQ(c.pageable_count, 12u);
  for (const CopyRow& row : c.rows) {
    if (row.name == "Memcpy HtoD (Pageable -> Device)") {
      EXPECT_EQ(row.count, 12u);
      EXPECT_EQ(row.direction, "HtoD");
      EXPECT_TRUE(row.pageable);
    }
  }
}

// Per-operator self GPU time equals TraceLens' ops_summary.csv (total_direct_kernel_time_sum, µs in doubles).
TEST(TraceOps, SelfCudaEqualsTraceLensOpsSummary) {
  for (const char* name : {"gaunernst_bert-small-uncased__1016001", "Qwen_Qwen1.5-0.5B-Chat__1016005",
                           "facebook_timesformer-base-finetuned-k400__1016002"}) {
    auto t = read_trace_file(test::data_path(std::string("traces/tracelens_h100/") + name + ".json.gz"));
    ASSERT_TRUE(t.ok());
    Model m = build_model(*t);
    OpTable ot = op_table(m, OpSort::kSelfCuda);
    ASSERT_TRUE(ot.why_not.empty());
    std::map<std::string, const OpRow*> by;
    for (const OpRow& o : ot.ops) by[o.name] = &o;
    std::ifstream in(test::data_path(std::string("traces/tracelens_h100/") + name + ".ops_summary.csv"));
    std::string line;
    std::getline(in, line);
    int rows = 0;
    while (std::getline(in, line)) {
      std::istringstream row(line);
      std::string op, direct;
      std::getline(row, op, ',');
      std::getline(row, direct, ',');
      ASSERT_TRUE(by.count(op)) << name << ": " << op;
      EXPECT_NEAR(static_cast<double>(by[op]->cuda_self_ns) / 1000.0, std::stod(direct), 0.01) << name << ": " << op;
      ++rows;
    }
    EXPECT_GT(rows, 5);
  }
}

TEST(TraceOps, TreeSelfTimesAndModules) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t.ok());
  Model m = build_model(*t);
  OpTable ot = op_table(m, OpSort::kCudaTotal);
  ASSERT_FALSE(ot.ops.empty());
  // ProfilerStep* holds every GPU activity launched inside it.
  EXPECT_EQ(ot.ops[0].name, "ProfilerStep*");
  for (const OpRow& o : ot.ops) {
    EXPECT_LE(o.cpu_self_ns, o.cpu_total_ns) << o.name;
    EXPECT_LE(o.cuda_self_ns, o.cuda_total_ns) << o.name;
    if (o.name == "aten::linear") {
      EXPECT_EQ(o.calls, 26u);
      EXPECT_EQ(o.cuda_self_ns, 0);
      EXPECT_EQ(o.cuda_total_ns, 197598);  // its aten::addmm children's GEMMs
    }
    if (o.name == "cudaLaunchKernel") {
      EXPECT_EQ(o.cpu_self_ns, o.cpu_total_ns);
    }
  }
  for (size_t i = 1; i < ot.ops.size(); ++i) EXPECT_GE(ot.ops[i - 1].cuda_total_ns, ot.ops[i].cuda_total_ns);
  // nn.Module grouping: the 26 Linear modules own the GEMMs.
  ASSERT_FALSE(ot.modules.empty());
  EXPECT_EQ(ot.modules[0].module, "Linear");
  EXPECT_EQ(ot.modules[0].instances, 26u);
  EXPECT_EQ(ot.modules[0].cuda_self_ns, 197598);
  OpSort s{};
  EXPECT_TRUE(parse_op_sort("self_cpu_time_total", s));
  EXPECT_EQ(s, OpSort::kSelfCpu);
  EXPECT_FALSE(parse_op_sort("cuda_time", s));
}

TEST(TraceLaunch, BertLaunchesAndSyncCallers) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t.ok());
  Model m = build_model(*t);
  LaunchStats l = launch_stats(m);
  ASSERT_TRUE(l.why_not.empty());
  EXPECT_EQ(l.launch_calls, 60u);  // 34 cudaLaunchKernel + 22 cuLaunchKernel + 4 cudaLaunchKernelExC
  EXPECT_EQ(l.kernels, 60u);
  EXPECT_EQ(l.graph_kernels, 0u);
  EXPECT_GT(l.shorter_than_launch, 0u);
  EXPECT_LE(l.delay_p50_ns, l.delay_p90_ns);
  EXPECT_LE(l.delay_p90_ns, l.delay_max_ns);
  TimelineResult tl = gpu_timeline(m);
  SyncStats sy = sync_stats(m, tl);
  EXPECT_EQ(sy.calls, 3u);  // 2 cudaDeviceSynchronize + the .item()'s cudaStreamSynchronize
  bool item = false;
  for (const SyncCaller& c : sy.callers) {
    if (c.call == "cudaStreamSynchronize") {
      EXPECT_EQ(c.op, "aten::is_nonzero > aten::item > aten::_local_scalar_dense");  // `if tensor:`
      item = true;
    }
  }
  EXPECT_TRUE(item);
}

TEST(TraceNames, Classification) {
  EXPECT_TRUE(is_sync_call_name("cudaDeviceSynchronize"));
  EXPECT_TRUE(is_sync_call_name("cudaStreamSynchronize"));
  EXPECT_TRUE(is_sync_call_name("cudaEventSynchronize"));
  EXPECT_TRUE(is_sync_call_name("hipDeviceSynchronize"));
  EXPECT_TRUE(is_sync_call_name("cudaMemcpy"));
  EXPECT_FALSE(is_sync_call_name("cudaMemcpyAsync"));
  EXPECT_FALSE(is_sync_call_name("cudaStreamWaitEvent"));
  EXPECT_TRUE(is_kernel_launch_name("cudaLaunchKernel"));
  EXPECT_TRUE(is_kernel_launch_name("cuLaunchKernelEx"));
  EXPECT_TRUE(is_kernel_launch_name("hipExtModuleLaunchKernel"));
  EXPECT_TRUE(is_kernel_launch_name("cudaGraphLaunch"));
  EXPECT_TRUE(is_graph_launch_name("hipGraphLaunch"));
  EXPECT_FALSE(is_kernel_launch_name("cudaMemcpyAsync"));
  EXPECT_TRUE(is_dataloader_name("enumerate(DataLoader)#_SingleProcessDataLoaderIter.__next__"));
  EXPECT_TRUE(is_dataloader_name("enumerate(DataLoader)#_MultiProcessingDataLoaderIter.__next__"));
  EXPECT_FALSE(is_dataloader_name("aten::to"));
}

// ---- findings: each fires on one input and stays silent on another ----
TEST(TraceAdvice, StallsTraceFiresSyncDataLoaderPageable) {
  Report r = trace_report(parse(stalls_trace()), TraceReportOptions{});
  const Finding* sync = find(r, "TRACE-SYNC-STALLS");
  ASSERT_NE(sync, nullptr);
  EXPECT_NE(sync->evidence.at(1).fact.find("aten::item > aten::_local_scalar_dense"), std::string::npos);
  ASSERT_NE(find(r, "TRACE-DATALOADER-BOUND"), nullptr);
  ASSERT_NE(find(r, "TRACE-PAGEABLE-COPIES"), nullptr);
  EXPECT_EQ(find(r, "TRACE-LAUNCH-BOUND"), nullptr);
  EXPECT_EQ(find(r, "TRACE-STEP-OUTLIER"), nullptr);  // 2 steps only
  // Ranked by GPU time at stake: data loading (815 µs) before syncs (108 µs) before pageable copies (11 µs).
  std::vector<std::string> order;
  for (const Finding& f : r.findings)
    if (f.id != "TRACE-GPU-IDLE-HIGH") order.push_back(f.id);
  ASSERT_GE(order.size(), 3u);
  EXPECT_EQ(order[0], "TRACE-DATALOADER-BOUND");
  EXPECT_EQ(order[1], "TRACE-SYNC-STALLS");
  EXPECT_EQ(order[2], "TRACE-PAGEABLE-COPIES");
}

TEST(TraceAdvice, LaunchBoundTraceFiresLaunchAndStepOutlier) {
  Report r = trace_report(parse(launch_bound_trace(4, 2000)), TraceReportOptions{});
  const Finding* l = find(r, "TRACE-LAUNCH-BOUND");
  ASSERT_NE(l, nullptr);
  EXPECT_NE(l->impact.find("GPU time at stake"), std::string::npos);
  const Finding* o = find(r, "TRACE-STEP-OUTLIER");
  ASSERT_NE(o, nullptr);
  EXPECT_NE(o->title.find("Step #3"), std::string::npos) << o->title;
  EXPECT_EQ(find(r, "TRACE-SYNC-STALLS"), nullptr);
  EXPECT_EQ(find(r, "TRACE-DATALOADER-BOUND"), nullptr);
  EXPECT_EQ(find(r, "TRACE-PAGEABLE-COPIES"), nullptr);
  // Without the slow step: no outlier.
  Report even = trace_report(parse(launch_bound_trace(4, 0)), TraceReportOptions{});
  EXPECT_EQ(find(even, "TRACE-STEP-OUTLIER"), nullptr);
  ASSERT_NE(find(even, "TRACE-LAUNCH-BOUND"), nullptr);
}

TEST(TraceAdvice, BusyRealTraceOnlyPageableUpload) {
  auto t = read_trace_file(
      test::data_path("traces/tracelens_h100/facebook_timesformer-base-finetuned-k400__1016002.json.gz"));
  ASSERT_TRUE(t.ok());
  Report r = trace_report(*t, TraceReportOptions{});
  for (const char* id : {"TRACE-LAUNCH-BOUND", "TRACE-SYNC-STALLS", "TRACE-DATALOADER-BOUND", "TRACE-STEP-OUTLIER",
                         "TRACE-GPU-IDLE-HIGH"}) {
    EXPECT_EQ(find(r, id), nullptr) << id;
  }
  // The 38.5 MB video clip goes up from pageable memory at 11 GB/s.
  const Finding* p = find(r, "TRACE-PAGEABLE-COPIES");
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->evidence.at(0).value.find("38535168 bytes in 3.461358 ms (11.13 GB/s)"), std::string::npos)
      << p->evidence.at(0).value;
  // bert copies one byte back into pinned memory: silent.
  auto b = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(find(trace_report(*b, TraceReportOptions{}), "TRACE-PAGEABLE-COPIES"), nullptr);
}

TEST(TraceReport, SectionsAndJsonCarryTheNewData) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t.ok());
  TraceReportOptions o;
  o.sections = {"steps", "idle"};
  Report r = trace_report(*t, o);
  std::vector<std::string> titles;
  for (const Section& s : r.sections) titles.push_back(s.title);
  ASSERT_EQ(titles.size(), 3u);
  EXPECT_EQ(titles[0], "Trace");
  EXPECT_EQ(titles[1], "GPU idle by cause");
  EXPECT_EQ(titles[2], "Steps (ProfilerStep#N)");
  ASSERT_TRUE(r.data.has_value());
  const Json& d = *r.data;
  EXPECT_TRUE(d.contains("steps"));
  EXPECT_FALSE(d.contains("ops"));
  EXPECT_EQ(d["steps"]["steps"].size(), 1u);
  EXPECT_EQ(d["gpu_timeline"][0]["idle_by_cause"].size(), kIdleCauses);
  Report all = trace_report(*t, TraceReportOptions{});
  for (const char* key : {"steps", "launch", "syncs", "copies", "ops", "modules"}) {
    EXPECT_TRUE(all.data->contains(key)) << key;
  }
}

// Invariants of every analysis on every real trace (the shipped ones, and the shared collection when present).
TEST(TraceHost, InvariantsOnEveryRealTrace) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(test::data_path("traces"))) {
    std::string p = e.path().string();
    if (p.ends_with(".json.gz") || p.ends_with(".json")) files.push_back(p);
  }
  fs::path shared = shared_traces();
  if (fs::exists(shared)) {
    for (const auto& e : fs::recursive_directory_iterator(shared)) {
      std::string p = e.path().string();
      bool trace = p.ends_with(".json.gz") || (p.ends_with(".json") && p.find("/reference/") == std::string::npos &&
                                               p.find("execution_details") == std::string::npos);
      if (e.is_regular_file() && trace) files.push_back(p);
    }
  }
  ASSERT_GE(files.size(), 7u);
  for (const std::string& f : files) {
    auto t = read_trace_file(f);
    ASSERT_TRUE(t.ok()) << t.error().message;
    Model m = build_model(*t);
    TimelineResult tl = gpu_timeline(m);
    for (const GpuTimeline& g : tl.devices) {
      EXPECT_EQ(g.idle_split.total_ns(), g.idle_ns) << f;
      for (int64_t v : g.idle_split.ns) EXPECT_GE(v, 0) << f;
    }
    StepsResult st = step_timeline(m);
    for (const StepRow& r : st.steps) {
      EXPECT_GE(r.wall_ns(), 0) << f;
      EXPECT_EQ(r.busy_ns + r.idle_ns, r.wall_ns()) << f;
      EXPECT_EQ(r.idle.total_ns(), r.idle_ns) << f << " step " << r.number;
      int64_t parts = 0;
      for (int64_t v : r.tb_ns) {
        EXPECT_GE(v, 0) << f;
        parts += v;
      }
      EXPECT_EQ(parts, r.wall_ns()) << f;
    }
    LaunchStats l = launch_stats(m);
    EXPECT_LE(l.graph_kernels, l.kernels) << f;
    SyncStats sy = sync_stats(m, tl);
    uint64_t calls = 0;
    for (const SyncCaller& c : sy.callers) calls += c.calls;
    EXPECT_EQ(calls, sy.calls) << f;
    CopyStats c = copy_stats(m);
    uint64_t copies = 0;
    for (const CopyRow& r : c.rows) copies += r.count;
    EXPECT_EQ(copies, m.memcpys + m.memsets) << f;
    OpTable ot = op_table(m, OpSort::kCpuTotal);
    for (const OpRow& o : ot.ops) EXPECT_LE(o.cuda_self_ns, o.cuda_total_ns) << f << " " << o.name;
  }
}

// The whole report on the shipped bert trace, in the three formats (INFERTUNE_UPDATE_GOLDEN=1 rewrites them).
TEST(TraceReport, GoldenBert) {
  auto t = read_trace_file(test::data_path("traces/tracelens_h100/gaunernst_bert-small-uncased__1016001.json.gz"));
  ASSERT_TRUE(t.ok());
  t->path = "gaunernst_bert-small-uncased__1016001.json.gz";  // no machine path in the goldens
  TraceReportOptions o;
  o.top = 5;
  Report r = trace_report(*t, o);
  r.tool_version = "0.0.0+golden";
  RenderOptions plain;
  EXPECT_EQ(test::golden_diff("trace-bert.txt", render_text(r, plain)), "");
  EXPECT_EQ(test::golden_diff("trace-bert.md", render_markdown(r, plain)), "");
  EXPECT_EQ(test::golden_diff("trace-bert.json", json_text(report_to_json(r))), "");
}

}  // namespace
}  // namespace infertune::trace
