// The first GPU rule: is any NVIDIA GPU visible at all? The GPU checks proper (driver, NVML, CUDA,
// per-process use) build on this.

#include <string>

#include "rules/rule.h"

namespace infertune {

namespace {

void check_none_visible(const Snapshot& s, std::vector<Finding>& out) {
  const auto& pci = s.gpu.nvidia_pci_devices;
  if (!pci || !pci->empty()) return;                     // unknown, or a GPU is there
  if (s.gpu.devices && !s.gpu.devices->empty()) return;  // the driver reports GPUs (imported nvidia-smi output)
  Finding f;
  f.id = "GPU-NONE-VISIBLE";
  f.severity = Severity::kError;
  f.title = "No NVIDIA GPU is visible on this machine";
  f.evidence.push_back(evidence_of("NVIDIA devices on the PCI bus", pci, "none"));
  const auto& nodes = s.gpu.device_nodes;
  if (nodes) {
    std::string list;
    for (const auto& n : *nodes) list += (list.empty() ? "" : ", ") + n;
    f.evidence.push_back(evidence_of("NVIDIA device nodes", nodes, list.empty() ? "none" : list));
  }
  bool container = s.container.in_container && *s.container.in_container;
  if (container) {
    f.evidence.push_back(evidence_of("running in a container", s.container.in_container,
                                     s.container.runtime ? *s.container.runtime : "yes"));
  }
  f.impact = "Any model served from here runs on the CPU.";
  f.fix = container ? "Check the node first (lspci -nn | grep -i nvidia on the host). A container sees the GPU only "
                      "when started with it: docker run --gpus all ... (NVIDIA Container Toolkit), or in Kubernetes "
                      "request it: resources.limits: nvidia.com/gpu: 1"
                    : "Run this on the GPU node. If this is one: lspci -nn | grep -i nvidia should list the GPU; when "
                      "it does not, the instance type has no GPU or the device is not passed through to this VM.";
  f.weight = 1.0;
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Rule> gpu_presence_rules() {
  return {
      {"GPU-NONE-VISIBLE", "gpu", check_none_visible},
  };
}

}  // namespace infertune
