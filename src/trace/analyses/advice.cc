// TRACE-FP32-MATMUL and TRACE-SMALL-BATCH (see advice.h).

#include "trace/analyses/advice.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string_view>
#include <unordered_map>

#include "trace/format.h"

namespace infertune::trace {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
bool has(std::string_view s, std::string_view needle) { return s.find(needle) != std::string_view::npos; }

}  // namespace

KernelPrecision kernel_precision(const std::string& name) {
  const std::string n = lower(name);
  static constexpr std::string_view kTensor[] = {"tensorop", "xmma",  "gmma",     "hmma",   "wmma",   "imma",  "s884",
                                                 "h884",     "s1688", "h1688",    "s16816", "h16816", "i8816", "161616",
                                                 "tf32",     "bf16",  "bfloat16", "f16",    "fp16",   "half",  "fp8",
                                                 "e4m3",     "e5m2",  "int8",     "nvjet",  "sm90_",  "sm100_"};
  for (std::string_view m : kTensor)
    if (has(n, m)) return KernelPrecision::kTensorOrReduced;
  if (has(n, "sgemm") || has(n, "scudnn")) return KernelPrecision::kFp32Simt;
  // Templated library kernels: "void cudnn::cnn::wgrad_alg0_engine<float, 128, …>" — the first template argument.
  size_t lt = n.find('<');
  if (lt != std::string::npos) {
    size_t end = n.find_first_of(",>", lt + 1);
    std::string_view first = std::string_view(n).substr(lt + 1, end == std::string::npos ? 0 : end - lt - 1);
    if (first == "float") return KernelPrecision::kFp32Simt;
  }
  return KernelPrecision::kUnknown;
}

const char* kernel_precision_name(KernelPrecision p) {
  switch (p) {
    case KernelPrecision::kFp32Simt: return "FP32 (CUDA cores)";
    case KernelPrecision::kTensorOrReduced: return "tensor cores / reduced precision";
    case KernelPrecision::kUnknown: return "unknown";
  }
  return "unknown";
}

