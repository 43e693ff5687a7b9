#pragma once
// What the reader keeps of a Kineto trace: compact event tables with interned strings. Times are integer
// nanoseconds relative to the trace's time zero (absolute = base_time_ns + ts_ns when base_time_ns is set).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "trace/pod_table.h"
#include "trace/string_table.h"

namespace infertune::trace {

// Event categories the analyses use (the 2021 names map onto these: Operator, Runtime, Kernel, Memcpy, Memset).
enum class Cat : uint8_t {
  kCpuOp,
  kUserAnnotation,
  kPythonFunction,
  kCudaRuntime,
  kCudaDriver,
  kKernel,
  kGpuMemcpy,
  kGpuMemset,
  kGpuUserAnnotation,
};
const char* cat_name(Cat c);
inline bool is_gpu_activity(Cat c) { return c == Cat::kKernel || c == Cat::kGpuMemcpy || c == Cat::kGpuMemset; }
inline bool is_launch_api(Cat c) { return c == Cat::kCudaRuntime || c == Cat::kCudaDriver; }

inline constexpr uint32_t kNoIndex = 0xFFFFFFFFu;

// The tables below are kept for every event of traces of many GB, so their fields are as narrow as the values
// real traces hold allow (Event 48 bytes, GpuArgs 32, MemoryEvent 56, Flow 24). The reader checks every narrowed value:
// pids/tids beyond int32 (and string ones, "Spans") become stable negative ids, like the strings; ids, streams and
// launch dimensions beyond their field are dropped (-1 / 0) and counted in ReadStats::out_of_range.

// A complete ("X") event.
struct Event {
  int64_t ts_ns = 0;
  int64_t dur_ns = 0;
  StringId name = 0;
  // args["Input Dims"] (record_shapes) as compact JSON text, e.g. "[[8,3,224,224],[64,3,7,7],[]]"; the empty
  // string when absent. Used to group operators by input shapes.
  StringId input_dims = 0;
  int32_t pid = 0;  // string pids/tids ("Spans") and ones beyond int32 become negative ids
  int32_t tid = 0;
  int32_t correlation = -1;
  int32_t external_id = -1;
  uint32_t gpu_args = kNoIndex;  // index into Trace::gpu_args (kernels, copies, memsets)
  int16_t stream = -1;           // GPU activities (CUPTI stream ids are small)
  int8_t device = -1;            // GPU activities
  Cat cat = Cat::kCpuOp;
  int64_t end_ns() const { return ts_ns + dur_ns; }
};

// Arguments of GPU activities that the summaries use; -1 / 0 = absent.
struct GpuArgs {
  int32_t grid[3] = {0, 0, 0};
  int16_t block[3] = {0, 0, 0};  // at most 1024 threads per block
  int16_t registers_per_thread = -1;
  float occupancy_pct = -1;  // "est. achieved occupancy %"
  int64_t bytes = -1;        // copies and memsets
};

// A "[memory]" instant event (allocator activity).
struct MemoryEvent {
  int64_t ts_ns = 0;
  int64_t bytes = 0;  // negative = free
  int64_t total_allocated = -1;
  int64_t total_reserved = -1;
  int64_t addr = -1;
  int32_t pid = 0;
  int32_t tid = 0;
  int8_t device_type = -1;  // 0 CPU, 1 CUDA
  int8_t device_id = -1;
};

// One end of an "ac2g" flow (launch -> GPU activity), id = correlation (ids beyond int32: flow not kept, counted
// in ReadStats::out_of_range).
struct Flow {
  int64_t ts_ns = 0;
  int32_t id = 0;
  int32_t pid = 0;
  int32_t tid = 0;
  char phase = 's';  // 's' start (on the launch), 'f' finish (on the GPU activity)
};

static_assert(sizeof(Event) == 48 && sizeof(GpuArgs) == 32 && sizeof(MemoryEvent) == 56 && sizeof(Flow) == 24);

struct DeviceInfo {
  int64_t id = -1;
  std::string name;
  int64_t num_sms = -1;
  int64_t total_memory_bytes = -1;
  int64_t compute_major = -1;
  int64_t compute_minor = -1;
};

// What was read and what was skipped, with the reason; shown in the report.
struct ReadStats {
  uint64_t events_seen = 0;  // elements of traceEvents
  uint64_t events_kept = 0;  // X + memory + flow events kept
  uint64_t metadata_events = 0;
  uint64_t malformed = 0;       // missing/invalid ph, ts, dur, negative dur, not an object
  uint64_t invalid_utf8 = 0;    // events whose name or category is not valid UTF-8 (skipped)
  uint64_t large_integers = 0;  // integers beyond int64 anywhere in an event (value ignored, event kept)
  uint64_t out_of_range = 0;    // events with a correlation/External id beyond int32, a GPU stream beyond int16,
                                // a device beyond int8 or a block size/register count beyond int16 (that value
                                // dropped, event kept)
  uint64_t other_phases = 0;    // instant events other than [memory], counters, async, other flows
  std::map<std::string, uint64_t> skipped_categories;  // X events of categories not analysed ("cuda_sync", MTIA …)
  uint64_t skipped_total() const;
};

// Asks the kernel to back [p, p + bytes) with transparent huge pages where it allows that on request (Linux
// "madvise" mode): a big table then takes one page fault per 2 MiB instead of one per 4 KiB. A no-op elsewhere
// and for small ranges; call it before the memory is first written.
void advise_huge_pages(const void* p, size_t bytes);

// Reserves exactly `n` elements and advises huge pages for a big table (see advise_huge_pages).
template <class T>
void reserve_table(std::vector<T>& v, size_t n) {
  v.reserve(n);
  advise_huge_pages(v.data(), v.capacity() * sizeof(T));
}

struct Trace {
  std::string path;
  uint64_t file_bytes = 0;  // bytes on disk
  uint64_t json_bytes = 0;  // bytes of JSON (decompressed)
  bool gzip = false;
  std::optional<int64_t> base_time_ns;  // "baseTimeNanoseconds"
  std::string display_time_unit;        // "displayTimeUnit": a viewer hint only, ts/dur are always µs
  std::optional<int64_t> schema_version;

  StringTable strings;
  PodTable<Event> events;  // in file order
  PodTable<GpuArgs> gpu_args;
  PodTable<MemoryEvent> memory;
  PodTable<Flow> flows;
  std::vector<DeviceInfo> devices;
  ReadStats stats;

  const std::string& name_of(const Event& e) const { return strings.str(e.name); }
};

}  // namespace infertune::trace
