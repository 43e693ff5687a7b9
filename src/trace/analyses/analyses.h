#pragma once
// Analyses over the trace model: pure functions, no IO. Each says why when it cannot run.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/finding.h"
#include "trace/model.h"

namespace infertune::trace {

// ---- GPU timeline (TraceLens' gpu_timeline definitions, exact in ns) ----
// Over the GPU activities (kernels, memcpy, memset) of one device whose launch call is in the trace:
//   total       = end of the last − start of the first
//   busy        = length of the union of all of them, across streams
//   idle        = total − busy
//   computation = union of kernels and memsets that are not communication (name contains "nccl"/"rccl")
//   exposed comm   = communication union minus computation
//   exposed memcpy = memcpy union minus computation and communication
// so computation + exposed comm + exposed memcpy + idle = total.
struct GpuTimeline {
  int32_t device = -1;
  uint64_t activities = 0;           // counted in the timeline
  uint64_t activities_unlinked = 0;  // left out: their launch call is not in the trace (graph replay, window edge)
  int64_t total_ns = 0, busy_ns = 0, idle_ns = 0, computation_ns = 0;
  int64_t exposed_comm_ns = 0, exposed_memcpy_ns = 0, total_comm_ns = 0, total_memcpy_ns = 0;
  // Idle gaps between busy periods and how much of them the host caused: a gap is host-wait when the launch
  // call of the activity that ends it started after the GPU went idle (the GPU waited for the CPU).
  uint64_t gaps = 0;
  int64_t largest_gap_ns = 0;
  int64_t host_wait_ns = 0;
  uint64_t host_wait_gaps = 0;
};

struct TimelineResult {
  std::vector<GpuTimeline> devices;
  std::string why_not;  // set when there is nothing to measure
};

TimelineResult gpu_timeline(const Model& m);

// ---- Kernel summary ----
enum class KernelClass : uint8_t {
  kGemm,
  kConv,
  kAttention,
  kElementwise,
  kReduction,
  kNorm,
  kMemcpy,
  kMemset,
  kCommunication,
  kOther
};
const char* kernel_class_name(KernelClass c);
KernelClass classify_kernel(const std::string& name, ActivityKind kind);

struct DurationStats {
  uint64_t count = 0;
  int64_t total_ns = 0, min_ns = 0, max_ns = 0;
  int64_t mean_ns() const { return count ? total_ns / static_cast<int64_t>(count) : 0; }
  void add(int64_t d);
};

struct KernelRow {
  std::string name;
  KernelClass cls = KernelClass::kOther;
  DurationStats stats;
  double mean_occupancy_pct = -1;  // mean of "est. achieved occupancy %" where present
};

struct ClassRow {
  KernelClass cls = KernelClass::kOther;
  DurationStats stats;
};

struct KernelSummary {
  std::vector<KernelRow> kernels;  // all kernels by name, descending total time
  std::vector<ClassRow> classes;   // every class with activity, descending total time (memcpy/memset included)
  int64_t gpu_busy_ns = 0;         // union of all GPU activities per device, summed over devices: the % base
  std::string why_not;
};

KernelSummary kernel_summary(const Model& m);

// ---- Findings ----
// Every finding id the trace analyses can raise, documented in docs/findings.md (a test keeps them in step).
struct TraceRuleInfo {
  const char* id;
  const char* title;
};
const std::vector<TraceRuleInfo>& trace_rule_ids();

std::vector<Finding> trace_findings(const Model& m, const TimelineResult& tl, const KernelSummary& ks);

}  // namespace infertune::trace
