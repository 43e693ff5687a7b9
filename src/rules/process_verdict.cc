#include "rules/process_verdict.h"

#include <algorithm>

#include "base/units.h"
#include "collect/proc_maps.h"

namespace infertune {

namespace {

std::string gib(int64_t b) { return units::bytes(static_cast<double>(b)); }

std::string gpu_name(const GpuDeviceFacts& d) { return "GPU " + std::to_string(d.index.value_or(0)); }

bool is_compute(const GpuProcessFacts& p) { return p.type.find("compute") != std::string::npos || p.type.empty(); }

std::string use_text(const TargetGpuUse& u) {
  std::string s = gpu_name(*u.gpu);
  s += u.process->used_memory_bytes ? ", " + gib(*u.process->used_memory_bytes) : ", memory unknown";
  if (u.process->sm_utilization_pct) {
    s += ", SM " + std::to_string(*u.process->sm_utilization_pct) + "%";
  } else {
    s += ", SM share unknown";
  }
  return s;
}

std::string library_list(const std::vector<MappedLibraryFacts>& libs) {
  std::vector<std::string> kinds;
  for (const auto& l : libs) {
    if (std::find(kinds.begin(), kinds.end(), l.kind) == kinds.end()) kinds.push_back(l.kind);
  }
  std::string out;
  for (const auto& k : kinds) out += (out.empty() ? "" : ", ") + k;
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}

}  // namespace

const char* target_state_name(TargetState s) {
  switch (s) {
    case TargetState::kNone: return "no process named";
    case TargetState::kBusy: return "on GPU and busy";
    case TargetState::kStarved: return "on GPU but starved";
    case TargetState::kOnGpu: return "on GPU";
    case TargetState::kNoContext: return "CUDA loaded but no GPU context";
    case TargetState::kNoCuda: return "no CUDA at all";
    case TargetState::kUndetermined: return "cannot tell";
  }
  return "?";
}

TargetMatch match_target(const Snapshot& s) {
  TargetMatch m;
  if (!s.target) return m;
  const auto& t = *s.target;
  const auto& devs = s.gpu.devices;
  if (!devs) {
    m.why_not = "the driver's list of GPU processes is not available (" + devs.unknown_why + ")";
    return m;
  }
  std::string lists_unknown;
  for (const auto& d : *devs) {
    if (!d.processes) {
      lists_unknown += (lists_unknown.empty() ? "" : "; ") + gpu_name(d) + ": " + d.processes.unknown_why;
      continue;
    }
    if (!t.host_pid) continue;
    for (const auto& p : *d.processes) {
      if (p.pid == *t.host_pid) m.uses.push_back({&d, &p});
    }
  }
  if (!t.host_pid) {
    m.why_not = "the driver reports host PIDs and the host PID of " + std::to_string(t.pid) +
                " is unknown: " + t.host_pid.unknown_why;
    return m;
  }
  if (!lists_unknown.empty() && m.uses.empty()) {
    m.why_not = "the driver's process list is unknown for " + lists_unknown;
    return m;
  }
  m.possible = true;
  return m;
}

TargetVerdict judge_target(const Snapshot& s) {
  TargetVerdict v;
  if (!s.target) return v;
  const auto& t = *s.target;
  v.who = "PID " + std::to_string(t.pid) + (t.comm ? " (" + *t.comm + ")" : "");
  v.match = match_target(s);

  // Evidence that every verdict shows.
  std::vector<MappedLibraryFacts> cuda;
  bool libcuda = false;
  if (t.cuda_libraries) {
    for (const auto& l : *t.cuda_libraries) {
      if (!kind_means_cuda(l.kind)) continue;
      cuda.push_back(l);
      if (l.kind == "libcuda") libcuda = true;
    }
    std::string text = t.cuda_libraries->empty() ? "none" : library_list(*t.cuda_libraries);
    v.evidence.push_back({"CUDA-related libraries mapped by " + v.who, text, t.cuda_libraries.source});
  } else {
    v.evidence.push_back({"CUDA-related libraries mapped by " + v.who, "unknown: " + t.cuda_libraries.unknown_why, ""});
  }
  if (t.gpu_device_files) {
    v.evidence.push_back({"/dev/nvidia* open", t.gpu_device_files->empty() ? "none" : join(*t.gpu_device_files),
                          t.gpu_device_files.source});
  } else {
    v.evidence.push_back({"/dev/nvidia* open", "unknown: " + t.gpu_device_files.unknown_why, ""});
  }
  if (t.host_pid) {
    std::string ns;
    if (t.ns_pids && t.ns_pids->size() > 1) {
      std::vector<std::string> parts;
      for (auto p : *t.ns_pids) parts.push_back(std::to_string(p));
      ns = " (NSpid " + join(parts) + ")";
    }
    v.evidence.push_back({"host PID", std::to_string(*t.host_pid) + ns, t.host_pid.source});
  }

  const auto& devs = s.gpu.devices;
  if (!v.match.uses.empty()) {
    bool any_sm = false;
    int64_t best_sm = 0;
    for (const auto& u : v.match.uses) {
      v.evidence.push_back(
          {"driver's process entry for " + v.who, use_text(u) + " (" + u.process->type + ")", devs.source});
      if (u.process->sm_utilization_pct) {
        any_sm = true;
        best_sm = std::max(best_sm, *u.process->sm_utilization_pct);
      }
    }
    std::vector<std::string> uses;
    for (const auto& u : v.match.uses) uses.push_back(use_text(u));
    if (!any_sm) {
      v.state = TargetState::kOnGpu;
      std::string why = v.match.uses.front().process->sm_utilization_pct.unknown_why;
      for (const auto& u : v.match.uses) {
        if (u.gpu->utilization_gpu_pct) {
          v.evidence.push_back({gpu_name(*u.gpu) + " utilization (whole GPU, all processes)",
                                std::to_string(*u.gpu->utilization_gpu_pct) + "%", u.gpu->utilization_gpu_pct.source});
        }
      }
      v.line = "on GPU (" + join(uses) + "); its own SM share is unknown" + (why.empty() ? "" : " (" + why + ")");
    } else if (best_sm >= kStarvedSmPct) {
      v.state = TargetState::kBusy;
      v.line = "on GPU and busy: " + join(uses) + " over the sampling window";
    } else {
      v.state = TargetState::kStarved;
      v.line = "on GPU but starved: " + join(uses) + " over the sampling window (below " +
               std::to_string(kStarvedSmPct) + "%)";
    }
    return v;
  }

  if (t.cuda_libraries && cuda.empty()) {
    v.state = TargetState::kNoCuda;
    v.line = "no CUDA at all: " + v.who + " has no CUDA library mapped (" + t.cuda_libraries.source + ")";
    return v;
  }
  std::string libs = cuda.empty() ? "" : library_list(cuda) + " mapped";
  if (v.match.possible) {
    std::string listed;
    size_t n = 0;
    for (const auto& d : *devs) {
      if (!d.processes) continue;
      for (const auto& p : *d.processes) {
        ++n;
        listed += (listed.empty() ? "" : ", ") + gpu_name(d) + " pid " + std::to_string(p.pid);
      }
    }
    v.evidence.push_back({"processes the driver lists on the GPUs", n == 0 ? "none" : listed, devs.source});
    v.state = TargetState::kNoContext;
    v.line = std::string(t.cuda_libraries ? "CUDA loaded but no GPU context" : "no GPU context") +
             ": the driver lists no GPU context for host PID " + std::to_string(*t.host_pid) +
             (libs.empty() ? "" : " (" + libs + ")");
    return v;
  }
  if (t.gpu_device_files && t.gpu_device_files->empty()) {
    // Every CUDA context keeps /dev/nvidiactl and /dev/nvidiaN open: none open means none exists.
    v.state = TargetState::kNoContext;
    v.line = std::string(t.cuda_libraries ? "CUDA loaded but no GPU context" : "no GPU context") +
             ": no /dev/nvidia* file is open" + (libs.empty() ? "" : " (" + libs + ")") +
             (libcuda ? "; libcuda is loaded but the driver was never opened" : "");
    return v;
  }
  v.state = TargetState::kUndetermined;
  v.line = "cannot tell whether " + v.who + " has a GPU context: " + v.match.why_not;
  return v;
}

std::vector<SharingProcess> processes_sharing_target_gpus(const Snapshot& s, const TargetMatch& m) {
  std::vector<SharingProcess> out;
  if (!s.target || !s.target->host_pid) return out;
  int64_t host = *s.target->host_pid;
  for (const auto& u : m.uses) {
    if (!u.gpu->processes) continue;
    for (const auto& p : *u.gpu->processes) {
      if (p.pid != host && is_compute(p)) out.push_back({u.gpu, &p});
    }
  }
  return out;
}

}  // namespace infertune
