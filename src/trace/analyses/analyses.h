#pragma once
// Analyses over the trace model: pure functions, no IO. Each says why when it cannot run.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "report/finding.h"
#include "trace/model.h"

namespace infertune::trace {

// ---- GPU idle time by cause ----
// Each idle gap (the GPU did nothing between two busy periods) goes to the host's reason for it:
//   queued      the activity that ends the gap was launched before the gap began (the GPU had the work but
//               waited: stream/event dependencies, launch latency)
//   dataloader  otherwise, a DataLoader span overlaps the gap (the whole gap)
//   sync        otherwise, a synchronising call (…Synchronize, blocking memcpy) overlaps the gap (the whole
//               gap: the host had let the GPU drain and only then went on to launch)
//   cpu_work    the part of the remaining gaps that the launching thread spent in work that launches nothing
//               (Model::cpu_only: CPU-only operators, allocator and other non-launch CUDA API calls)
//   launch      the rest: the host was between GPU launches (framework dispatch, Python between operators,
//               launch calls themselves) — the overhead CUDA graphs / torch.compile remove
enum class IdleCause : uint8_t { kLaunch, kCpuWork, kSync, kDataLoader, kQueued };
inline constexpr size_t kIdleCauses = 5;
const char* idle_cause_name(IdleCause c);  // "launch overhead", "other CPU work", …
const char* idle_cause_key(IdleCause c);   // "launch", "cpu_work", "sync", "dataloader", "queued" (JSON keys)

struct IdleSplit {
  int64_t ns[kIdleCauses] = {};
  uint64_t gaps[kIdleCauses] = {};  // gaps by their main cause (the larger part when a gap is split)
  int64_t get(IdleCause c) const { return ns[static_cast<size_t>(c)]; }
  int64_t total_ns() const;
};

// Attributes the idle gap [g0, g1) (see above). `next` is the activity that ends it (nullptr when none, e.g. at
// the end of a step window); `thread` is the host thread to look at when `next` has no launch call. Returns the
// sync event that caused it (kNoIndex when the cause is not sync).
uint32_t attribute_gap(const Model& m, int64_t g0, int64_t g1, const GpuActivity* next,
                       std::pair<int64_t, int64_t> thread, IdleSplit& out);

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
  IdleSplit idle_split;  // idle_ns by cause (sums to idle_ns)
};

struct TimelineResult {
  std::vector<GpuTimeline> devices;
  std::vector<std::pair<uint32_t, int64_t>> sync_idle;  // (sync event, GPU idle ns it caused), all devices
  std::string why_not;                                  // set when there is nothing to measure
};

TimelineResult gpu_timeline(const Model& m);

// ---- GPU utilisation over time (utilisation.cc) ----
// The trace span [Model::first_ns, Model::last_ns) cut into `bins` equal bins (the last one may be shorter);
// per device, the busy time of each bin: the length of the union of all its GPU activities (kernels, memcpy,
// memset, on every stream, linked to a launch call or not) inside the bin, exact in ns. Unlike the GPU timeline
// above, activities without their launch call in the trace count (they are GPU work all the same).
struct DeviceUtilisation {
  int32_t device = -1;
  std::vector<int64_t> busy_ns;  // per bin, 0 <= busy_ns[i] <= bin_length(i)
  int64_t busy_total_ns = 0;     // sum of busy_ns: the union over the span
};
struct Utilisation {
  int64_t start_ns = 0, end_ns = 0;  // the span
  int64_t bin_ns = 0;                // bin width; bin i is [start + i·bin_ns, min(start + (i+1)·bin_ns, end))
  size_t bins = 0;
  std::vector<DeviceUtilisation> devices;  // ascending device
  std::string why_not;                     // set when there is no GPU activity or no span
  int64_t bin_start(size_t i) const { return start_ns + static_cast<int64_t>(i) * bin_ns; }
  int64_t bin_length(size_t i) const;
};
// `bins` is capped so that a bin is at least 1 ns.
Utilisation gpu_utilisation(const Model& m, size_t bins = 200);

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

