#pragma once
// Is the serving process (--pid / --process) really using the GPU? A pure judgement over the Snapshot: the
// target's host PID is matched against the processes the driver lists per GPU (NVML or nvidia-smi), backed
// by what the process has mapped (/proc/<pid>/maps) and holds open (/dev/nvidia* in /proc/<pid>/fd).
// Used by the PROCESS-* rules (process_rules.cc) and by the `gpu` view.

#include <cstdint>
#include <string>
#include <vector>

#include "facts/snapshot.h"
#include "report/finding.h"

namespace infertune {

// Below this share of SM time over the sampling window a process holding a GPU context counts as starved.
inline constexpr int64_t kStarvedSmPct = 20;

enum class TargetState {
  kNone,          // no --pid / --process
  kBusy,          // GPU context, SM share >= kStarvedSmPct
  kStarved,       // GPU context and memory, SM share below kStarvedSmPct
  kOnGpu,         // GPU context; the per-process SM share is unknown
  kNoContext,     // CUDA libraries loaded (or unknown) but no GPU context: the model runs on the CPU
  kNoCuda,        // no CUDA library mapped at all
  kUndetermined,  // cannot tell (say why)
};

const char* target_state_name(TargetState s);  // "on GPU and busy", ...

// One GPU on which the driver lists the target.
struct TargetGpuUse {
  const GpuDeviceFacts* gpu = nullptr;
  const GpuProcessFacts* process = nullptr;
};

struct TargetMatch {
  bool possible = false;  // the driver's process lists and the host PID are both known
  std::string why_not;    // when !possible: why the target cannot be matched
  std::vector<TargetGpuUse> uses;
};

// Matches the target's host PID (NSpid, outermost) against gpu.devices[].processes[].pid.
TargetMatch match_target(const Snapshot& s);

struct TargetVerdict {
  TargetState state = TargetState::kNone;
  std::string who;   // "PID 1234 (python3)"
  std::string line;  // one line: "on GPU and busy: GPU 0, 12.0 GiB, SM 87% over the sampling window"
  std::vector<Evidence> evidence;
  TargetMatch match;
};

TargetVerdict judge_target(const Snapshot& s);

// Other compute processes on the GPUs the target uses (empty unless the target is matched on a GPU).
struct SharingProcess {
  const GpuDeviceFacts* gpu = nullptr;
  const GpuProcessFacts* process = nullptr;
};
std::vector<SharingProcess> processes_sharing_target_gpus(const Snapshot& s, const TargetMatch& m);

}  // namespace infertune
