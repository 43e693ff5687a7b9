// Trace findings: what the analyses conclude, with the numbers they rest on and the fix.

#include <algorithm>
#include <filesystem>
#include <string>

#include "base/units.h"
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
constexpr const char* kMemHeadroom = "TRACE-MEMORY-HEADROOM";
constexpr const char* kMemNearLimit = "TRACE-MEMORY-NEAR-LIMIT";
constexpr const char* kAllocCache = "TRACE-ALLOCATOR-CACHE";
constexpr const char* kAllocChurn = "TRACE-ALLOCATOR-CHURN";
constexpr int64_t kGiB = int64_t{1} << 30;
// Memory headroom. Reserved memory is what the process's caching allocator holds; the CUDA context, cuBLAS/cuDNN
// workspaces, NCCL buffers and other processes use memory the [memory] events do not show. So a margin of 10 % of
// the device (at least 2 GiB) is kept aside, and the finding fires only when what is left after the peak reserved
// and the margin is at least a quarter of the device: a 4th of an H100 (20 GB) is room for a much larger batch or
// KV cache, not a rounding error. On an 80 GB device it fires with peak reserved ≤ 52 GB (65 %).
constexpr double kHeadroomMarginShare = 0.10;
constexpr int64_t kHeadroomMarginMin = 2 * kGiB;
constexpr double kHeadroomShareInfo = 0.25;
// Peak reserved share of the device's memory from which an out-of-memory error is near. vLLM reserves its KV cache
// up front within --gpu-memory-utilization (0.9 of the device by default, context included): a default vLLM stays
// under it.
constexpr double kNearLimitShare = 0.93;
// Allocator cache: peak reserved − peak allocated. The caching allocator rounds requests up (512 B; 2 MiB blocks)
// and splits cached blocks, so some slack is normal (typically well under 20 % of reserved; the H100 inference
// traces here show 2–21 %). A quarter of the reserved peak never in use even at the busiest moment means
// segments the allocations could not use (fragmentation) or a cache kept from an earlier phase. Under 1 GiB it is
// not worth a change (under 1.3 % of an 80 GB device).
constexpr double kCacheShareWarn = 0.25;
constexpr int64_t kCacheBytesMin = kGiB;
constexpr double kCacheTightShare = 0.85;  // peak reserved of device memory from which the waste is a warning

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
      {kMemHeadroom, "Peak GPU memory is well under the device's memory: room for a larger batch"},
      {kMemNearLimit, "Peak GPU memory is close to the device's memory: an out-of-memory error is near"},
      {kAllocCache, "The caching allocator holds much more memory than is ever allocated"},
      {kAllocChurn, "The caching allocator keeps returning memory to the driver and asking for it again"},
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

std::string gib(int64_t b) { return units::bytes(static_cast<double>(b)); }
std::string gib_exact(int64_t b) { return gib(b) + " (" + std::to_string(b) + " bytes)"; }

std::string device_label(const DeviceMemory& d) {
  return (d.device_type == 6 ? "HIP " : "GPU ") + std::to_string(d.device_id);
}