// ---- Per-step timeline (ProfilerStep#N) ----
// A step's window follows the TensorBoard profiler plugin: it starts at the ProfilerStep span's start (or the
// previous step's end when later) and ends at the later of the span's end and the end of the last GPU activity
// launched inside the span (launch call in [start, end) of the span). Busy = union of the GPU activities (all
// devices, launch call in the trace) within the window; idle = window − busy, split by cause as above.
// The TensorBoard profiler plugin's step breakdown: each instant of the window goes to the first of these that
// covers it (all devices, all host threads): kernel, memcpy, memset, runtime (cuda_runtime/cuda_driver calls),
// DataLoader spans, CPU exec (cpu_op/user_annotation other than ProfilerStep), other (the rest).
enum class TbPart : uint8_t { kKernel, kMemcpy, kMemset, kRuntime, kDataLoader, kCpuExec, kOther };
inline constexpr size_t kTbParts = 7;
const char* tb_part_name(TbPart p);  // "Kernel", "Memcpy", "Memset", "Runtime", "DataLoader", "CPU Exec", "Other"

struct StepRow {
  int64_t number = -1;
  int64_t tb_ns[kTbParts] = {};              // TensorBoard plugin breakdown of the window (sums to wall_ns())
  int64_t cpu_start_ns = 0, cpu_end_ns = 0;  // the ProfilerStep span
  int64_t start_ns = 0, end_ns = 0;          // the window
  int64_t busy_ns = 0, idle_ns = 0;
  IdleSplit idle;
  uint64_t kernels = 0, memcpys = 0, memsets = 0;  // launched inside the span
  int64_t kernel_sum_ns = 0;                       // sum of their kernels' durations
  uint64_t launch_calls = 0;                       // kernel/graph launch calls inside the span
  int64_t wall_ns() const { return end_ns - start_ns; }
};

struct StepsResult {
  std::vector<StepRow> steps;   // in time order
  std::vector<size_t> slowest;  // indexes into steps, slowest first
  int64_t mean_wall_ns = 0, median_wall_ns = 0;
  int64_t tb_mean_ns[kTbParts] = {};  // mean over steps of each part
  std::string why_not;
};

StepsResult step_timeline(const Model& m);

// ---- Launch overhead ----
struct LaunchStats {
  uint64_t launch_calls = 0;    // kernel launch API calls (cudaLaunchKernel*, cuLaunchKernel*, hip…, graph launches)
  int64_t launch_api_ns = 0;    // their summed duration (host time)
  uint64_t graph_launches = 0;  // cudaGraphLaunch / hipGraphLaunch calls
  uint64_t kernels = 0;         // kernels whose launch call is in the trace
  int64_t kernel_ns = 0;        // their summed duration (GPU time)
  uint64_t graph_kernels = 0;   // of those, launched by a graph launch (CUDA-graph coverage)
  uint64_t shorter_than_launch = 0;  // kernels (not graph-launched) shorter than their launch call
  uint64_t tiny_kernels = 0;         // kernels under 10 µs
  int64_t tiny_kernel_ns = 0;
  int64_t median_kernel_ns = 0, median_launch_ns = 0;
  // Launch delay: kernel start − launch call start (queueing + launch latency).
  int64_t delay_p50_ns = 0, delay_p90_ns = 0, delay_max_ns = 0;
  std::string why_not;
};
LaunchStats launch_stats(const Model& m);

// ---- Synchronisations ----
struct SyncCaller {
  std::string call;    // the API: cudaStreamSynchronize …
  std::string op;      // the CPU operators around it, outermost first: "aten::item > aten::_local_scalar_dense"
  std::string python;  // the innermost Python frame around it (with_stack), or ""
  uint64_t calls = 0;
  int64_t host_ns = 0;      // time the host spent blocked in the call
  int64_t gpu_idle_ns = 0;  // GPU idle attributed to these calls (sync cause of the timeline)
};
struct SyncStats {
  uint64_t calls = 0;
  int64_t host_ns = 0, gpu_idle_ns = 0;
  std::vector<SyncCaller> callers;  // by GPU idle caused, then host time
};
SyncStats sync_stats(const Model& m, const TimelineResult& tl);

