#pragma once
// The trace model: GPU activities per device and stream, linked to the API call that launched them
// (correlation id) and to the operator that issued them (External id); ProfilerStep windows. Built once from
// the Trace; the analyses are pure functions over it.

#include <cstdint>
#include <map>
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
  int16_t stream = -1;         // as in Event (32 bytes an activity)
  int8_t device = -1;
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
  uint32_t event = kNoIndex;  // the ProfilerStep#N event (its thread is the step's main thread)
};

// A span of host time with the event it comes from (for attribution).
struct Interval {
  int64_t start = 0, end = 0;
  uint32_t event = kNoIndex;
};
using Intervals = std::vector<Interval>;  // sorted by start, disjoint (a merged union) unless said otherwise

// Bits of Model::flags, per event.
enum HostFlag : uint8_t {
  kLaunches = 1,          // a cuda_runtime/cuda_driver call that some GPU activity links to (correlation id)
  kSubtreeLaunches = 2,   // this event or one nested in it on its thread launches GPU work
  kSync = 4,              // a host-blocking call: *Synchronize, blocking (non-Async) memcpy
  kDataLoader = 8,        // a DataLoader span: "enumerate(DataLoader)#…" or "…DataLoaderIter.__next__"
  kKernelLaunchApi = 16,  // a kernel or graph launch call by name (cudaLaunchKernel*, cuLaunchKernel*, *GraphLaunch …)
  kGraphLaunch = 32,      // cudaGraphLaunch / hipGraphLaunch
};

// Classification of names used above (exposed for tests).
bool is_sync_call_name(const std::string& name);
bool is_kernel_launch_name(const std::string& name);
bool is_graph_launch_name(const std::string& name);
bool is_dataloader_name(const std::string& name);

struct Model {
  const Trace* trace = nullptr;
  std::vector<GpuActivity> activities;  // sorted by (ts, end, event)
  std::vector<int32_t> devices;         // devices with GPU activity, ascending
  std::vector<StreamStats> streams;     // ascending (device, stream)
  std::vector<Step> steps;              // ascending ts
  uint64_t kernels = 0, memcpys = 0, memsets = 0;
  uint64_t launch_calls = 0;          // cuda_runtime/cuda_driver events with a correlation id
  uint64_t linked_activities = 0;     // activities whose launch call is in the trace
  uint64_t activities_with_op = 0;    // activities attributed to a cpu_op by External id
  int64_t first_ns = 0, last_ns = 0;  // span of all kept X events (0/0 when none)

  // ---- Host side: the op tree of each thread (cpu_op, user_annotation, cuda_runtime, cuda_driver nest by
  // time on their (pid, tid)) and the Python stacks (python_function events nest among themselves) ----
  std::vector<uint32_t> parent;    // per event: the enclosing host event on its thread (python: enclosing python
                                   // frame); kNoIndex for roots and GPU events
  std::vector<uint32_t> py_frame;  // per host op/runtime event: the innermost python_function enclosing it
                                   // (empty when the trace has no python_function events: use python_of)
  uint32_t python_of(uint32_t event) const { return py_frame.empty() ? kNoIndex : py_frame[event]; }
  std::vector<uint8_t> flags;          // per event: HostFlag bits
  std::vector<uint8_t> is_module;      // per string id: 1 when the name is an "nn.Module: …" python frame
  Intervals dataloader;                // union of DataLoader spans, all threads
  Intervals syncs;                     // sync calls, all threads, sorted by start (not merged: each names its call)
  std::vector<int64_t> syncs_max_end;  // prefix maximum of syncs[i].end (for overlap queries)
  // Per thread (pid, tid): union of host time spent in work that launches no GPU work — maximal cpu_op
  // subtrees without a launch whose parent is not a cpu_op, and runtime/driver calls that launch nothing and
  // do not synchronise, wherever they are (cudaMalloc, cudaFree, attribute queries).
  std::map<std::pair<int64_t, int64_t>, Intervals> cpu_only;
};

Model build_model(const Trace& t);

}  // namespace infertune::trace