namespace {

// Dense peak TFLOPS from the datasheets (no 2:4 sparsity). Sources per row; the research table these come from
// also lists them (the project's shared reference gpu_specs.csv). Order: more specific names first.
// MLE = stas00/ml-engineering:compute/accelerator/README.md (TFLOPS w/o sparsity table, 2026-08 snapshot).
constexpr GpuPeaks kPeaks[] = {
    {"H100 PCIe", 9, 0, 51, 378, 756, 756, "MLE"},
    {"H100 NVL", 9, 0, 0, 0, 0, 0, "MLE (no per-GPU dense figures)"},
    {"H100", 9, 0, 66.9, 494.7, 989.4, 989.4, "https://glennklockwood.com/garden/processors/h100; MLE (H100 SXM5)"},
    {"H200 NVL", 9, 0, 0, 0, 0, 0, "MLE (no figures)"},
    {"H200", 9, 0, 67, 494.5, 989, 989, "MLE (H200 SXM)"},
    {"GH200", 9, 0, 67, 494.5, 989, 989, "MLE"},
    {"H20", 9, 0, 44, 74, 148, 0, "https://zangshuxian.com/new/674733024499207168"},
    {"GB200", 10, 0, 80, 1250, 2500, 2500, "MLE (per B200 GPU of GB200 NVL72)"},
    {"B200", 10, 0, 80, 1125, 2250, 2250, "MLE; https://glennklockwood.com/garden/processors/B200"},
    {"A100", 8, 0, 19.5, 156, 312, 312, "MLE (A100 SXM4/PCIe, 40/80 GB: the same peaks)"},
    {"A40", 8, 6, 37.4, 74.8, 149.7, 149.7, "NVIDIA A40 datasheet (copy at https://www.ecer.com)"},
    {"A10G", 8, 6, 31.2, 0, 125, 125, "Lightning-AI/pytorch-lightning:src/lightning/fabric/utilities/throughput.py"},
    {"A10", 8, 6, 31.2, 62.5, 125, 125, "https://sysrqmts.com/vi/gpus/compare/nvidia-a10-pcie-vs-nvidia-a2"},
    {"A16", 8, 6, 4.5, 9, 17.9, 0, "https://panchaea.com/products/graphics-cards/nvidia-a16"},
    {"A2", 8, 6, 4.53, 9.06, 18.13, 18.13, "https://hmc-tech.com/gpu/nvidia-a2-vs-nvidia-a40"},
    {"L40S", 8, 9, 91.6, 183, 362, 362, "MLE"},
    {"L20", 8, 9, 59.35, 0, 119.5, 0, "https://www.topcpu.net/en/gpu-c/a40-pcie-vs-l20"},
    {"L4", 8, 9, 30.3, 60, 121, 121, "winston-zhang-orz/gpu-specs:data/specs.json (NVIDIA datasheet)"},
    {"V100S", 7, 0, 16.4, 0, 130, 0, "Lightning-AI/pytorch-lightning:src/lightning/fabric/utilities/throughput.py"},
    {"V100 PCIe", 7, 0, 14, 0, 112, 0, "Lightning-AI/pytorch-lightning:src/lightning/fabric/utilities/throughput.py"},
    // V100 SXM2; also the DGX Station's V100-DGXS (same GV100; every V100 row has FP16 tensor / FP32 ≈ 8).
    {"V100", 7, 0, 15.7, 0, 125, 0, "Lightning-AI/pytorch-lightning:src/lightning/fabric/utilities/throughput.py"},
    {"T4", 7, 5, 8.1, 0, 65, 0, "Lightning-AI/pytorch-lightning:src/lightning/fabric/utilities/throughput.py"},
    {"RTX 4090", 8, 9, 82.6, 82.6, 165.2, 165.2, "https://waredb.com/processor/nvidia-geforce-rtx-4090"},
    {"RTX 3090", 8, 6, 35.6, 0, 71.0, 0,
     "https://holynerdvana.blogspot.com/2022/10/nvidia-geforce-rtx-3090-specifications"},
    {"RTX 5090", 12, 0, 104.8, 0, 209.5, 0, "Linux Format, May 2025 (pocketmags.com)"},
    {"RTX PRO 6000", 12, 0, 125, 0, 503.8, 0, "https://gpu.name (RTX PRO 6000 Blackwell)"},
    {"RTX 6000 Ada", 8, 9, 91.1, 0, 364.2, 0, "https://cputronic.com/de/gpu/nvidia-rtx-6000-ada-generation"},
};

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// `model` occurs in `name` as whole words ("H20" not inside "H200"; "V100" inside "V100-SXM2-32GB").
bool has_words(const std::string& name, const std::string& model) {
  for (size_t at = name.find(model); at != std::string::npos; at = name.find(model, at + 1)) {
    bool left = at == 0 || !is_word_char(name[at - 1]);
    size_t end = at + model.size();
    bool right = end >= name.size() || !is_word_char(name[end]);
    if (left && right) return true;
  }
  return false;
}

}  // namespace

const GpuPeaks* gpu_peaks(const DeviceInfo& d) {
  std::string name = lower(d.name);
  std::replace(name.begin(), name.end(), '-', ' ');  // "Tesla V100-PCIE-16GB" -> "tesla v100 pcie 16gb"
  std::replace(name.begin(), name.end(), '_', ' ');
  if (name.empty() || has(name, "amd") || has(name, "radeon") || has(name, "instinct")) return nullptr;
  for (const GpuPeaks& p : kPeaks) {
    if (!has_words(name, lower(p.model))) continue;
    if (d.compute_major >= 0 && (d.compute_major != p.cc_major || d.compute_minor != p.cc_minor)) return nullptr;
    if (p.fp32 <= 0 || (p.tf32 <= 0 && p.fp16 <= 0 && p.bf16 <= 0)) return nullptr;  // no figures
    return &p;
  }
  return nullptr;
}

