// Pure parsers of the compatibility inventory (collect/compat.h).
#include <algorithm>
#include <cctype>

#include "base/strings.h"
#include "collect/compat.h"

namespace infertune {

std::optional<std::string> parse_nvcc_version(std::string_view text) {
  // "Cuda compilation tools, release 13.0, V13.0.88"
  for (std::string_view line : str::lines(text)) {
    size_t r = line.find("release ");
    if (r == std::string_view::npos) continue;
    std::string_view rest = line.substr(r + 8);
    size_t v = rest.find(", V");
    if (v != std::string_view::npos) {
      std::string_view full = str::trim(rest.substr(v + 3));
      size_t end = 0;
      while (end < full.size() && (std::isdigit(static_cast<unsigned char>(full[end])) || full[end] == '.')) ++end;
      if (end > 0 && std::isdigit(static_cast<unsigned char>(full[0]))) return std::string(full.substr(0, end));
    }
    size_t end = 0;
    while (end < rest.size() && (std::isdigit(static_cast<unsigned char>(rest[end])) || rest[end] == '.')) ++end;
    if (end > 0 && std::isdigit(static_cast<unsigned char>(rest[0]))) return std::string(rest.substr(0, end));
  }
  return std::nullopt;
}

namespace {

bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// A Python literal as text: 'x' / "x" -> x; other words kept (None, True, 12).
std::optional<std::string> literal(std::string_view v) {
  v = str::trim(v);
  if (v.empty()) return std::nullopt;
  char q = v.front();
  if (q == '\'' || q == '"') {
    size_t end = v.find(q, 1);
    if (end == std::string_view::npos) return std::nullopt;
    return std::string(v.substr(1, end - 1));
  }
  size_t end = 0;
  while (end < v.size() && (is_ident_char(v[end]) || v[end] == '.')) ++end;
  if (end == 0) return std::nullopt;
  return std::string(v.substr(0, end));
}

}  // namespace

std::map<std::string, std::string> parse_python_assignments(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : str::lines(text)) {
    if (line.empty() || !(std::isalpha(static_cast<unsigned char>(line[0])) || line[0] == '_')) continue;
    size_t i = 0;
    while (i < line.size() && is_ident_char(line[i])) ++i;
    std::string name(line.substr(0, i));
    std::string_view rest = line.substr(i);
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos || (eq + 1 < rest.size() && rest[eq + 1] == '=')) continue;
    std::string_view before = str::trim(rest.substr(0, eq));
    if (!before.empty() && before.front() != ':') continue;  // only `x = v` and `x: T = v`
    if (auto v = literal(rest.substr(eq + 1))) out[name] = *v;
  }
  // TensorFlow: build_info = collections.OrderedDict([('cuda_version', '12.3'), ('is_cuda_build', True)])
  size_t at = 0;
  while ((at = text.find("('", at)) != std::string_view::npos) {
    size_t i = at + 2;
    at = i;
    size_t k = i;
    while (k < text.size() && is_ident_char(text[k])) ++k;
    if (k == i || k >= text.size() || text[k] != '\'') continue;
    std::string key(text.substr(i, k - i));
    ++k;
    while (k < text.size() && text[k] == ' ') ++k;
    if (k >= text.size() || text[k] != ',') continue;
    ++k;
    size_t close = text.find(')', k);
    if (close == std::string_view::npos) break;
    std::string_view val = str::trim(text.substr(k, close - k));
    if (val.empty() || val.front() == '[') continue;
    if (auto v = literal(val)) out.emplace(std::move(key), *v);
  }
  return out;
}

