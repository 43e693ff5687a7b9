// Kernel summary: per kernel name and per kernel class, with count/total/mean/min/max and % of GPU busy time.

#include <algorithm>
#include <string>
#include <unordered_map>

#include "trace/analyses/analyses.h"

namespace infertune::trace {

namespace {

bool has(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

std::string lower(const std::string& s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

// Length of the union of spans added in order of start (m.activities is sorted by start).
struct RunningUnion {
  int64_t start = 0, end = 0, total = 0;
  bool open = false;
  void add(int64_t s, int64_t e) {
    if (open && s <= end) {
      end = std::max(end, e);
      return;
    }
    if (open) total += end - start;
    start = s;
    end = e;
    open = true;
  }
  int64_t length() const { return total + (open ? end - start : 0); }
};

}  // namespace

const char* kernel_class_name(KernelClass c) {
  switch (c) {
    case KernelClass::kGemm: return "GEMM";
    case KernelClass::kConv: return "convolution";
    case KernelClass::kAttention: return "attention";
    case KernelClass::kElementwise: return "elementwise";
    case KernelClass::kReduction: return "reduction";
    case KernelClass::kNorm: return "normalization";
    case KernelClass::kMemcpy: return "memcpy";
    case KernelClass::kMemset: return "memset";
    case KernelClass::kCommunication: return "communication";
    case KernelClass::kOther: return "other";
  }
  return "other";
}

// First match wins; the order matters (attention kernels contain "gemm", norm kernels "reduce").
KernelClass classify_kernel(const std::string& name, ActivityKind kind) {
  if (kind == ActivityKind::kMemcpy) return KernelClass::kMemcpy;
  if (kind == ActivityKind::kMemset) return KernelClass::kMemset;
  std::string n = lower(name);
  if (has(n, "nccl") || has(n, "rccl") || has(n, "all_reduce") || has(n, "allreduce") || has(n, "all_gather") ||
      has(n, "allgather") || has(n, "reduce_scatter") || has(n, "reducescatter") || has(n, "alltoall")) {
    return KernelClass::kCommunication;
  }
  if (has(n, "flash") || has(n, "fmha") || has(n, "attention") || has(n, "attn") || has(n, "sdpa") || has(n, "mha_")) {
    return KernelClass::kAttention;
  }
  if (has(n, "conv") || has(n, "dgrad") || has(n, "wgrad") || has(n, "fprop") || has(n, "winograd") ||
      has(n, "scudnn") || has(n, "implicit_gemm")) {
    return KernelClass::kConv;
  }
  if (has(n, "gemm") || has(n, "gemv") || has(n, "cutlass") || has(n, "cublas") || has(n, "matmul") ||
      has(n, "nvjet") || has(n, "xmma") || has(n, "wgmma") || has(n, "s884") || has(n, "h884") || has(n, "s1688") ||
      has(n, "h1688") || has(n, "cijk_") || has(n, "splitk") || has(n, "_mm_")) {
    return KernelClass::kGemm;
  }
  if (has(n, "norm") || has(n, "bn_fw") || has(n, "bn_bw")) return KernelClass::kNorm;
  if (has(n, "reduce") || has(n, "softmax") || has(n, "triton_red") || has(n, "triton_per") || has(n, "argmax") ||
      has(n, "topk") || has(n, "scan") || has(n, "sum_kernel") || has(n, "cub::")) {
    return KernelClass::kReduction;
  }
  if (has(n, "elementwise") || has(n, "triton_poi") || has(n, "copy_kernel") || has(n, "fill_kernel") ||
      has(n, "index") || has(n, "cat_") || has(n, "unrolled") || has(n, "vectorized") || has(n, "pointwise") ||
      has(n, "activation") || has(n, "gelu") || has(n, "silu") || has(n, "relu") || has(n, "rotary") ||
      has(n, "embedding")) {
    return KernelClass::kElementwise;
  }
  return KernelClass::kOther;
}

void DurationStats::add(int64_t d) {
  if (count == 0) {
    min_ns = max_ns = d;
  } else {
    min_ns = std::min(min_ns, d);
    max_ns = std::max(max_ns, d);
  }
  ++count;
  total_ns += d;
}

KernelSummary kernel_summary(const Model& m) {
  KernelSummary ks;
  if (m.activities.empty()) {
    ks.why_not = "the trace has no GPU activity (no kernel, gpu_memcpy or gpu_memset events)";
    return ks;
  }
  const Trace& t = *m.trace;
  struct Acc {
    KernelRow row;
    double occ_sum = 0;
    uint64_t occ_n = 0;
  };
  std::unordered_map<StringId, size_t> by_name;
  std::vector<Acc> rows;
  std::vector<DurationStats> classes(static_cast<size_t>(KernelClass::kOther) + 1);
  std::unordered_map<int32_t, RunningUnion> per_device;
  for (const GpuActivity& a : m.activities) {
    const Event& e = t.events[a.event];
    int64_t d = a.end_ns - a.ts_ns;
    per_device[a.device].add(a.ts_ns, a.end_ns);
    auto [it, inserted] = by_name.emplace(e.name, rows.size());
    if (inserted) {
      Acc acc;
      acc.row.name = t.name_of(e);
      acc.row.cls = classify_kernel(acc.row.name, a.kind);
      rows.push_back(std::move(acc));
    }
    Acc& acc = rows[it->second];
    acc.row.stats.add(d);
    if (e.gpu_args != kNoIndex && t.gpu_args[e.gpu_args].occupancy_pct >= 0) {
      acc.occ_sum += static_cast<double>(t.gpu_args[e.gpu_args].occupancy_pct);
      ++acc.occ_n;
    }
    classes[static_cast<size_t>(acc.row.cls)].add(d);
  }
  for (const auto& [dev, u] : per_device) ks.gpu_busy_ns += u.length();
  for (auto& acc : rows) {
    if (acc.occ_n) acc.row.mean_occupancy_pct = acc.occ_sum / static_cast<double>(acc.occ_n);
    ks.kernels.push_back(std::move(acc.row));
  }
  auto by_total = [](const auto& a, const auto& b) {
    return a.stats.total_ns != b.stats.total_ns ? a.stats.total_ns > b.stats.total_ns : a.stats.count > b.stats.count;
  };
  std::stable_sort(ks.kernels.begin(), ks.kernels.end(), [&](const KernelRow& a, const KernelRow& b) {
    if (a.stats.total_ns != b.stats.total_ns) return a.stats.total_ns > b.stats.total_ns;
    return a.name < b.name;
  });
  for (size_t c = 0; c < classes.size(); ++c) {
    if (classes[c].count) ks.classes.push_back(ClassRow{static_cast<KernelClass>(c), classes[c]});
  }
  std::stable_sort(ks.classes.begin(), ks.classes.end(), by_total);
  return ks;
}

}  // namespace infertune::trace
