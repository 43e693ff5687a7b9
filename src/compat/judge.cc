#include "compat/judge.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace infertune::compat {

namespace {

Version minor_of(const Version& v) {
  return *Version::parse(std::to_string(v.major()) + "." + std::to_string(v.minor()));
}

// Upper-case words of a name, split at anything that is not a letter or digit.
std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      cur += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool contains_words(const std::vector<std::string>& hay, const std::vector<std::string>& needle) {
  if (needle.empty() || needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool all = true;
    for (size_t k = 0; k < needle.size() && all; ++k) all = hay[i + k] == needle[k];
    if (all) return true;
  }
  return false;
}

struct Arch {
  int cc = 0;
  bool exact_only = false;  // sm_90a: arch-specific features, runs on 9.0 only
};

std::optional<Arch> parse_arch(std::string_view s, std::string_view prefix) {
  if (!str::starts_with(s, prefix)) return std::nullopt;
  s.remove_prefix(prefix.size());
  Arch a;
  if (!s.empty() && (s.back() == 'a' || s.back() == 'f')) {
    a.exact_only = s.back() == 'a';
    s.remove_suffix(1);
  }
  auto n = str::parse_i64(s);
  if (!n || *n < 10 || *n > 999) return std::nullopt;
  a.cc = static_cast<int>(*n);
  return a;
}

// Whether a cubin for `code` runs on `device` (same major, code minor <= device minor).
bool cubin_runs(int code, bool exact_only, int device) {
  if (code == device) return true;
  if (exact_only) return false;
  return code / 10 == device / 10 && code % 10 <= device % 10;
}

}  // namespace

std::string driver_text(const Version& v) {
  std::string out;
  const auto& f = v.fields();
  for (size_t i = 0; i < f.size(); ++i) {
    std::string n = std::to_string(f[i]);
    if (i > 0 && n.size() < 2) n = "0" + n;
    out += (i ? "." : "") + n;
  }
  return out;
}

bool same_minor(const Version& a, const Version& b) { return a.major() == b.major() && a.minor() == b.minor(); }
std::string minor_text(const Version& v) { return std::to_string(v.major()) + "." + std::to_string(v.minor()); }

std::optional<Version> cuda_of_variant(const std::string& variant) {
  if (!str::starts_with(variant, "cu") || variant.size() < 5) return std::nullopt;
  std::string digits = variant.substr(2);
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return Version::parse(digits.substr(0, digits.size() - 1) + "." + digits.substr(digits.size() - 1));
}

std::string variant_of_cuda(const Version& cuda) {
  return "cu" + std::to_string(cuda.major()) + std::to_string(cuda.minor());
}

std::optional<Version> native_min_driver(const Tables& t, const Version& cuda) {
  std::optional<Version> best;
  for (const auto& r : t.cuda_driver) {
    if (!same_minor(r.cuda, cuda)) continue;
    if (!best || r.min_driver < *best) best = r.min_driver;
  }
  return best;
}

std::optional<Version> gpu_min_driver(const Tables& t, int cc, Version* cuda) {
  const ArchSupportRow* first = nullptr;
  for (const auto& a : t.arch_support) {
    if (std::find(a.sass.begin(), a.sass.end(), cc) == a.sass.end()) continue;
    if (!first || a.cuda < first->cuda) first = &a;
  }
  if (!first) return std::nullopt;
  if (cuda) *cuda = first->cuda;
  return native_min_driver(t, first->cuda);
}

const CudaMajorRow* major_row(const Tables& t, long major) {
  for (const auto& r : t.cuda_major) {
    if (r.major == major) return &r;
  }
  return nullptr;
}

std::optional<Version> newest_native_cuda(const Tables& t, const Version& driver) {
  std::optional<Version> best;
  for (const auto& r : t.cuda_driver) {
    if (driver < r.min_driver) continue;
    Version m = minor_of(r.cuda);
    if (!best || *best < m) best = m;
  }
  return best;
}

DriverCheck check_driver(const Tables& t, const Version& driver, const Version& cuda,
                         const std::optional<Version>& driver_cuda, bool forward_compat_gpu) {
  DriverCheck c;
  std::string cuda_s = minor_text(cuda);
  c.native_min = native_min_driver(t, cuda);
  const CudaMajorRow* mr = major_row(t, cuda.major());
  if (mr) {
    c.minor_compat_min = mr->minor_compat_min_driver;
    c.forward_compat_package = mr->forward_compat_package;
    auto pos = c.forward_compat_package.find("<minor>");
    if (pos != std::string::npos) c.forward_compat_package.replace(pos, 7, std::to_string(cuda.minor()));
  }
  std::string d = driver_text(driver);
  bool native =
      (c.native_min && !(driver < *c.native_min)) || (driver_cuda && !(minor_of(*driver_cuda) < minor_of(cuda)));
  if (native) {
    c.fit = DriverFit::kNative;
    c.why = "driver " + d + " runs CUDA " + cuda_s + " natively" +
            (c.native_min ? " (needs " + driver_text(*c.native_min) + " or newer)" : "");
    return c;
  }
  std::string need = c.native_min ? "CUDA " + cuda_s + " ships with driver " + driver_text(*c.native_min)
                                  : "CUDA " + cuda_s + " is newer than the tables (its driver is not known)";
  if (c.minor_compat_min && !(driver < *c.minor_compat_min)) {
    c.fit = DriverFit::kMinorCompat;
    c.why = "driver " + d + " is older than CUDA " + cuda_s + " needs natively (" + need + ") but at least the CUDA " +
            std::to_string(cuda.major()) + ".x minor-version-compatibility floor " + driver_text(*c.minor_compat_min);
    return c;
  }
  c.fit = forward_compat_gpu ? DriverFit::kForwardCompat : DriverFit::kTooOld;
  c.why = "driver " + d + " is too old for CUDA " + cuda_s + " (" + need +
          (c.minor_compat_min ? "; minor-version compatibility needs " + driver_text(*c.minor_compat_min) : "") + ")";
  return c;
}