DistMetadata parse_dist_metadata(std::string_view text) {
  DistMetadata m;
  if (str::starts_with(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  for (std::string_view line : str::lines(text)) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view val = str::trim(line.substr(colon + 1));
    if (key == "Name" && m.name.empty()) m.name = std::string(val);
    if (key == "Version" && m.version.empty()) m.version = std::string(val);
  }
  return m;
}

std::string normalize_dist_name(std::string_view name) {
  std::string out;
  bool sep = false;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      sep = true;
      continue;
    }
    if (sep && !out.empty()) out += '-';
    sep = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<std::string> cuda_from_local_version(std::string_view version) {
  size_t plus = version.find('+');
  if (plus == std::string_view::npos) return std::nullopt;
  std::string local = str::to_lower(version.substr(plus + 1));
  // "cpu", "cpu-cxx11-abi", "cpu.cxx11.abi"
  if (str::starts_with(local, "cpu")) return std::string();
  // "cu124" (PyTorch), "cuda12.cudnn89" (old jaxlib)
  if (str::starts_with(local, "cuda")) {
    std::string_view r = std::string_view(local).substr(4);
    size_t end = 0;
    while (end < r.size() && std::isdigit(static_cast<unsigned char>(r[end]))) ++end;
    if (end == 0) return std::nullopt;
    if (end + 1 < r.size() && r[end] == '.' && std::isdigit(static_cast<unsigned char>(r[end + 1]))) {
      ++end;
      while (end < r.size() && std::isdigit(static_cast<unsigned char>(r[end]))) ++end;
    }
    return std::string(r.substr(0, end));
  }
  if (str::starts_with(local, "cu")) {
    std::string_view r = std::string_view(local).substr(2);
    size_t end = 0;
    while (end < r.size() && std::isdigit(static_cast<unsigned char>(r[end]))) ++end;
    if (end < 2 || end > 4) return std::nullopt;
    std::string_view d = r.substr(0, end);
    // cu92 -> 9.2, cu118 -> 11.8, cu124 -> 12.4, cu130 -> 13.0 (the last digit is the minor)
    std::string major(d.substr(0, d.size() - 1));
    return major + "." + std::string(d.substr(d.size() - 1));
  }
  return std::nullopt;
}

std::optional<std::string> cuda_major_from_dist_name(std::string_view name) {
  std::string n = normalize_dist_name(name);
  for (std::string_view tag : {std::string_view("-cu"), std::string_view("-cuda")}) {
    size_t at = 0;
    while ((at = n.find(tag, at)) != std::string::npos) {
      size_t i = at + tag.size();
      size_t end = i;
      while (end < n.size() && std::isdigit(static_cast<unsigned char>(n[end]))) ++end;
      if (end > i && end - i <= 2 && (end == n.size() || n[end] == '-' || n[end] == 'x')) return n.substr(i, end - i);
      at = i;
    }
  }
  return std::nullopt;
}

std::map<std::string, std::string> parse_pyvenv_cfg(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : str::lines(text)) {
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key = str::to_lower(str::trim(line.substr(0, eq)));
    if (key.empty() || key[0] == '#') continue;
    out[key] = std::string(str::trim(line.substr(eq + 1)));
  }
  return out;
}

namespace {

// The CUDA libraries the inventory lists (stem before ".so").
bool is_cuda_lib_stem(std::string_view stem) {
  static const std::vector<std::string_view> names = {
      "libcudart",    "libcudnn", "libcublas", "libcublasLt", "libnccl",     "libnvrtc", "libcuda",
      "libnvJitLink", "libcufft", "libcurand", "libcusolver", "libcusparse", "libcupti", "libnvinfer"};
  if (std::find(names.begin(), names.end(), stem) != names.end()) return true;
  return str::starts_with(stem, "libcudnn_");  // cuDNN 8/9 sub-libraries (libcudnn_ops, libcudnn_cnn_infer...)
}

bool is_version(std::string_view v) {
  if (v.empty() || v.front() == '.' || v.back() == '.') return false;
  for (char c : v)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  return v.find("..") == std::string_view::npos;
}

}  // namespace

std::optional<CudaLibName> parse_cuda_lib_filename(std::string_view file) {
  size_t so = file.find(".so.");
  if (so == std::string_view::npos) return std::nullopt;
  std::string_view stem = file.substr(0, so);
  std::string_view version = file.substr(so + 4);
  // Wheel-bundled copies carry a hash: libcudart-e409450e.so.11.0, libnvrtc-builtins? (not listed).
  size_t dash = stem.rfind('-');
  if (dash != std::string_view::npos && !is_cuda_lib_stem(stem)) {
    std::string_view h = stem.substr(dash + 1);
    bool hexy = h.size() == 8 &&
                std::all_of(h.begin(), h.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (hexy) stem = stem.substr(0, dash);
  }
  if (!is_cuda_lib_stem(stem) || !is_version(version)) return std::nullopt;
  CudaLibName n;
  n.name = std::string(stem);
  n.version = std::string(version);
  n.soname = n.name + ".so." + std::string(version.substr(0, version.find('.')));
  return n;
}

std::string cudart_version_string(int v) {
  if (v <= 0) return {};
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string cudnn_version_string(uint64_t v) {
  if (v == 0) return {};
  if (v >= 90000)
    return std::to_string(v / 10000) + "." + std::to_string((v % 10000) / 100) + "." + std::to_string(v % 100);
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 100) + "." + std::to_string(v % 100);
}

}  // namespace infertune
