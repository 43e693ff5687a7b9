// Is the serving process (--pid / --process) really using the GPU, and does it have the GPU to itself?
// Exactly one PROCESS-* verdict fires when a process was named; GPU-SHARED-WITH-PROCESSES adds the other
// compute processes on its GPUs. Pure functions of the Snapshot (the judgement is in process_verdict.cc).

#include <string>

#include "base/units.h"
#include "rules/process_verdict.h"
#include "rules/rule.h"

namespace infertune {

namespace {

Finding verdict_finding(const TargetVerdict& v, const char* id, Severity sev, std::string title) {
  Finding f;
  f.id = id;
  f.severity = sev;
  f.title = std::move(title);
  f.evidence = v.evidence;
  f.evidence.insert(f.evidence.begin(), Evidence{"verdict", v.line, ""});
  return f;
}

void check_busy(const Snapshot& s, std::vector<Finding>& out) {
  auto v = judge_target(s);
  if (v.state != TargetState::kBusy) return;
  Finding f = verdict_finding(v, "PROCESS-ON-GPU-BUSY", Severity::kInfo, v.who + " is on the GPU and busy");
  f.fix =
      "Nothing to fix here: the process computes on the GPU. If it is still slow, measure where the time "
      "goes (infertune trace on a PyTorch profiler trace) and whether the GPU delivers its datasheet speed.";
  out.push_back(std::move(f));
}

void check_starved(const Snapshot& s, std::vector<Finding>& out) {
  auto v = judge_target(s);
  if (v.state != TargetState::kStarved) return;
  Finding f = verdict_finding(v, "PROCESS-ON-GPU-STARVED", Severity::kWarning,
                              v.who + " holds a GPU context but barely uses the GPU's SMs");
  f.impact = "The GPU waits most of the time: throughput is limited by what feeds it, not by the GPU.";
  f.fix =
      "If the service was under load while this ran: the GPU waits on the CPU side (tokenization, "
      "pre/post-processing, Python overhead, small or unbatched requests, host<->device copies, a CPU quota). "
      "Enable batching, raise concurrency, move pre-processing off the request path, and profile a request "
      "(infertune trace). If the service was idle, run this again while it serves traffic.";
  f.weight = 0.6;
  out.push_back(std::move(f));
}

void check_on_gpu(const Snapshot& s, std::vector<Finding>& out) {
  auto v = judge_target(s);
  if (v.state != TargetState::kOnGpu) return;
  Finding f = verdict_finding(v, "PROCESS-ON-GPU", Severity::kInfo,
                              v.who + " holds a GPU context; how busy it keeps the GPU is unknown");
  f.fix =
      "For the process's own SM share, run infertune on the GPU machine itself (NVML per-process samples); "
      "nvidia-smi -q -x output does not carry it.";
  out.push_back(std::move(f));
}

void check_no_context(const Snapshot& s, std::vector<Finding>& out) {
  auto v = judge_target(s);
  if (v.state != TargetState::kNoContext) return;
  Finding f = verdict_finding(v, "PROCESS-NOT-ON-GPU", Severity::kError,
                              v.who + " has no GPU context: the model runs on the CPU");
  f.impact = "CPU inference is typically 10-100x slower than on the GPU.";
  f.fix =
      "Check inside the serving environment: python -c 'import torch; print(torch.cuda.is_available())' "
      "(False: the container lacks GPU access, CUDA_VISIBLE_DEVICES hides the GPUs, or the driver is too old "
      "for the framework's CUDA). Make sure the model is placed on the GPU (model.to('cuda'), --device cuda, "
      "device_map); for ONNX Runtime install onnxruntime-gpu and pass providers=['CUDAExecutionProvider']. "
      "If this process is only a front end whose workers hold the GPU, name a worker with --pid.";
  f.weight = 1.0;
  out.push_back(std::move(f));
}

void check_no_cuda(const Snapshot& s, std::vector<Finding>& out) {
  auto v = judge_target(s);
  if (v.state != TargetState::kNoCuda) return;
  Finding f = verdict_finding(v, "PROCESS-NO-CUDA", Severity::kError,
                              v.who + " has no CUDA library loaded: it cannot use a GPU");
  f.impact = "Everything runs on the CPU.";
  f.fix =
      "Install the CUDA build of the framework: PyTorch from the CUDA wheel index (pip install torch "
      "--index-url https://download.pytorch.org/whl/cu124), onnxruntime-gpu instead of onnxruntime, "
      "tensorflow[and-cuda]. Some frameworks load CUDA only on first GPU use: check again once the model is "
      "loaded, and make sure --pid names the process that runs the model.";
  f.weight = 0.9;
  out.push_back(std::move(f));
}

void check_undetermined(const Snapshot& s, std::vector<Finding>& out) {
  auto v = judge_target(s);
  if (v.state != TargetState::kUndetermined) return;
  Finding f = verdict_finding(v, "PROCESS-GPU-UNDETERMINED", Severity::kWarning,
                              "Cannot tell whether " + v.who + " uses the GPU");
  f.fix =
      "Run infertune where both the process and the driver's process list are visible: on the host, or in "
      "a container sharing the host PID namespace, as the process's user or root (or import nvidia-smi -q -x "
      "output taken on the host with --from-smi-xml).";
  out.push_back(std::move(f));
}

void check_shared(const Snapshot& s, std::vector<Finding>& out) {
  auto v = judge_target(s);
  auto others = processes_sharing_target_gpus(s, v.match);
  if (others.empty()) return;
  Finding f;
  f.id = "GPU-SHARED-WITH-PROCESSES";
  f.severity = Severity::kWarning;
  int64_t mem = 0;
  bool mem_known = true;
  for (const auto& o : others) {
    std::string val = o.process->type;
    if (o.process->used_memory_bytes) {
      mem += *o.process->used_memory_bytes;
      val += ", " + units::bytes(static_cast<double>(*o.process->used_memory_bytes));
    } else {
      mem_known = false;
      val += ", memory unknown";
    }
    if (o.process->sm_utilization_pct) val += ", SM " + std::to_string(*o.process->sm_utilization_pct) + "%";
    f.evidence.push_back({"GPU " + std::to_string(o.gpu->index.value_or(0)) + " also runs pid " +
                              std::to_string(o.process->pid) + (o.process->name.empty() ? "" : " " + o.process->name),
                          val, s.gpu.devices.source});
  }
  f.title = std::to_string(others.size()) + " other compute process" + (others.size() == 1 ? "" : "es") +
            " share the GPU with " + v.who;
  if (mem_known) f.title += " (" + units::bytes(static_cast<double>(mem)) + " of GPU memory)";
  f.impact =
      "Kernels of the other processes time-slice with the serving process's and take GPU memory: "
      "latency rises and varies with their load.";
  f.fix =
      "Give the serving process a GPU of its own (CUDA_VISIBLE_DEVICES, a Kubernetes nvidia.com/gpu request) "
      "or stop the other jobs; if sharing is intended, partition the GPU with MIG or run the processes under "
      "MPS.";
  f.weight = 0.5;
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Rule> process_rules() {
  return {
      {"PROCESS-NOT-ON-GPU", "gpu", check_no_context},
      {"PROCESS-NO-CUDA", "gpu", check_no_cuda},
      {"PROCESS-ON-GPU-STARVED", "gpu", check_starved},
      {"PROCESS-ON-GPU-BUSY", "gpu", check_busy},
      {"PROCESS-ON-GPU", "gpu", check_on_gpu},
      {"PROCESS-GPU-UNDETERMINED", "gpu", check_undetermined},
      {"GPU-SHARED-WITH-PROCESSES", "gpu", check_shared},
  };
}

}  // namespace infertune