ArchCheck check_arch(int device_cc, const std::vector<std::string>& sass, const std::vector<std::string>& ptx) {
  ArchCheck c;
  std::string dev = sm_name(device_cc);
  int best_below = 0;
  for (const auto& s : sass) {
    auto a = parse_arch(s, "sm_");
    if (!a) continue;
    if (cubin_runs(a->cc, a->exact_only, device_cc)) {
      c.fit = ArchFit::kSass;
      c.why = a->cc == device_cc ? s + " in the build" : s + " in the build, binary-compatible with " + dev;
      return c;
    }
    if (a->cc < device_cc && a->cc > best_below) best_below = a->cc;
  }
  int best_ptx = 0;
  for (const auto& p : ptx) {
    auto a = parse_arch(p, "compute_");
    if (a && a->cc <= device_cc && a->cc > best_ptx) best_ptx = a->cc;
  }
  if (best_ptx) {
    c.fit = ArchFit::kPtxJit;
    c.why = "no " + dev + " machine code; PTX compute_" + std::to_string(best_ptx) +
            " is compiled by the driver at first launch";
    return c;
  }
  c.fit = ArchFit::kMissing;
  c.why = "no " + dev + " machine code and no usable PTX" +
          (best_below ? " (newest below: " + sm_name(best_below) + ")" : "");
  return c;
}

ArchCheck check_arch_list(int device_cc, const std::vector<int>& sass, bool ptx_of_newest) {
  std::vector<std::string> s;
  std::vector<std::string> p;
  int newest = 0;
  for (int a : sass) {
    s.push_back(sm_name(a));
    if (a > newest) newest = a;
  }
  if (ptx_of_newest && newest) p.push_back("compute_" + std::to_string(newest));
  return check_arch(device_cc, s, p);
}

const GpuRow* find_gpu(const Tables& t, const std::string& name) {
  auto hay = words_of(name);
  const GpuRow* best = nullptr;
  size_t best_len = 0;
  for (const auto& g : t.gpus) {
    for (const auto& alias : g.aliases) {
      auto needle = words_of(alias);
      size_t len = 0;
      for (const auto& w : needle) len += w.size();
      if (len > best_len && contains_words(hay, needle)) {
        best = &g;
        best_len = len;
      }
    }
  }
  return best;
}

const TorchRow* find_torch(const Tables& t, const Version& torch, const std::optional<Version>& cuda) {
  std::optional<Version> want = cuda;
  const std::string& local = torch.local();
  if (!local.empty() && local != "cpu" && !cuda_of_variant(local)) return nullptr;  // a custom build (NGC, source)
  if (!want && !local.empty()) want = cuda_of_variant(local);
  const TorchRow* fallback = nullptr;
  for (const auto& r : t.torch) {
    if (!same_minor(r.release_v, torch)) continue;
    if (want && same_minor(r.cuda, *want)) return &r;
    if (!want && r.default_variant) return &r;
    if (!want && !fallback) fallback = &r;
  }
  return want ? nullptr : fallback;
}

const TensorflowRow* find_tensorflow(const Tables& t, const Version& tf) {
  for (const auto& r : t.tensorflow) {
    if (same_minor(r.version, tf)) return &r;
  }
  return nullptr;
}

const OrtRow* find_ort(const Tables& t, const Version& ort, std::optional<long> cuda_major) {
  const OrtRow* fallback = nullptr;
  for (const auto& r : t.onnxruntime) {
    if (ort < r.min) continue;
    if (r.max && *r.max < ort && !same_minor(*r.max, ort)) continue;
    if (cuda_major && r.cuda_major == *cuda_major) return &r;
    if (!cuda_major && r.pypi_default == "yes") return &r;
    if (!fallback) fallback = &r;
  }
  return cuda_major ? nullptr : fallback;
}

const TensorrtRow* find_tensorrt(const Tables& t, const Version& trt) {
  for (const auto& r : t.tensorrt) {
    if (!(trt < r.min) && !(r.max < trt)) return &r;
  }
  // Releases between rows: the newest row not above it of the same major.minor.
  for (const auto& r : t.tensorrt) {
    if (same_minor(r.min, trt)) return &r;
  }
  return nullptr;
}

const CudnnRow* find_cudnn(const Tables& t, const Version& cudnn, long cuda_major) {
  const CudnnRow* nearest = nullptr;
  for (const auto& r : t.cudnn) {
    if (r.cuda_major != cuda_major) continue;
    if (!(cudnn < r.min) && !(r.max < cudnn)) return &r;
    if (!(cudnn < r.min) && (!nearest || nearest->min < r.min)) nearest = &r;
  }
  return nearest;
}

}  // namespace infertune::compat
