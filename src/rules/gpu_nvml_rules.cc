// Rules over what NVML and the CUDA driver API answered (or did not): library/driver mismatch, cuInit failure
// with its meaning, probes that overran their deadline, GPUs lost. Pure functions of the Snapshot.

#include <string>

#include "rules/rule.h"

namespace infertune {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

constexpr const char* kReloadFix =
    "Reboot the machine (the usual cause is a driver package upgraded without a reboot), or reload the kernel "
    "module when no process uses the GPU: sudo systemctl stop nvidia-persistenced; sudo rmmod nvidia_uvm "
    "nvidia_drm nvidia_modeset nvidia; sudo modprobe nvidia. In a container, never install driver libraries "
    "(libnvidia-ml, libcuda) in the image: the NVIDIA Container Toolkit mounts the host's matching ones.";

void check_lib_mismatch(const Snapshot& s, std::vector<Finding>& out) {
  const auto& nv = s.gpu.nvml;
  const auto& kmod = s.gpu.driver.kernel_module_version;
  bool nvml_says = nv.init_result && *nv.init_result == "NVML_ERROR_LIB_RM_VERSION_MISMATCH";
  const auto& cu = s.gpu.cuda;
  bool files_differ = nv.library_version && kmod && *nv.library_version != *kmod;
  bool cuda_differs = cu.library_version && kmod && *cu.library_version != *kmod;
  if (!nvml_says && !files_differ && !cuda_differs) return;
  Finding f;
  f.id = "GPU-DRIVER-LIB-MISMATCH";
  f.severity = Severity::kError;
  f.title = "NVIDIA user-space library and kernel module versions differ";
  if (nvml_says) {
    f.evidence.push_back(
        evidence_of("nvmlInit", nv.init_result, *nv.init_result + (nv.init_error ? " (" + *nv.init_error + ")" : "")));
  }
  if (nv.library_version) {
    f.evidence.push_back(evidence_of("NVML library file version", nv.library_version, *nv.library_version));
  }
  if (cuda_differs) {
    f.evidence.push_back(
        evidence_of("CUDA driver library (libcuda) file version", cu.library_version, *cu.library_version));
  }
  if (kmod) f.evidence.push_back(evidence_of("nvidia kernel module version", kmod, *kmod));
  f.impact =
      "nvidia-smi fails with 'Failed to initialize NVML: Driver/library version mismatch' and CUDA cannot "
      "start: every model falls back to the CPU or fails.";
  f.fix = kReloadFix;
  f.weight = 0.95;
  out.push_back(std::move(f));
}

struct CudaErrorAdvice {
  int code;
  const char* meaning;
  const char* fix;
};

// What the common cuInit failures mean on a serving machine, and what to do.
constexpr CudaErrorAdvice kCudaAdvice[] = {
    {100, "no CUDA-capable GPU is visible to this process",
     "Check CUDA_VISIBLE_DEVICES (empty, -1 or a wrong index hides every GPU), that /dev/nvidia0 and "
     "/dev/nvidiactl exist here, and in a container that it was started with the GPU (docker run --gpus all, or "
     "resources.limits: nvidia.com/gpu: 1 in Kubernetes)."},
    {999,
     "the driver failed in a way it could not name; most often the nvidia_uvm module is not loaded, or the "
     "GPU is in a bad state after a suspend/resume or an Xid error",
     "sudo modprobe nvidia_uvm (or run nvidia-modprobe -u -c=0), check dmesg | grep -i -e xid -e nvrm, and reboot "
     "if the GPU reported an Xid error."},
    {304,
     "an operating-system call inside the driver failed: typically /dev/nvidia-uvm is missing or not "
     "accessible, or a sandbox (seccomp, read-only /dev) blocks the driver's ioctl/mmap calls",
     "Check ls -l /dev/nvidia-uvm* (create it with nvidia-modprobe -u -c=0 on the host), the device cgroup of "
     "the container, and that the process may open /dev/nvidia*."},
    {803, "the CUDA driver library (libcuda) does not match the loaded kernel module",
     "Same cause and fix as a library/driver mismatch (GPU-DRIVER-LIB-MISMATCH): reboot after a driver upgrade, "
     "and do not ship libcuda in the image; the NVIDIA Container Toolkit mounts the host's."},
    {804,
     "a CUDA forward-compatibility package (cuda-compat, libcuda from /usr/local/cuda/compat) is in use on a "
     "GPU that does not support forward compatibility (only datacenter GPUs do)",
     "Remove the compat directory from LD_LIBRARY_PATH (or the cuda-compat package from the image), or upgrade "
     "the host driver to one that supports the CUDA version the framework needs."},
    {3, "CUDA is not initialized (the driver library answered before cuInit succeeded)",
     "Usually follows another failure: look at the driver and device-node findings above."},
    {46, "the GPUs are busy or unavailable: in Exclusive_Process compute mode another process already holds them",
     "Find the process holding the GPU (nvidia-smi), or set the default compute mode: sudo nvidia-smi -c DEFAULT."},
    {2, "cuInit could not allocate memory for the driver's own state",
     "Check host memory and the container's memory limit, and the locked-memory limit (ulimit -l)."},
    {34, "the CUDA toolkit's stub libcuda (lib64/stubs) was loaded instead of the driver's libcuda",
     "Remove the stubs directory from LD_LIBRARY_PATH; the real libcuda.so.1 comes with the driver."},
    {802, "the system is not ready: on NVSwitch systems (HGX A100/H100) the fabric manager is not running",
     "sudo systemctl enable --now nvidia-fabricmanager (its version must match the driver's)."},
    {101, "CUDA_VISIBLE_DEVICES names a device that does not exist",
     "List the GPUs with nvidia-smi -L and set CUDA_VISIBLE_DEVICES to existing indices or UUIDs."},
};

void check_cuinit(const Snapshot& s, std::vector<Finding>& out) {
  const auto& c = s.gpu.cuda;
  if (!c.init_result || *c.init_result == 0) return;
  int code = static_cast<int>(*c.init_result);
  std::string name = c.init_error_name ? *c.init_error_name : "CUDA error " + std::to_string(code);
  Finding f;
  f.id = "GPU-CUINIT-FAILED";
  f.severity = Severity::kError;
  const CudaErrorAdvice* advice = nullptr;
  for (const auto& a : kCudaAdvice) {
    if (a.code == code) advice = &a;
  }
  f.title = "CUDA cannot start: cuInit failed with " + name + " (" + std::to_string(code) + ")";
  std::string value = name + " (" + std::to_string(code) + ")";
  if (c.init_error_string) value += ": " + *c.init_error_string;
  f.evidence.push_back(evidence_of("cuInit(0)", c.init_result, value));
  f.evidence.push_back({"what it means", advice ? advice->meaning : "see the CUDA driver API documentation of " + name,
                        "infertune's table of cuInit errors"});
  if (s.process.env) {
    auto it = s.process.env->find("CUDA_VISIBLE_DEVICES");
    if (it != s.process.env->end()) {
      f.evidence.push_back(evidence_of("CUDA_VISIBLE_DEVICES", s.process.env, it->second));
    }
  }
  if (c.library) f.evidence.push_back(evidence_of("CUDA driver library", c.library, *c.library));
  f.impact =
      "Every CUDA framework (PyTorch, TensorFlow, ONNX Runtime, TensorRT) fails the same way or silently "
      "runs on the CPU.";
  f.fix =
      advice ? advice->fix : "Check dmesg | grep -i nvrm and the driver installation; reboot after a driver change.";
  f.weight = 0.9;
  out.push_back(std::move(f));
}

void check_timeouts(const Snapshot& s, std::vector<Finding>& out) {
  std::vector<std::string> all;
  if (s.gpu.nvml.timed_out) all.insert(all.end(), s.gpu.nvml.timed_out->begin(), s.gpu.nvml.timed_out->end());
  if (s.gpu.cuda.timed_out) all.insert(all.end(), s.gpu.cuda.timed_out->begin(), s.gpu.cuda.timed_out->end());
  if (all.empty()) return;
  Finding f;
  f.id = "GPU-PROBE-TIMEOUT";
  f.severity = Severity::kError;
  f.title = "The GPU driver did not answer: " + all.front();
  if (s.gpu.nvml.timed_out && !s.gpu.nvml.timed_out->empty()) {
    f.evidence.push_back(
        evidence_of("NVML calls past their deadline", s.gpu.nvml.timed_out, join(*s.gpu.nvml.timed_out)));
  }
  if (s.gpu.cuda.timed_out && !s.gpu.cuda.timed_out->empty()) {
    f.evidence.push_back(
        evidence_of("CUDA calls past their deadline", s.gpu.cuda.timed_out, join(*s.gpu.cuda.timed_out)));
  }
  f.impact =
      "A driver call that hangs here hangs the serving process too (CUDA init, nvidia-smi, monitoring "
      "agents); the facts after it could not be read.";
  f.fix =
      "Look for Xid errors: dmesg | grep -i -e xid -e nvrm. Check whether nvidia-smi hangs too. With persistence "
      "mode off the first call after idle can take seconds (sudo nvidia-smi -pm 1); a GPU that stays wedged needs "
      "a reset (sudo nvidia-smi -r -i <index>, with no process on it) or a reboot.";
  f.weight = 0.85;
  out.push_back(std::move(f));
}

void check_lost(const Snapshot& s, std::vector<Finding>& out) {
  const auto& lost = s.gpu.nvml.gpu_lost;
  if (!lost || lost->empty()) return;
  Finding f;
  f.id = "GPU-LOST";
  f.severity = Severity::kError;
  f.title = "A GPU fell off the bus during the probe (NVML_ERROR_GPU_IS_LOST)";
  f.evidence.push_back(evidence_of("NVML answers", lost, join(*lost)));
  f.impact = "Every process on that GPU has lost its context; the GPU stays unusable until it is reset.";
  f.fix =
      "dmesg | grep -i xid (Xid 79: GPU has fallen off the bus). Drain the node and reboot it; if it recurs, "
      "check power delivery, cooling and the PCIe riser/seating, and have the GPU replaced.";
  f.weight = 1.0;
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Rule> gpu_nvml_rules() {
  return {
      {"GPU-DRIVER-LIB-MISMATCH", "gpu", check_lib_mismatch},
      {"GPU-CUINIT-FAILED", "gpu", check_cuinit},
      {"GPU-PROBE-TIMEOUT", "gpu", check_timeouts},
      {"GPU-LOST", "gpu", check_lost},
  };
}

}  // namespace infertune