// ---- Copies (memcpy/memset) ----
struct CopyRow {
  std::string name;       // the activity name: "Memcpy HtoD (Pageable -> Device)"
  std::string direction;  // HtoD, DtoH, DtoD, HtoH, PtoP, memset
  bool pageable = false;  // host side is pageable memory (the copy is staged and blocks the host)
  uint64_t count = 0;
  int64_t bytes = 0;  // summed "bytes" arg (-1 when no activity carries it)
  int64_t total_ns = 0;
  uint64_t small = 0;  // under 64 KiB
  double gb_per_s() const {
    return total_ns > 0 && bytes > 0 ? static_cast<double>(bytes) / static_cast<double>(total_ns) : 0;
  }
};
struct CopyOpRow {
  std::string op;  // the operator that issued them (External id), "(unknown)" when none
  uint64_t count = 0, small = 0;
  int64_t bytes = 0, total_ns = 0;
};
struct CopyStats {
  std::vector<CopyRow> rows;     // by total time
  std::vector<CopyOpRow> by_op;  // by count
  uint64_t pageable_count = 0;
  int64_t pageable_bytes = 0, pageable_ns = 0;
  std::string why_not;
};
CopyStats copy_stats(const Model& m);

// ---- CPU operators (key_averages-like) ----
enum class OpSort : uint8_t {
  kCudaTotal,
  kCpuTotal,
  kSelfCuda,
  kSelfCpu,
  kCalls,
  kCudaMem,      // cuda_memory_usage
  kCpuMem,       // cpu_memory_usage
  kSelfCudaMem,  // self_cuda_memory_usage
  kSelfCpuMem,   // self_cpu_memory_usage
};
bool parse_op_sort(const std::string& s, OpSort& out);  // cuda_time_total, cpu_time_total, self_cuda_time_total,
                                                        // self_cpu_time_total, count, cuda_memory_usage,
                                                        // cpu_memory_usage, self_cuda_memory_usage,
                                                        // self_cpu_memory_usage
const std::vector<std::string>& op_sort_names();        // the keys above, in that order
struct OpRow {
  std::string name;   // ProfilerStep#N rows are merged into "ProfilerStep*" as PyTorch does
  std::string group;  // the group key's text when grouped (op_groups.h): input shapes, or Python frames ('\n')
  uint64_t calls = 0;
  int64_t cpu_total_ns = 0, cpu_self_ns = 0;    // duration; duration − nested host events
  int64_t cuda_total_ns = 0, cuda_self_ns = 0;  // GPU activities launched inside; launched by this op directly
  // Memory (PyTorch's "CPU Mem", "Self CPU Mem", "CUDA Mem", "Self CUDA Mem"): bytes allocated minus bytes freed
  // by the [memory] events attributed to the operator (memory_owners) — self: to it directly; total: to it or
  // any operator nested in it. CUDA = device types CUDA, HIP, PrivateUse1; CPU = CPU, MKLDNN, IDEEP.
  int64_t cpu_mem = 0, cpu_mem_self = 0;
  int64_t cuda_mem = 0, cuda_mem_self = 0;
};
struct ModuleRow {
  std::string module;                         // nn.Module class ("BertLayer"), innermost module around the operator
  uint64_t instances = 0;                     // module calls (python frames)
  int64_t cpu_self_ns = 0, cuda_self_ns = 0;  // of the operators directly inside it (no nested module)
};
struct OpTable {
  std::vector<OpRow> ops;          // sorted as asked
  std::vector<ModuleRow> modules;  // by cuda_self_ns, then cpu_self_ns; empty without nn.Module frames
  bool has_memory = false;         // the trace has [memory] events: the memory columns mean something
  std::string why_not;
};
// Grouping of the rows beyond the name (key_averages(group_by_input_shape / group_by_stack_n)): a key per event,
// built by op_group_keys (op_groups.h). nullptr = by name only.
struct OpGroupKeys {
  std::vector<uint32_t> key_of_event;  // per event: index into text
  std::vector<std::string> text;       // text[0] is the empty key
};
// `owners`: memory_owners(m) when the caller already has it, else computed here.
OpTable op_table(const Model& m, OpSort sort, const OpGroupKeys* group = nullptr,
                 const std::vector<uint32_t>* owners = nullptr);

