// Trace findings: what the analyses conclude, with the numbers they rest on and the fix.

#include <algorithm>
#include <filesystem>
#include <string>

#include "trace/analyses/analyses.h"
#include "trace/format.h"

namespace infertune::trace {

namespace {
constexpr const char* kIdleHigh = "TRACE-GPU-IDLE-HIGH";
constexpr const char* kNoGpu = "TRACE-NO-GPU-ACTIVITY";
constexpr const char* kSkipped = "TRACE-EVENTS-SKIPPED";
constexpr double kIdleShareWarn = 0.30;  // of the GPU timeline window
}  // namespace

const std::vector<TraceRuleInfo>& trace_rule_ids() {
  static const std::vector<TraceRuleInfo> ids = {
      {kIdleHigh, "GPU idle for a large share of the traced window"},
      {kNoGpu, "The trace has no GPU activity"},
      {kSkipped, "Events in the trace were malformed and skipped"},
  };
  return ids;
}

std::vector<Finding> trace_findings(const Model& m, const TimelineResult& tl, const KernelSummary&) {
  std::vector<Finding> out;
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
  rank_findings(out);
  return out;
}

}  // namespace infertune::trace