// Memory findings from the [memory] events: headroom, allocator cache, allocator churn.
void memory_findings(const Model& m, const MemoryTimeline& mt, const std::string& src, int64_t window,
                     std::vector<Finding>& out) {
  if (!mt.why_not.empty()) return;
  for (const DeviceMemory& d : mt.devices) {
    if (!d.accelerator || !d.has_reserved) continue;
    const std::string dev = device_label(d);
    // ---- headroom ----
    if (d.total_memory_bytes > 0) {
      int64_t total = d.total_memory_bytes;
      int64_t margin = std::max<int64_t>(kHeadroomMarginMin,
                                         static_cast<int64_t>(kHeadroomMarginShare * static_cast<double>(total)));
      int64_t usable = total - d.peak_reserved - margin;
      if (usable > 0 && share(usable, total) >= kHeadroomShareInfo) {
        Finding f;
        f.id = kMemHeadroom;
        f.severity = Severity::kInfo;
        f.title = dev + " peaked at " + gib(d.peak_reserved) + " reserved of " + gib(total) + " (" +
                  percent(share(d.peak_reserved, total)) + "): " + gib(usable) + " unused after a safety margin";
        f.evidence.push_back({"Device memory (deviceProperties)", gib_exact(total), src});
        f.evidence.push_back({"Peak reserved (caching allocator)", gib_exact(d.peak_reserved), src});
        f.evidence.push_back({"Peak allocated (tensors)", gib_exact(d.peak_allocated), src});
        int64_t working = d.peak_allocated - d.min_allocated;
        f.evidence.push_back({"Lowest allocated in the trace",
                              gib(d.min_allocated) + " (weights and other long-lived tensors); working set " +
                                  gib(working) + " (peak − lowest)",
                              src});
        f.evidence.push_back({"Margin kept aside",
                              gib(margin) + " (10 % of the device, at least 2 GiB: CUDA context, library "
                                            "workspaces, memory the profiler does not see)",
                              src});
        std::string scale;
        if (working > 0) {
          double room = static_cast<double>(usable) / static_cast<double>(working);
          // Past 100× the estimate says nothing more useful (the batch is tiny next to the device).
          scale = room >= 100 ? "; the traced working set of " + gib(working) +
                                    " fits over 100 more times: the batch (or KV cache) can grow far beyond the "
                                    "profiled one"
                              : "; the traced working set of " + gib(working) + " fits " + units::number(room, 1) +
                                    " more times, so a batch (or KV cache) up to about " +
                                    units::number(1.0 + room, 1) + "× larger may fit if memory grows with it";
        }
        f.impact = gib(usable) + " of " + gib(total) + " (" + percent(share(usable, total)) +
                   ") unused at the traced peak" + scale;
        f.fix =
            "Use the memory for throughput: raise the batch size or the number of concurrent requests "
            "(max_num_seqs / max batch), give a serving engine a larger KV cache (vLLM "
            "--gpu-memory-utilization), or run more replicas per GPU; re-profile at the new size, since memory "
            "per request is not always linear. Check nvidia-smi for other processes on the device first.";
        f.weight = share(usable, total);
        out.push_back(std::move(f));
      }
    }
    // ---- near the limit ----
    if (d.total_memory_bytes > 0 && share(d.peak_reserved, d.total_memory_bytes) >= kNearLimitShare) {
      const int64_t total = d.total_memory_bytes;
      const int64_t left = total - d.peak_reserved;
      const int64_t cache = d.peak_reserved - d.peak_allocated;
      Finding f;
      f.id = kMemNearLimit;
      f.severity = Severity::kWarning;
      f.title = dev + " peaked at " + gib(d.peak_reserved) + " reserved of " + gib(total) + " (" +
                percent(share(d.peak_reserved, total)) + "): close to an out-of-memory error";
      f.evidence.push_back({"Device memory (deviceProperties)", gib_exact(total), src});
      f.evidence.push_back(
          {"Peak reserved (caching allocator)",
           gib_exact(d.peak_reserved) + " at " + ms(d.peak_reserved_ts_ns - m.first_ns) + " into the trace", src});
      f.evidence.push_back({"Peak allocated (tensors)", gib_exact(d.peak_allocated), src});
      f.evidence.push_back({"Left on the device at the peak",
                            left > 0 ? gib(left) + ", before the CUDA context and library workspaces (not in the "
                                                   "allocator's events)"
                                     : std::string("none"),
                            src});
      f.impact =
          "A longer input, a larger batch or more fragmentation than in this trace needs memory the device "
          "does not have: the allocator then frees its whole cache and synchronises before it retries, and "
          "fails with torch.OutOfMemoryError when that is not enough" +
          (cache > 0 ? "; " + gib(cache) + " of the reserved peak was cache, not tensors" : std::string());
      f.fix =
          "Lower the peak: cap the batch size, sequence length or concurrent requests (a serving engine's KV cache: "
          "vLLM --gpu-memory-utilization, max_num_seqs); set PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True "
          "to cut fragmentation; serve in bf16/fp16 under torch.inference_mode(); for training, activation "
          "checkpointing. Leave other processes off the GPU (nvidia-smi). A memory snapshot (infertune trace "
          "memory) shows what holds the peak.";
      // Ranked after the time findings: it saves no time, it keeps the service up.
      f.weight = share(d.peak_reserved, total) - kNearLimitShare;
      out.push_back(std::move(f));
    }
    // ---- allocator cache (reserved, never allocated) ----
    int64_t overhead = d.reserved_overhead();
    if (overhead >= kCacheBytesMin && share(overhead, d.peak_reserved) >= kCacheShareWarn) {
      Finding f;
      f.id = kAllocCache;
      bool tight = d.total_memory_bytes > 0 && share(d.peak_reserved, d.total_memory_bytes) >= kCacheTightShare;
      f.severity = tight ? Severity::kWarning : Severity::kInfo;
      f.title = dev + ": the caching allocator reserved " + gib(d.peak_reserved) + " but never had more than " +
                gib(d.peak_allocated) + " allocated (" + percent(share(overhead, d.peak_reserved)) +
                " of the reserved peak unused)";
      f.evidence.push_back({"Peak reserved", gib_exact(d.peak_reserved), src});
      f.evidence.push_back({"Peak allocated", gib_exact(d.peak_allocated), src});
      f.evidence.push_back(
          {"Largest reserved − allocated",
           gib(d.max_unused_reserved) + " at " + ms(d.max_unused_reserved_ts_ns - m.first_ns) + " into the trace",
           src});
      f.evidence.push_back({"Reserved total changes",
                            "grew " + std::to_string(d.reserved_growths) + "× (" + gib(d.reserved_grown_bytes) +
                                "), released " + std::to_string(d.reserved_releases) + "× (" +
                                gib(d.reserved_released_bytes) + ")",
                            src});
      if (d.total_memory_bytes > 0) {
        f.evidence.push_back({"Device memory", gib_exact(d.total_memory_bytes), src});
      }
      f.impact = gib(overhead) + " held by the allocator and never used" +
                 (d.reserved_growths == 0
                      ? std::string("; the reserved total did not grow inside the trace, so it was reached before "
                                    "it (an earlier step, loading or warm-up)")
                      : std::string()) +
                 (tight ? "; the device is " + percent(share(d.peak_reserved, d.total_memory_bytes)) +
                              " full at the peak, so this is memory an out-of-memory error would have needed"
                        : std::string());
      f.fix =
          "Reduce fragmentation: PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True (segments grow in place "
          "instead of many fixed-size ones); if the cache is left from loading or warm-up, call "
          "torch.cuda.empty_cache() once before serving, never in the hot path; for mixed large/small "
          "allocations try max_split_size_mb. torch.cuda.memory_summary() and a memory snapshot show the "
          "segments.";
      f.weight = share(overhead, d.total_memory_bytes > 0 ? d.total_memory_bytes : d.peak_reserved);
      out.push_back(std::move(f));
    }
    // ---- allocator churn: the reserved total moving in the steady state ----
    // A warmed-up caching allocator serves every request from its cache: reserved stays flat. It goes down only
    // when segments are returned with cudaFree (torch.cuda.empty_cache(), or a failed allocation retried after
    // freeing the cache: memory pressure) — cudaFree synchronises the device — and then has to come back with
    // cudaMalloc. One release, or growth in two or more steps after the first, is not steady state.
    uint64_t growth_steps = 0;
    for (size_t i = 1; i < mt.steps.size(); ++i) growth_steps += mt.steps[i].reserved_growths > 0 ? 1 : 0;
    if (d.reserved_releases >= 1 || growth_steps >= 2) {
      Finding f;
      f.id = kAllocChurn;
      f.title = dev + ": the caching allocator returned memory to the driver " + std::to_string(d.reserved_releases) +
                "× and grew " + std::to_string(d.reserved_growths) + "× inside the trace";
      f.evidence.push_back({"Reserved released",
                            std::to_string(d.reserved_releases) + "× (" + gib(d.reserved_released_bytes) + ")", src});
      f.evidence.push_back(
          {"Reserved grown", std::to_string(d.reserved_growths) + "× (" + gib(d.reserved_grown_bytes) + ")", src});
      if (!mt.steps.empty()) {
        uint64_t allocs = 0, frees = 0;
        for (const MemoryStep& s : mt.steps) {
          allocs += s.allocs;
          frees += s.frees;
        }
        f.evidence.push_back({"Per step",
                              std::to_string(allocs / mt.steps.size()) + " allocations and " +
                                  std::to_string(frees / mt.steps.size()) + " frees on average; reserved grew in " +
                                  std::to_string(growth_steps) + " of " + std::to_string(mt.steps.size() - 1) +
                                  " steps after the first",
                              src});
      }
      f.evidence.push_back({"Allocator driver calls",
                            std::to_string(mt.alloc_api_calls) + " cudaMalloc/cudaFree-family calls, " +
                                ms(mt.alloc_api_ns) + " of host time",
                            src});
      f.fix =
          "Keep the cache warm: remove torch.cuda.empty_cache() (and gc-driven frees) from the loop; if memory "
          "pressure forces the releases, lower the peak (smaller batch or KV cache, "
          "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True against fragmentation) so allocations stop failing "
          "and retrying; allocate fixed-size buffers once and reuse them.";
      f.impact = window > 0 ? "up to " + stake_text(mt.alloc_api_ns, window) +
                                  " in allocator driver calls, plus the device synchronisations of cudaFree"
                            : ms(mt.alloc_api_ns) + " of host time in allocator driver calls";
      // Ranked by the host time of the driver calls, like the other time findings; at least a small weight so
      // that it ranks among the warnings even when the trace lacks those runtime events.
      f.weight = std::max(0.01, share(mt.alloc_api_ns, window));
      out.push_back(std::move(f));
    }
  }
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
  if (an.memory != nullptr) {
    int64_t window = 0;
    for (const GpuTimeline& g : tl.devices) window += g.total_ns;
    memory_findings(m, *an.memory, src, window, out);
  }
  rank_findings(out);
  return out;
}

}  // namespace infertune::trace