// ---- Memory timeline (from "[memory]" allocator events, profile_memory=True) ----
// Every allocator event carries the allocator's totals after it ("Total Allocated", "Total Reserved"); the curve
// is those totals over time, per device (device_type 1 = CUDA, 0 = CPU; see is_accelerator_memory).
// 2021 traces carry only "Bytes": the allocated curve is then the running sum of Bytes from the first event
// (DeviceMemory::allocated_reconstructed; relative to the unknown amount allocated before the trace).
struct MemoryPoint {
  int64_t ts_ns = 0;
  int64_t allocated = 0;  // bytes allocated after the event (reconstructed from Bytes when the event did not say)
  int64_t reserved = 0;   // bytes reserved by the caching allocator after the event (-1 when not said)
};
struct DeviceMemory {
  int32_t device_type = -1;  // 1 CUDA, 0 CPU
  int32_t device_id = -1;
  uint64_t allocs = 0, frees = 0;
  int64_t allocated_bytes = 0;  // sum of positive "Bytes"
  int64_t freed_bytes = 0;      // sum of −"Bytes" of the frees
  int64_t peak_allocated = 0, peak_allocated_ts_ns = 0;
  int64_t peak_reserved = 0, peak_reserved_ts_ns = 0;  // 0 when !has_reserved
  int64_t max_unused_reserved = 0;  // largest reserved − allocated seen (allocator cache held but not in use)
  int64_t max_unused_reserved_ts_ns = 0;
  int64_t total_memory_bytes = -1;  // the device's memory from deviceProperties, -1 when not listed
  std::vector<MemoryPoint> curve;   // in time order, one point per event
  // Added to the contract:
  bool accelerator = false;              // CUDA/HIP/PrivateUse1 memory (is_accelerator_memory)
  bool has_reserved = false;             // some event carried "Total Reserved" (never for CPU: PyTorch writes 0)
  bool allocated_reconstructed = false;  // some event lacked "Total Allocated": its point is the running sum
  int64_t min_allocated = 0;             // lowest allocated seen (≈ weights and other long-lived tensors)
  int64_t first_ts_ns = 0, last_ts_ns = 0;
  // Segments: "Total Reserved" going up (the allocator asked the driver for memory: cudaMalloc) or down
  // (it gave memory back: cudaFree, after empty_cache() or an allocation retry under memory pressure).
  uint64_t reserved_growths = 0, reserved_releases = 0;
  int64_t reserved_grown_bytes = 0, reserved_released_bytes = 0;
  // Steady-state overhead of the allocator: peak_reserved − peak_allocated (cache that even the busiest moment
  // did not use: fragmentation, or memory kept from before the traced window). 0 when !has_reserved.
  int64_t reserved_overhead() const { return has_reserved ? std::max<int64_t>(0, peak_reserved - peak_allocated) : 0; }
};
// Allocator churn per ProfilerStep window (accelerator memory only).
struct MemoryStep {
  int64_t number = -1;
  uint64_t allocs = 0, frees = 0;
  int64_t allocated_bytes = 0;
  uint64_t reserved_growths = 0, reserved_releases = 0;
};
struct AllocatingOp {
  std::string op;  // the innermost CPU operator around the allocation on its thread, "(no operator)" when none
  uint64_t allocs = 0;
  int64_t bytes = 0;  // sum of allocated bytes
  // Added to the contract:
  uint64_t frees = 0;
  int64_t freed_bytes = 0;  // freed by events attributed to this operator (on accelerator devices)
};
struct MemoryTimeline {
  std::vector<DeviceMemory> devices;  // CUDA devices first, then CPU
  std::vector<AllocatingOp> top_ops;  // by bytes allocated on CUDA devices, descending
  bool top_ops_cpu = false;           // no CUDA memory events: top_ops are over CPU memory instead
  std::string why_not;                // set when the trace has no [memory] events
  // Added to the contract:
  uint64_t events = 0;            // [memory] events
  uint64_t unattributed = 0;      // events outside any cpu_op/user_annotation on their thread
  std::vector<MemoryStep> steps;  // per ProfilerStep window (empty without steps)
  uint64_t alloc_api_calls = 0;   // cudaMalloc/cudaFree-family host calls (allocator ↔ driver)
  int64_t alloc_api_ns = 0;       // their host time
};
// Device types whose memory counts as CUDA memory (PyTorch's device_memory_usage): CUDA 1, HIP 6,
// PrivateUse1 20; CPU memory: CPU 0, MKLDNN 2, IDEEP 5 (c10::DeviceType values).
bool is_accelerator_memory(int32_t device_type);
bool is_cpu_memory(int32_t device_type);
// cudaMalloc, cudaFree, cudaMallocAsync, cuMemAlloc…, cuMemFree…, cuMemCreate/cuMemRelease/cuMemMap/cuMemUnmap
// (expandable segments), hipMalloc, hipFree …: the calls by which the caching allocator talks to the driver.
bool is_alloc_api_name(const std::string& name);
// Per Trace::memory event: the innermost cpu_op/user_annotation on the same (pid, tid) whose [start, end)
// contains its ts (as the TensorBoard profiler plugin attributes them), kNoIndex when none. One sweep per thread
// over the events and the allocations sorted by time: O((n + m) log(n + m)).
std::vector<uint32_t> memory_owners(const Model& m);
// `owners`: memory_owners(m) when the caller already has it (it is the costly part), else computed here.
MemoryTimeline memory_timeline(const Model& m, const std::vector<uint32_t>* owners = nullptr);