namespace {

constexpr const char* kFp32Id = "TRACE-FP32-MATMUL";
constexpr const char* kSmallBatchId = "TRACE-SMALL-BATCH";
constexpr double kFp32SavedShareWarn = 0.02;  // estimated saving, of the GPU window
constexpr double kLowUtilisation = 0.50;      // GPU busy below this share of the window (the TB plugin's rule)
constexpr double kSmallKernelShare = 0.50;    // of the kernels
constexpr int64_t kSmallKernelNs = 10'000;    // under 10 µs (the launch section's "tiny")
constexpr double kBatchIdleShareWarn = 0.10;  // unclaimed host idle, of the window

double share(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

const DeviceInfo* device_info(const Trace& t, int32_t device) {
  for (const DeviceInfo& d : t.devices)
    if (d.id == device) return &d;
  return nullptr;
}

bool has_finding(const std::vector<Finding>& out, const char* id) {
  return std::any_of(out.begin(), out.end(), [&](const Finding& f) { return f.id == id; });
}

void fp32_finding(const Model& m, const AnalysisSet& a, const std::string& src, std::vector<Finding>& out) {
  const Trace& t = *m.trace;
  struct Dev {
    int64_t fp32_ns = 0, tensor_ns = 0, kernel_ns = 0;
    uint64_t fp32_kernels = 0;
    std::map<std::string, int64_t> names;  // FP32 kernel name -> GPU time
  };
  std::unordered_map<StringId, KernelPrecision> memo;  // per kernel name; kUnknown for non-matrix kernels
  std::map<int32_t, Dev> per;
  for (const GpuActivity& act : m.activities) {
    if (act.kind != ActivityKind::kKernel) continue;
    const Event& e = t.events[act.event];
    auto it = memo.find(e.name);
    if (it == memo.end()) {
      const std::string& nm = t.name_of(e);
      KernelClass c = classify_kernel(nm, act.kind);
      // GEMMs and convolutions; cuDNN's FFT convolution kernels (fft2d_r2c/c2r) are part of a convolution.
      bool matrix = c == KernelClass::kGemm || c == KernelClass::kConv || has(nm, "fft2d_");
      it = memo.emplace(e.name, matrix ? kernel_precision(nm) : KernelPrecision::kUnknown).first;
    }
    Dev& d = per[act.device];
    int64_t dur = act.end_ns - act.ts_ns;
    d.kernel_ns += dur;
    if (it->second == KernelPrecision::kFp32Simt) {
      d.fp32_ns += dur;
      ++d.fp32_kernels;
      d.names[t.name_of(e)] += dur;
    } else if (it->second == KernelPrecision::kTensorOrReduced) {
      d.tensor_ns += dur;
    }
  }
  int64_t window = 0;
  for (const GpuTimeline& g : a.timeline->devices) window += g.total_ns;
  if (window <= 0) return;
  Finding f;
  f.id = kFp32Id;
  int64_t saved = 0, saved_half = 0;
  bool any_tf32 = false;
  std::string via;
  for (const auto& [dev, d] : per) {
    if (d.fp32_ns == 0) continue;
    const DeviceInfo* info = device_info(t, dev);
    const GpuPeaks* p = info != nullptr ? gpu_peaks(*info) : nullptr;
    if (p == nullptr) continue;
    bool tf32 = p->tf32 > p->fp32;
    double half = std::max(p->fp16, p->bf16);
    double target = tf32 ? p->tf32 : half;
    if (target <= p->fp32) continue;
    int64_t s = static_cast<int64_t>(static_cast<double>(d.fp32_ns) * (1.0 - p->fp32 / target));
    int64_t sh = half > p->fp32 ? static_cast<int64_t>(static_cast<double>(d.fp32_ns) * (1.0 - p->fp32 / half)) : s;
    saved += s;
    saved_half += std::max(s, sh);
    any_tf32 = any_tf32 || tf32;
    via = tf32 ? fmt::format("TF32: datasheet {:g} → {:g} TFLOPS, {:.1f}×", p->fp32, p->tf32, p->tf32 / p->fp32)
               : fmt::format("FP16 tensor cores: datasheet {:g} → {:g} TFLOPS, {:.1f}×", p->fp32, half, half / p->fp32);
    f.evidence.push_back(
        {fmt::format("FP32 GEMM/conv kernels (device {})", dev),
         fmt::format("{} kernels, {} of GPU time on the CUDA cores ({} of kernel time); "
                     "tensor-core/reduced-precision GEMM/conv: {}",
                     d.fp32_kernels, ms(d.fp32_ns), percent(share(d.fp32_ns, d.kernel_ns)), ms(d.tensor_ns)),
         src});
    std::vector<std::pair<int64_t, std::string>> top;
    for (const auto& [name, ns] : d.names) top.emplace_back(ns, name);
    std::sort(top.begin(), top.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    for (size_t i = 0; i < top.size() && i < 3; ++i) {
      std::string nm = top[i].second.size() > 90 ? top[i].second.substr(0, 89) + "…" : top[i].second;
      f.evidence.push_back({"  " + nm, ms(top[i].first), src});
    }
    f.evidence.push_back(
        {fmt::format("GPU {} peaks (dense)", dev),
         fmt::format("{} (sm_{}{}; datasheet {}): FP32 {:g}, TF32 {}, FP16 {}, BF16 {} TFLOPS", info->name, p->cc_major,
                     p->cc_minor, p->model, p->fp32, p->tf32 > 0 ? fmt::format("{:g}", p->tf32) : std::string("-"),
                     p->fp16 > 0 ? fmt::format("{:g}", p->fp16) : std::string("-"),
                     p->bf16 > 0 ? fmt::format("{:g}", p->bf16) : std::string("-")),
         p->source});
  }
  if (saved <= 0 || share(saved, window) < kFp32SavedShareWarn) return;
  f.title = "FP32 matrix multiplications and convolutions run on the CUDA cores, not the tensor cores";
  f.impact =
      fmt::format("up to {} of GPU time ({} of the GPU window) with {}", ms(saved), percent(share(saved, window)), via);
  if (saved_half > saved) f.impact += fmt::format("; up to {} in bf16", ms(saved_half));
  f.impact += ". Bounds from the peak ratio: memory-bound GEMMs gain less";
  if (any_tf32) {
    f.fix =
        "Let FP32 matmuls and convolutions use TF32 tensor cores: torch.set_float32_matmul_precision(\"high\") (or "
        "torch.backends.cuda.matmul.allow_tf32 = True) and torch.backends.cudnn.allow_tf32 = True; or run "
        "inference in bf16: with torch.autocast(\"cuda\", dtype=torch.bfloat16): … (AMP), or model.to(torch.bfloat16). "
        "Check accuracy on your evaluation set.";
  } else {
    f.fix =
        "Run the matrix work in half precision on the tensor cores: with torch.autocast(\"cuda\", "
        "dtype=torch.float16): … (AMP) around inference, or model.half(). This GPU has no TF32 or bf16 tensor cores "
        "(they need Ampere, sm_80, or later). Check accuracy on your evaluation set.";
  }
  f.weight = share(saved, window);
  out.push_back(std::move(f));
}

void small_batch_finding(const Model& m, const AnalysisSet& a, const std::string& src, std::vector<Finding>& out) {
  const Trace& t = *m.trace;
  int64_t window = 0, busy = 0;
  IdleSplit idle;
  for (const GpuTimeline& g : a.timeline->devices) {
    window += g.total_ns;
    busy += g.busy_ns;
    for (size_t c = 0; c < kIdleCauses; ++c) idle.ns[c] += g.idle_split.ns[c];
  }
  if (window <= 0 || share(busy, window) >= kLowUtilisation) return;
  // Small kernels: under 10 µs, or a grid of fewer blocks than the GPU has SMs (less than one wave).
  uint64_t kernels = 0, small = 0, short_ones = 0, narrow = 0;
  for (const GpuActivity& act : m.activities) {
    if (act.kind != ActivityKind::kKernel) continue;
    ++kernels;
    const Event& e = t.events[act.event];
    bool is_short = act.end_ns - act.ts_ns < kSmallKernelNs;
    bool is_narrow = false;
    const DeviceInfo* info = device_info(t, act.device);
    if (e.gpu_args != kNoIndex && info != nullptr && info->num_sms > 0) {
      const GpuArgs& g = t.gpu_args[e.gpu_args];
      int64_t blocks = static_cast<int64_t>(g.grid[0]) * g.grid[1] * g.grid[2];
      is_narrow = blocks > 0 && blocks < info->num_sms;
    }
    short_ones += is_short;
    narrow += is_narrow;
    small += is_short || is_narrow;
  }
  if (kernels == 0 || share(static_cast<int64_t>(small), static_cast<int64_t>(kernels)) < kSmallKernelShare) return;
  // Launch overhead the main idle cause: TRACE-LAUNCH-BOUND's case (CUDA graphs first), not this one.
  IdleCause main = IdleCause::kLaunch;
  for (size_t c = 0; c < kIdleCauses; ++c)
    if (idle.ns[c] > idle.get(main)) main = static_cast<IdleCause>(c);
  if (main == IdleCause::kLaunch) return;
  // The host idle a larger batch spreads over more samples, less what other findings already claim: launch
  // overhead (TRACE-LAUNCH-BOUND), syncs (TRACE-SYNC-STALLS). Data loading grows with the batch and queued waits
  // are the GPU's own: neither counts.
  bool launch_claimed = has_finding(out, "TRACE-LAUNCH-BOUND");
  bool sync_claimed = has_finding(out, "TRACE-SYNC-STALLS");
  int64_t host = idle.get(IdleCause::kCpuWork) + (launch_claimed ? 0 : idle.get(IdleCause::kLaunch)) +
                 (sync_claimed ? 0 : idle.get(IdleCause::kSync));
  if (share(host, window) < kBatchIdleShareWarn) return;
  Finding f;
  f.id = kSmallBatchId;
  f.title = fmt::format("The GPU is busy only {} of the window and its kernels are small: a larger batch would use it",
                        percent(share(busy, window)));
  f.evidence.push_back(
      {"GPU busy", fmt::format("{} of a {} GPU window ({})", ms(busy), ms(window), percent(share(busy, window))), src});
  f.evidence.push_back(
      {"Small kernels",
       fmt::format("{} of {} kernels ({}): {} under 10 µs, {} with fewer blocks than "
                   "the GPU has SMs",
                   small, kernels, percent(share(static_cast<int64_t>(small), static_cast<int64_t>(kernels))),
                   short_ones, narrow),
       src});
  std::string causes;
  for (size_t c = 0; c < kIdleCauses; ++c) {
    if (idle.ns[c] == 0) continue;
    causes +=
        (causes.empty() ? "" : ", ") + std::string(idle_cause_name(static_cast<IdleCause>(c))) + " " + ms(idle.ns[c]);
  }
  f.evidence.push_back({"GPU idle by cause", causes + fmt::format(" (largest: {})", idle_cause_name(main)), src});
  f.evidence.push_back({"Per-step host idle",
                        fmt::format("{}: other CPU work{}{}", ms(host), launch_claimed ? "" : " + launch overhead",
                                    sync_claimed ? "" : " + synchronisation"),
                        src});
  f.impact = fmt::format(
      "up to {} of GPU idle ({} of the GPU window) is per-step host time that a larger batch spreads over more "
      "samples: doubling the batch halves it per sample, while small kernels take little longer",
      ms(host), percent(share(host, window)));
  f.fix =
      "Run more samples per step: raise the batch size; in a server, batch concurrent requests (dynamic or "
      "continuous batching: Triton dynamic_batching, TorchServe batch_size + max_batch_delay, vLLM/TGI/SGLang "
      "continuous batching). Check the memory headroom first; move per-request CPU work (tokenisation, "
      "pre/post-processing) off the GPU thread.";
  f.weight = share(host, window);
  out.push_back(std::move(f));
}

}  // namespace

void precision_and_batch_findings(const Model& m, const AnalysisSet& a, const std::string& src,
                                  std::vector<Finding>& out) {
  if (a.timeline == nullptr) return;
  fp32_finding(m, a, src, out);
  small_batch_finding(m, a, src, out);
}

}  // namespace infertune::trace
