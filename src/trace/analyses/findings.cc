// Trace findings: what the analyses conclude, with the numbers they rest on and the fix.

#include <algorithm>
#include <filesystem>
#include <string>

#include "trace/analyses/advice.h"
#include "trace/analyses/analyses.h"
#include "trace/format.h"

namespace infertune::trace {

namespace {
constexpr const char* kIdleHigh = "TRACE-GPU-IDLE-HIGH";
constexpr const char* kNoGpu = "TRACE-NO-GPU-ACTIVITY";
constexpr const char* kSkipped = "TRACE-EVENTS-SKIPPED";
constexpr const char* kLaunchBound = "TRACE-LAUNCH-BOUND";
constexpr const char* kSyncStalls = "TRACE-SYNC-STALLS";
constexpr const char* kDataLoaderId = "TRACE-DATALOADER-BOUND";
constexpr const char* kPageable = "TRACE-PAGEABLE-COPIES";
constexpr const char* kStepOutlier = "TRACE-STEP-OUTLIER";
constexpr double kIdleShareWarn = 0.30;        // of the GPU timeline window
constexpr double kLaunchShareWarn = 0.10;      // launch-overhead idle, of the window
constexpr double kSyncShareWarn = 0.05;        // sync-caused idle, of the window
constexpr double kDataLoaderShareWarn = 0.10;  // data-loading idle, of the window
constexpr int64_t kPageableBytesWarn = 1 << 20;
constexpr double kStepOutlierRatio = 1.5;  // slowest step vs the median
constexpr size_t kStepOutlierMinSteps = 3;

std::string stake_text(int64_t ns, int64_t window) {
  return ms(ns) + " of GPU time at stake (" +
         (window > 0 ? percent(static_cast<double>(ns) / static_cast<double>(window)) : std::string("n/a")) +
         " of the GPU window)";
}
double share(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
}  // namespace

const std::vector<TraceRuleInfo>& trace_rule_ids() {
  static const std::vector<TraceRuleInfo> ids = {
      {kIdleHigh, "GPU idle for a large share of the traced window"},
      {kNoGpu, "The trace has no GPU activity"},
      {kSkipped, "Events in the trace were malformed and skipped"},
      {kLaunchBound, "The GPU waits on kernel launches (launch-bound)"},
      {kSyncStalls, "Host synchronisations leave the GPU idle"},
      {kDataLoaderId, "The GPU waits on data loading"},
      {kPageable, "Host-device copies use pageable memory"},
      {kStepOutlier, "Some profiler steps are much slower than the median"},
      {"TRACE-FP32-MATMUL", "FP32 GEMMs/convolutions on a tensor-core GPU run on the CUDA cores"},
      {"TRACE-SMALL-BATCH", "Low GPU utilisation with small kernels: a larger batch would fill the GPU"},
  };
  return ids;
}

namespace {

// The advice findings, each weighted by the GPU time at stake as a share of the GPU window.
void advice_findings(const Model& m, const AnalysisSet& an, const std::string& src, std::vector<Finding>& out) {
  const Trace& t = *m.trace;
  IdleSplit idle;
  int64_t window = 0;
  for (const GpuTimeline& g : an.timeline->devices) {
    window += g.total_ns;
    for (size_t c = 0; c < kIdleCauses; ++c) {
      idle.ns[c] += g.idle_split.ns[c];
      idle.gaps[c] += g.idle_split.gaps[c];
    }
  }
  auto cause_row = [&](IdleCause c) {
    return Evidence{std::string("GPU idle: ") + idle_cause_name(c),
                    ms(idle.get(c)) + " in " + std::to_string(idle.gaps[static_cast<size_t>(c)]) + " gaps, of a " +
                        ms(window) + " GPU window",
                    src};
  };
  if (window > 0 && share(idle.get(IdleCause::kLaunch), window) >= kLaunchShareWarn && an.launch != nullptr &&
      an.launch->why_not.empty()) {
    const LaunchStats& l = *an.launch;
    Finding f;
    f.id = kLaunchBound;
    f.title = "The GPU waits on kernel launches: " + percent(share(idle.get(IdleCause::kLaunch), window)) +
              " of the GPU window is idle between launches";
    f.evidence.push_back(cause_row(IdleCause::kLaunch));
    f.evidence.push_back({"Kernels",
                          std::to_string(l.kernels) + " kernels, median " + duration(l.median_kernel_ns) +
                              "; median launch call " + duration(l.median_launch_ns) + "; " +
                              std::to_string(l.shorter_than_launch) + " kernels ran shorter than their launch call; " +
                              std::to_string(l.tiny_kernels) + " under 10 µs",
                          src});
    f.evidence.push_back({"Launch calls",
                          std::to_string(l.launch_calls) + " taking " + ms(l.launch_api_ns) +
                              " of host time; kernels took " + ms(l.kernel_ns) + " of GPU time",
                          src});
    f.evidence.push_back(
        {"CUDA-graph coverage",
         std::to_string(l.graph_kernels) + " of " + std::to_string(l.kernels) + " kernels came from graph launches",
         src});
    f.fix =
        "Cut the per-kernel host cost: torch.compile(model, mode=\"reduce-overhead\") (fuses small ops and "
        "replays CUDA graphs), or capture the steady-state step with torch.cuda.graphs / CUDAGraph; batch more "
        "work per launch (larger batch, fused ops).";
    f.impact = "up to " + stake_text(idle.get(IdleCause::kLaunch), window);
    f.weight = share(idle.get(IdleCause::kLaunch), window);
    out.push_back(std::move(f));
  }
  if (window > 0 && an.syncs != nullptr && share(idle.get(IdleCause::kSync), window) >= kSyncShareWarn) {
    const SyncStats& s = *an.syncs;
    Finding f;
    f.id = kSyncStalls;
    f.title = std::to_string(s.calls) + " host synchronisations leave the GPU idle " +
              percent(share(idle.get(IdleCause::kSync), window)) + " of the GPU window";
    f.evidence.push_back(cause_row(IdleCause::kSync));
    for (size_t i = 0; i < s.callers.size() && i < 3; ++i) {
      const SyncCaller& c = s.callers[i];
      f.evidence.push_back({c.call + " from " + c.op,
                            std::to_string(c.calls) + " calls, host blocked " + ms(c.host_ns) + ", GPU idle after " +
                                ms(c.gpu_idle_ns) + (c.python.empty() ? "" : "; at " + c.python),
                            src});
    }
    f.fix =
        "Keep values on the GPU in the hot path: avoid .item(), .cpu(), .tolist(), print(tensor) and "
        "data-dependent Python branches on GPU values; copy results with .to('cpu', non_blocking=True) into pinned "
        "buffers and synchronise once per step. torch.cuda.set_sync_debug_mode('warn') points at each sync.";
    f.impact = "up to " + stake_text(idle.get(IdleCause::kSync), window);
    f.weight = share(idle.get(IdleCause::kSync), window);
    out.push_back(std::move(f));
  }
  if (window > 0 && share(idle.get(IdleCause::kDataLoader), window) >= kDataLoaderShareWarn) {
    Finding f;
    f.id = kDataLoaderId;
    f.title = "The GPU waits on the DataLoader " + percent(share(idle.get(IdleCause::kDataLoader), window)) +
              " of the GPU window";
    f.evidence.push_back(cause_row(IdleCause::kDataLoader));
    int64_t dl = 0;
    for (const Interval& i : m.dataloader) dl += i.end - i.start;
    f.evidence.push_back({"DataLoader spans", ms(dl) + " of host time in DataLoader __next__", src});
    f.fix =
        "Load batches in the background: DataLoader(num_workers=N (start with the CPU cores per GPU), "
        "pin_memory=True, persistent_workers=True, prefetch_factor=2+); move decoding/augmentation to the GPU or "
        "pre-process offline.";
    f.impact = "up to " + stake_text(idle.get(IdleCause::kDataLoader), window);
    f.weight = share(idle.get(IdleCause::kDataLoader), window);
    out.push_back(std::move(f));
  }
  if (an.copies != nullptr && an.copies->pageable_bytes >= kPageableBytesWarn) {
    const CopyStats& c = *an.copies;
    Finding f;
    f.id = kPageable;
    f.title = std::to_string(c.pageable_count) + " copies between GPU and pageable host memory";
    for (const CopyRow& r : c.rows) {
      if (!r.pageable) continue;
      f.evidence.push_back({r.name,
                            std::to_string(r.count) + " copies, " + std::to_string(r.bytes) + " bytes in " +
                                ms(r.total_ns) + (r.gb_per_s() > 0 ? " (" + gbps(r.gb_per_s()) + ")" : std::string()),
                            src});
    }
    f.fix =
        "Copy from pinned memory: DataLoader(pin_memory=True), tensor.pin_memory(), then "
        ".to(device, non_blocking=True). Pageable copies are staged through a driver buffer, run at a fraction "
        "of the link's bandwidth and block the host.";
    f.impact = stake_text(c.pageable_ns, window) + " in pageable copies; pinned copies typically run 2× faster or more";
    f.weight = share(c.pageable_ns, window);
    out.push_back(std::move(f));
  }
  if (an.steps != nullptr && an.steps->steps.size() >= kStepOutlierMinSteps && an.steps->median_wall_ns > 0) {
    const StepsResult& st = *an.steps;
    const StepRow& slow = st.steps[st.slowest.front()];
    if (static_cast<double>(slow.wall_ns()) >= kStepOutlierRatio * static_cast<double>(st.median_wall_ns)) {
      Finding f;
      f.id = kStepOutlier;
      f.severity = Severity::kInfo;
      f.title = "Step #" + std::to_string(slow.number) + " took " + ms(slow.wall_ns()) + ", " +
                times(static_cast<double>(slow.wall_ns()) / static_cast<double>(st.median_wall_ns)) +
                " the median step";
      f.evidence.push_back(
          {"Median step", ms(st.median_wall_ns) + " over " + std::to_string(st.steps.size()) + " steps", src});
      for (size_t i = 0; i < st.slowest.size() && i < 3; ++i) {
        const StepRow& r = st.steps[st.slowest[i]];
        std::string top;
        IdleCause best = IdleCause::kLaunch;
        for (size_t c = 0; c < kIdleCauses; ++c)
          if (r.idle.ns[c] > r.idle.get(best)) best = static_cast<IdleCause>(c);
        f.evidence.push_back({"Step #" + std::to_string(r.number),
                              ms(r.wall_ns()) + ": GPU busy " + ms(r.busy_ns) + ", idle " + ms(r.idle_ns) +
                                  (r.idle_ns > 0 ? std::string(" (mostly ") + idle_cause_name(best) + ")" : ""),
                              src});
      }
      f.fix =
          "Look at what differs in the slow step (first-iteration warm-up, recompilation, allocator growth, "
          "checkpointing, logging): exclude warm-up with schedule(wait=1, warmup=1, …) or fix the recurring cause.";
      int64_t extra = slow.wall_ns() - st.median_wall_ns;
      f.impact = ms(extra) + " above the median step";
      f.weight = share(extra, std::max<int64_t>(1, window));
      out.push_back(std::move(f));
    }
  }
  (void)t;
}

}  // namespace

std::vector<Finding> trace_findings(const Model& m, const AnalysisSet& an) {
  std::vector<Finding> out;
  const TimelineResult& tl = *an.timeline;
  const Trace& t = *m.trace;
  const std::string src = "trace " + std::filesystem::path(t.path).filename().string();
  for (const GpuTimeline& g : tl.devices) {
    if (g.total_ns <= 0) continue;
    double idle_share = static_cast<double>(g.idle_ns) / static_cast<double>(g.total_ns);
    if (idle_share < kIdleShareWarn) continue;
    Finding f;
    f.id = kIdleHigh;
    f.severity = Severity::kWarning;
    f.title = "GPU " + std::to_string(g.device) + " is idle " + percent(idle_share) +
              " of the traced window: it waits on the host";
    f.evidence.push_back({"GPU idle time (device " + std::to_string(g.device) + ")",
                          ms(g.idle_ns) + " of " + ms(g.total_ns) + " (first to last GPU activity)", src});
    f.evidence.push_back({"GPU busy time",
                          ms(g.busy_ns) + " in " + std::to_string(g.gaps + 1) + " busy periods over " +
                              std::to_string(g.activities) + " kernels/copies/memsets",
                          src});
    if (g.gaps > 0) {
      f.evidence.push_back({"Idle caused by the host",
                            ms(g.host_wait_ns) + " in " + std::to_string(g.host_wait_gaps) + " of " +
                                std::to_string(g.gaps) +
                                " gaps: the next launch call started only after the GPU had gone idle",
                            src});
      f.evidence.push_back({"Largest gap", ms(g.largest_gap_ns), src});
      std::string causes;
      for (size_t c = 0; c < kIdleCauses; ++c) {
        if (g.idle_split.ns[c] == 0) continue;
        causes += (causes.empty() ? "" : ", ") + std::string(idle_cause_name(static_cast<IdleCause>(c))) + " " +
                  ms(g.idle_split.ns[c]);
      }
      f.evidence.push_back({"Idle by cause", causes, src});
    }
    f.fix =
        "Keep the GPU fed: capture the steady-state step in CUDA graphs (torch.compile(model, "
        "mode=\"reduce-overhead\") or torch.cuda.graphs), batch more requests per step, and move Python/host work "
        "(tokenisation, .item()/.cpu() syncs, logging) off the critical path. For a tiny model the fixed launch "
        "cost per step dominates: larger batches amortise it.";
    if (g.host_wait_ns > 0) {
      f.impact = "up to " + ms(g.host_wait_ns) + " of " + ms(g.total_ns) + " (" +
                 percent(static_cast<double>(g.host_wait_ns) / static_cast<double>(g.total_ns)) +
                 ") is GPU time lost waiting for launches";
    }
    f.weight = idle_share;
    out.push_back(std::move(f));
  }
  if (m.activities.empty()) {
    Finding f;
    f.id = kNoGpu;
    f.severity = Severity::kInfo;
    f.title = "The trace has no GPU activity: GPU analyses cannot run";
    f.evidence.push_back(
        {"Events kept", std::to_string(t.stats.events_kept) + " (no kernel/gpu_memcpy/gpu_memset)", src});
    f.fix =
        "Profile with activities=[torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA] and "
        "make sure the model runs on the GPU inside the profiled window.";
    out.push_back(std::move(f));
  }
  uint64_t bad = t.stats.malformed + t.stats.invalid_utf8;
  if (bad > 0) {
    Finding f;
    f.id = kSkipped;
    f.severity = Severity::kInfo;
    f.title = std::to_string(bad) + " malformed events were skipped";
    f.evidence.push_back({"Malformed events", std::to_string(t.stats.malformed), src});
    f.evidence.push_back({"Events with invalid UTF-8", std::to_string(t.stats.invalid_utf8), src});
    f.fix = "None needed if the counts are small; the numbers above leave these events out.";
    f.weight = static_cast<double>(bad) / static_cast<double>(std::max<uint64_t>(1, t.stats.events_seen));
    out.push_back(std::move(f));
  }
  advice_findings(m, an, src, out);
  precision_and_batch_findings(m, an, src, out);
  rank_findings(out);
  return out;
}

}  // namespace infertune::trace
