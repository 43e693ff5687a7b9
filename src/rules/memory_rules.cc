// Memory rules: cgroup limit and OOM kills, swap, /dev/shm size, memlock limit.

#include <algorithm>
#include <string>

#include "base/units.h"
#include "rules/rule.h"

namespace infertune {

namespace {

std::string b(int64_t v) { return units::bytes(static_cast<double>(v)); }

void check_limit_near(const Snapshot& s, std::vector<Finding>& out) {
  const auto& cg = s.cgroup;
  if (!cg.memory_limit_bytes || *cg.memory_limit_bytes <= 0 || !cg.memory_usage_bytes) return;
  int64_t limit = *cg.memory_limit_bytes;
  // Page cache that the kernel reclaims before an OOM kill is not pressure.
  int64_t cache = cg.memory_inactive_file_bytes ? *cg.memory_inactive_file_bytes : 0;
  int64_t working = std::max<int64_t>(0, *cg.memory_usage_bytes - cache);
  double ratio = static_cast<double>(working) / static_cast<double>(limit);
  if (ratio < 0.9) return;
  Finding f;
  f.id = "MEMORY-LIMIT-NEAR";
  f.severity = ratio >= 0.97 ? Severity::kError : Severity::kWarning;
  f.title = "The container uses " + units::percent(ratio) + " of its memory limit";
  f.evidence.push_back(evidence_of("memory limit (cgroup)", cg.memory_limit_bytes, b(limit)));
  f.evidence.push_back(evidence_of("memory in use", cg.memory_usage_bytes, b(*cg.memory_usage_bytes)));
  if (cache > 0) {
    f.evidence.push_back(evidence_of("of which reclaimable page cache", cg.memory_inactive_file_bytes, b(cache)));
  }
  f.impact =
      "At the limit the kernel reclaims aggressively (stalls) and then OOM-kills the largest process — "
      "usually the model server, which then reloads the model.";
  f.fix =
      "Raise the limit (Kubernetes resources.limits.memory; Docker --memory) to peak use plus headroom, or "
      "reduce host-side memory: fewer worker processes, smaller DataLoader prefetch, load weights with "
      "mmap / safetensors instead of copies.";
  f.weight = ratio;
  out.push_back(std::move(f));
}

void check_oom(const Snapshot& s, std::vector<Finding>& out) {
  const auto& cg = s.cgroup;
  if (!cg.memory_oom_kills || *cg.memory_oom_kills <= 0) return;
  Finding f;
  f.id = "OOM-KILLS-SEEN";
  f.severity = Severity::kError;
  int64_t n = *cg.memory_oom_kills;
  f.title = "The memory cgroup has OOM-killed " + std::to_string(n) + (n == 1 ? " process" : " processes");
  f.evidence.push_back(evidence_of("OOM kills", cg.memory_oom_kills, std::to_string(n)));
  if (cg.memory_limit_bytes && *cg.memory_limit_bytes > 0) {
    f.evidence.push_back(evidence_of("memory limit (cgroup)", cg.memory_limit_bytes, b(*cg.memory_limit_bytes)));
  }
  if (cg.memory_usage_bytes)
    f.evidence.push_back(evidence_of("memory in use now", cg.memory_usage_bytes, b(*cg.memory_usage_bytes)));
  f.impact = "Each kill restarts a worker or the whole server: requests fail and the model is loaded again.";
  f.fix =
      "Raise the memory limit above the peak (kubectl describe pod shows OOMKilled; dmesg shows the victim), "
      "or cut host memory: fewer workers, no duplicate copies of the weights per process.";
  f.weight = static_cast<double>(n);
  out.push_back(std::move(f));
}

void check_swap(const Snapshot& s, std::vector<Finding>& out) {
  const auto& m = s.host.memory;
  if (!m.swap_total_bytes || !m.swap_free_bytes) return;
  int64_t used = *m.swap_total_bytes - *m.swap_free_bytes;
  if (used < (int64_t{64} << 20)) return;
  Finding f;
  f.id = "SWAP-IN-USE";
  f.severity = Severity::kWarning;
  f.title = b(used) + " of swap in use";
  f.evidence.push_back(evidence_of("swap used", m.swap_free_bytes, b(used) + " of " + b(*m.swap_total_bytes)));
  if (m.available_bytes && m.total_bytes) {
    f.evidence.push_back(
        evidence_of("memory available", m.available_bytes, b(*m.available_bytes) + " of " + b(*m.total_bytes)));
  }
  f.impact =
      "Pages of the serving process (weights held on the host, pinned staging buffers' neighbours, Python "
      "heap) may be on disk: touching them costs milliseconds each and shows as latency outliers.";
  f.fix =
      "Give the node enough memory for the model server, then on a dedicated inference node:\n"
      "  sudo swapoff -a   (and remove swap from /etc/fstab)\n"
      "or at least: sudo sysctl vm.swappiness=1";
  f.weight = static_cast<double>(used) / static_cast<double>(std::max<int64_t>(1, *m.swap_total_bytes));
  out.push_back(std::move(f));
}

void check_shm(const Snapshot& s, std::vector<Finding>& out) {
  const auto& c = s.container;
  if (!c.in_container || !*c.in_container || !c.shm_size_bytes) return;
  int64_t size = *c.shm_size_bytes;
  if (size >= (int64_t{512} << 20)) return;
  Finding f;
  f.id = "DEV-SHM-SMALL";
  f.severity = Severity::kWarning;
  f.title = "/dev/shm in this container is only " + b(size);
  f.evidence.push_back(evidence_of("/dev/shm size", c.shm_size_bytes, b(size)));
  f.evidence.push_back(evidence_of("container", c.in_container, c.runtime ? *c.runtime : "yes"));
  f.impact =
      "PyTorch DataLoader workers, multiprocessing tensor sharing, NCCL and vLLM/TGI worker processes pass "
      "data through /dev/shm; at Docker's default 64 MB they die with \"Bus error\" or \"No space left on "
      "device\" once batches grow.";
  f.fix =
      "Docker: docker run --shm-size=8g ... (or --ipc=host)\n"
      "Kubernetes: mount an emptyDir with medium: Memory (sizeLimit: 8Gi) at /dev/shm";
  f.weight = 1.0 - static_cast<double>(size) / static_cast<double>(int64_t{512} << 20);
  out.push_back(std::move(f));
}

void check_memlock(const Snapshot& s, std::vector<Finding>& out) {
  const auto& p = s.process;
  if (!p.memlock_soft_bytes || *p.memlock_soft_bytes == kUnlimited) return;
  int64_t lim = *p.memlock_soft_bytes;
  if (lim >= (int64_t{64} << 20)) return;
  Finding f;
  f.id = "MEMLOCK-LIMIT-LOW";
  // Info: CUDA's own pinned allocations do not count against RLIMIT_MEMLOCK; RDMA registration does.
  f.severity = Severity::kInfo;
  f.title =
      "Locked-memory limit is " + b(lim) + ": too low for RDMA-registered host memory (NCCL over IB/EFA, GPUDirect)";
  f.evidence.push_back(evidence_of("max locked memory (soft)", p.memlock_soft_bytes, b(lim)));
  if (p.memlock_hard_bytes) {
    f.evidence.push_back(evidence_of("max locked memory (hard)", p.memlock_hard_bytes,
                                     *p.memlock_hard_bytes == kUnlimited ? "unlimited" : b(*p.memlock_hard_bytes)));
  }
  f.impact =
      "RDMA and GPUDirect (NCCL over InfiniBand/EFA, GDRCopy) must lock the buffers they register; with a "
      "small RLIMIT_MEMLOCK they fail or fall back to slower copies through pageable memory.";
  f.fix =
      "Docker: docker run --ulimit memlock=-1:-1 ...\n"
      "Kubernetes/containerd: raise LimitMEMLOCK=infinity for the container runtime service, or "
      "for login sessions '* - memlock unlimited' in /etc/security/limits.conf";
  f.weight = 0.2;
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Rule> memory_rules() {
  return {
      {"MEMORY-LIMIT-NEAR", "container", check_limit_near},
      {"OOM-KILLS-SEEN", "container", check_oom},
      {"SWAP-IN-USE", "host", check_swap},
      {"DEV-SHM-SMALL", "container", check_shm},
      {"MEMLOCK-LIMIT-LOW", "process", check_memlock},
  };
}

}  // namespace infertune