// ---- Findings ----
// Every finding id the trace analyses can raise, documented in docs/findings.md (a test keeps them in step).
struct TraceRuleInfo {
  const char* id;
  const char* title;
};
const std::vector<TraceRuleInfo>& trace_rule_ids();

struct AnalysisSet {
  const TimelineResult* timeline = nullptr;
  const KernelSummary* kernels = nullptr;
  const StepsResult* steps = nullptr;
  const LaunchStats* launch = nullptr;
  const SyncStats* syncs = nullptr;
  const CopyStats* copies = nullptr;
  const MemoryTimeline* memory = nullptr;
};
std::vector<Finding> trace_findings(const Model& m, const AnalysisSet& a);

// Every analysis that `trace analyze`, its findings and `trace diff` use, run once on one model (the results
// point into it, so the object is not copied or moved).
struct TraceAnalyses {
  Model m;
  TimelineResult tl;
  KernelSummary ks;
  StepsResult st;
  LaunchStats ls;
  SyncStats sy;
  CopyStats cs;
  std::vector<uint32_t> owners;  // [memory] event -> operator: once, for the memory timeline and the op table
  MemoryTimeline mt;

  explicit TraceAnalyses(const Trace& t)
      : m(build_model(t)),
        tl(gpu_timeline(m)),
        ks(kernel_summary(m)),
        st(step_timeline(m)),
        ls(launch_stats(m)),
        sy(sync_stats(m, tl)),
        cs(copy_stats(m)),
        owners(memory_owners(m)),
        mt(memory_timeline(m, &owners)) {}
  TraceAnalyses(const TraceAnalyses&) = delete;
  TraceAnalyses& operator=(const TraceAnalyses&) = delete;

  AnalysisSet set() const {
    AnalysisSet an;
    an.timeline = &tl;
    an.kernels = &ks;
    an.steps = &st;
    an.launch = &ls;
    an.syncs = &sy;
    an.copies = &cs;
    an.memory = &mt;
    return an;
  }
};

}  // namespace infertune::trace
