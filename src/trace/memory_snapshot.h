#pragma once
// `infertune trace memory SNAPSHOT.pickle`: the CUDA caching allocator's state as written by
// `torch.cuda.memory._dump_snapshot(path)` (a pickled dict, read with the safe reader in pickle.h), the
// analyses (per device: segments, allocated/active/inactive bytes, fragmentation, largest allocations with
// their Python frames, peak replayed from device_traces, OOM events) and the Report.
//
// Structure (torch/csrc/cuda/Module.cpp, torch/cuda/memory.py): {"segments": [{device, address, total_size,
// allocated_size, active_size, requested_size, stream, segment_type 'large'|'small', segment_pool_id,
// is_expandable, frames, blocks: [{address, size, requested_size, state, frames: [{filename, line, name}]}]}],
// "device_traces": [[{action, addr | device_free (oom), size, stream, time_us, frames}]],
// "allocator_settings": {PYTORCH_CUDA_ALLOC_CONF, expandable_segments, ...}}. Missing keys are tolerated
// (older/newer PyTorch); a key with the wrong type is counted, reported and ignored.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "report/report.h"
#include "trace/pickle.h"

namespace infertune::trace {

enum class SnapshotBlockState { kAllocated, kPendingFree, kInactive, kUnknown };

struct MemBlock {
  uint64_t address = 0;
  uint64_t size = 0;
  uint64_t requested_size = 0;
  SnapshotBlockState state = SnapshotBlockState::kUnknown;
  pickle::Value frames;  // list of {filename, line, name}; invalid when absent
};

struct MemSegment {
  int64_t device = 0;
  uint64_t address = 0;
  uint64_t total_size = 0;
  uint64_t allocated_size = 0;
  uint64_t active_size = 0;
  uint64_t requested_size = 0;
  int64_t stream = 0;
  bool large = true;  // segment_type 'large' (default when absent: most bytes live there)
  bool expandable = false;
  std::vector<MemBlock> blocks;
};

enum class MemAction {
  kAlloc,
  kFreeRequested,
  kFreeCompleted,
  kSegmentAlloc,
  kSegmentFree,
  kSegmentMap,
  kSegmentUnmap,
  kSnapshot,
  kOom,
  kOther
};

struct MemTraceEntry {
  MemAction action = MemAction::kOther;
  uint64_t addr = 0;
  uint64_t size = 0;
  uint64_t device_free = 0;  // oom: free device memory reported by the driver
  int64_t stream = 0;
  std::optional<int64_t> time_us;
  pickle::Value frames;
};

struct MemorySnapshot {
  std::string path;
  uint64_t file_bytes = 0;
  uint64_t pickle_bytes = 0;  // after gunzip
  bool gzip = false;
  std::shared_ptr<const pickle::Document> doc;  // owns what the pickle::Values point at
  std::vector<MemSegment> segments;
  std::vector<std::vector<MemTraceEntry>> traces;  // device_traces, index = device
  bool has_device_traces = false;
  bool has_allocator_settings = false;
  std::optional<bool> expandable_setting;  // allocator_settings.expandable_segments
  std::string alloc_conf;                  // allocator_settings.PYTORCH_CUDA_ALLOC_CONF
  // What did not have the documented type, by field ("segments[].total_size is str"), with counts.
  std::map<std::string, uint64_t> problems;
  uint64_t problem_count() const;
};

// Reads a snapshot file the user named (plain or gzip). Errors name the file: "memory snapshot x.pickle: ...".
Result<MemorySnapshot> read_memory_snapshot_file(const std::string& path);
// The same from bytes in memory (tests, fuzzing); `path` is only used in messages.
Result<MemorySnapshot> read_memory_snapshot_bytes(std::string bytes, const std::string& path);

// Python frames as the report shows them (see user_frames in the .cc for the rule).
struct SnapshotFrame {
  std::string filename;
  int64_t line = 0;
  std::string name;
};
std::vector<SnapshotFrame> user_frames(pickle::Value frames, size_t max_frames, bool* all_internal = nullptr);

struct SnapshotAllocation {
  uint64_t address = 0;
  uint64_t size = 0;
  uint64_t requested_size = 0;
  bool pending_free = false;
  pickle::Value frames;
};

struct SnapshotOom {
  size_t index = 0;  // in the device's trace
  uint64_t size = 0;
  uint64_t device_free = 0;
  std::optional<int64_t> time_us;
  int64_t allocated = -1;  // replayed at that moment; -1 when unknown
  int64_t reserved = -1;
  pickle::Value frames;
};

struct SnapshotDevice {
  int64_t device = 0;
  uint64_t segments = 0, large_segments = 0, small_segments = 0, expandable_segments = 0;
  uint64_t reserved = 0, reserved_large = 0, reserved_small = 0;
  uint64_t allocated = 0;     // blocks active_allocated
  uint64_t pending_free = 0;  // blocks active_pending_free (freed, waiting on another stream)
  uint64_t inactive = 0;      // free blocks inside segments
  uint64_t requested = 0;     // requested_size of the allocated blocks
  uint64_t allocated_blocks = 0;
  uint64_t largest_free_block = 0;
  uint64_t largest_request = 0;  // largest alloc in the trace, else the largest live block
  bool largest_request_from_trace = false;
  std::vector<SnapshotAllocation> largest;  // top N live blocks, largest first
  // Replay of device_traces, anchored at the snapshot's end state (see replay() in the .cc).
  size_t trace_entries = 0;
  bool replayed = false;
  int64_t peak_allocated = 0;
  int64_t peak_reserved = 0;
  std::optional<size_t> peak_index;  // trace entry that reached the peak; none when the peak is the start
  int64_t start_allocated = 0;       // at the first recorded entry
  bool replay_inconsistent = false;  // the anchored replay went below zero
  std::vector<SnapshotOom> ooms;
};

struct SnapshotAnalysis {
  std::vector<SnapshotDevice> devices;
  bool expandable_enabled = false;  // the setting, or any expandable segment
};

SnapshotAnalysis analyze_memory(const MemorySnapshot& s, size_t top);

// Finding ids of `trace memory`, for the docs test.
struct MemoryRuleInfo {
  const char* id;
  const char* title;
};
const std::vector<MemoryRuleInfo>& memory_rule_ids();
std::vector<Finding> memory_findings(const MemorySnapshot& s, const SnapshotAnalysis& a);

Report memory_snapshot_report(const MemorySnapshot& s, size_t top);

}  // namespace infertune::trace
