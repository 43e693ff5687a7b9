#pragma once
// The trace model: GPU activities per device and stream, linked to the API call that launched them
// (correlation id) and to the operator that issued them (External id); ProfilerStep windows. Built once from
// the Trace; the analyses are pure functions over it.

#include <cstdint>
#include <string>
#include <vector>

#include "trace/trace_data.h"

namespace infertune::trace {

enum class ActivityKind : uint8_t { kKernel, kMemcpy, kMemset };

struct GpuActivity {
  int64_t ts_ns = 0;
  int64_t end_ns = 0;
  uint32_t event = kNoIndex;   // index into Trace::events
  uint32_t launch = kNoIndex;  // the cuda_runtime/cuda_driver event with the same correlation id, if captured
  uint32_t op = kNoIndex;      // the cpu_op with the same External id, if any
  int32_t device = -1;
  int32_t stream = -1;
  ActivityKind kind = ActivityKind::kKernel;
};

struct StreamStats {
  int32_t device = -1;
  int32_t stream = -1;
  uint64_t activities = 0;
  int64_t sum_ns = 0;  // sum of durations (not a union)
};

struct Step {
  int64_t number = -1;  // N of "ProfilerStep#N"
  int64_t ts_ns = 0;
  int64_t end_ns = 0;
};

struct Model {
  const Trace* trace = nullptr;
  std::vector<GpuActivity> activities;  // sorted by (ts, end)
  std::vector<int32_t> devices;         // devices with GPU activity, ascending
  std::vector<StreamStats> streams;     // ascending (device, stream)
  std::vector<Step> steps;              // ascending ts
  uint64_t kernels = 0, memcpys = 0, memsets = 0;
  uint64_t launch_calls = 0;          // cuda_runtime/cuda_driver events with a correlation id
  uint64_t linked_activities = 0;     // activities whose launch call is in the trace
  uint64_t activities_with_op = 0;    // activities attributed to a cpu_op by External id
  int64_t first_ns = 0, last_ns = 0;  // span of all kept X events (0/0 when none)
};

Model build_model(const Trace& t);

}  // namespace infertune::trace
