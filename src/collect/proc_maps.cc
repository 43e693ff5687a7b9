#include "collect/proc_maps.h"

#include <array>
#include <set>

#include "base/strings.h"

namespace infertune {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Splits off the next whitespace-separated field; empty when none is left.
std::string_view next_field(std::string_view& rest) {
  size_t b = 0;
  while (b < rest.size() && is_space(rest[b])) ++b;
  size_t e = b;
  while (e < rest.size() && !is_space(rest[e])) ++e;
  std::string_view f = rest.substr(b, e - b);
  rest.remove_prefix(e);
  return f;
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool valid_range(std::string_view f) {
  size_t dash = f.find('-');
  if (dash == std::string_view::npos) return false;
  return all_of(f.substr(0, dash), is_hex) && all_of(f.substr(dash + 1), is_hex);
}
bool valid_perms(std::string_view f) {
  if (f.size() != 4) return false;
  const char* allowed[4] = {"r-", "w-", "x-", "ps"};
  for (size_t i = 0; i < 4; ++i) {
    if (std::string_view(allowed[i]).find(f[i]) == std::string_view::npos) return false;
  }
  return true;
}
bool valid_dev(std::string_view f) {
  size_t colon = f.find(':');
  if (colon == std::string_view::npos) return false;
  return all_of(f.substr(0, colon), is_hex) && all_of(f.substr(colon + 1), is_hex);
}

struct Kind {
  std::string_view stem;  // file name starts with this, followed by '.', '-', '_' or the end
  std::string_view kind;
};

// Longer stems that share a prefix come first (libcublasLt before libcublas is not needed: the character after
// the stem must be a separator, so "libcublasLt" never matches the stem "libcublas").
constexpr std::array<Kind, 27> kKinds = {{
    {"libcuda", "libcuda"},
    {"libcudart", "libcudart"},
    {"libcublasLt", "libcublasLt"},
    {"libcublas", "libcublas"},
    {"libcudnn", "libcudnn"},
    {"libnccl", "libnccl"},
    {"libnvrtc", "libnvrtc"},
    {"libnvrtc-builtins", "libnvrtc"},
    {"libcufft", "libcufft"},
    {"libcurand", "libcurand"},
    {"libcusparse", "libcusparse"},
    {"libcusparseLt", "libcusparse"},
    {"libcusolver", "libcusolver"},
    {"libnvJitLink", "libnvJitLink"},
    {"libcupti", "libcupti"},
    {"libtorch_cuda", "libtorch_cuda"},
    {"libc10_cuda", "libc10_cuda"},
    {"libonnxruntime_providers_cuda", "onnxruntime_cuda"},
    {"libonnxruntime_providers_tensorrt", "onnxruntime_tensorrt"},
    {"libnvinfer", "libnvinfer"},
    {"libnvonnxparser", "libnvinfer"},
    {"xla_cuda_plugin", "jax_cuda"},
    {"libtensorflow_framework", "tensorflow"},
    {"_pywrap_tensorflow_internal", "tensorflow"},
    {"libtensorflow_cc", "tensorflow"},
    {"libnvidia-ml", "libnvidia-ml"},
    {"libnvidia-ptxjitcompiler", "libcuda"},
}};

}  // namespace

std::vector<MappedFile> parse_proc_maps(std::string_view text) {
  std::vector<MappedFile> out;
  std::set<std::string, std::less<>> seen;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::string_view rest = line;
    if (!valid_range(next_field(rest))) continue;
    if (!valid_perms(next_field(rest))) continue;
    if (!all_of(next_field(rest), is_hex)) continue;  // offset
    if (!valid_dev(next_field(rest))) continue;
    if (!all_of(next_field(rest), is_digit)) continue;  // inode
    // The pathname: everything after the padding, spaces inside it included.
    size_t b = 0;
    while (b < rest.size() && is_space(rest[b])) ++b;
    std::string_view path = rest.substr(b);
    while (!path.empty() && (path.back() == '\r')) path.remove_suffix(1);
    if (path.empty() || path.front() != '/') continue;  // anonymous, [heap], [stack], [vdso], [anon:...]
    bool deleted = false;
    constexpr std::string_view kDeleted = " (deleted)";
    if (path.size() > kDeleted.size() && path.substr(path.size() - kDeleted.size()) == kDeleted) {
      path.remove_suffix(kDeleted.size());
      deleted = true;
    }
    if (seen.count(path)) continue;
    seen.emplace(path);
    out.push_back({std::string(path), deleted});
  }
  return out;
}

std::string_view path_basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string classify_cuda_library(std::string_view path) {
  std::string_view base = path_basename(path);
  std::string_view best_kind;
  size_t best_len = 0;
  for (const auto& k : kKinds) {
    if (base.size() < k.stem.size() || base.substr(0, k.stem.size()) != k.stem) continue;
    if (base.size() > k.stem.size()) {
      char next = base[k.stem.size()];
      if (next != '.' && next != '-' && next != '_') continue;
    }
    // The file must be a shared object (libfoo.so, libfoo.so.12, libfoo-hash.so.11.0, _pywrap....so).
    if (base.find(".so") == std::string_view::npos) continue;
    if (k.stem.size() > best_len) {
      best_len = k.stem.size();
      best_kind = k.kind;
    }
  }
  return std::string(best_kind);
}

bool kind_means_cuda(std::string_view kind) { return !kind.empty() && kind != "tensorflow" && kind != "libnvidia-ml"; }

}  // namespace infertune
