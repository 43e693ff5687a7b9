// Python environments and the framework packages in them, read from files (nothing is imported).
#include <algorithm>
#include <set>

#include "base/strings.h"
#include "collect/compat.h"
#include "collect/compat_paths.h"

namespace infertune {

namespace cp = compat_paths;

namespace {

constexpr size_t kMaxMetadata = 4u << 20;
constexpr size_t kMaxSmallFile = 1u << 20;

std::string env_get(const EnvMap& env, const std::string& k) {
  auto it = env.find(k);
  return it == env.end() ? std::string() : it->second;
}

bool is_interesting(const std::string& n) {
  static const std::set<std::string> exact = {
      "torch",          "torchvision",      "torchaudio",      "tensorflow",  "tensorflow-cpu",
      "tensorflow-gpu", "tensorflow-intel", "tf-nightly",      "jax",         "jaxlib",
      "onnxruntime",    "onnxruntime-gpu",  "ort-nightly-gpu", "tensorrt",    "vllm",
      "triton",         "pytorch-triton",   "cuda-bindings",   "cuda-python", "cuda-toolkit",
      "flash-attn",     "xformers"};
  if (exact.count(n)) return true;
  for (std::string_view pre : {"nvidia-", "tensorrt-", "jax-cuda", "cupy-cuda", "onnxruntime-"}) {
    if (str::starts_with(n, pre)) return true;
  }
  return false;
}

// One interpreter candidate before its environment is read.
struct Candidate {
  std::string interpreter;  // as found (display)
  std::string prefix;       // environment prefix
  std::string found_via;
};

// pyenv shims are scripts, not links: <PYENV_ROOT>/shims/python3 runs <PYENV_ROOT>/versions/<v>/bin/python3.
std::string through_pyenv_shim(const FsRoot& fs, const std::string& path, const EnvMap& env) {
  std::string dir = cp::dirname(path);
  if (cp::basename(dir) != "shims") return path;
  std::string root = cp::dirname(dir);
  std::string version = env_get(env, "PYENV_VERSION");
  if (version.empty()) {
    auto v = fs.read(fs.system(cp::join(root, "version")), 4096);
    if (v.ok()) {
      auto lines = str::lines(*v);
      if (!lines.empty()) version = std::string(str::trim(lines.front()));
    }
  }
  if (version.empty() || version == "system") return path;
  version = std::string(str::trim(str::split(version, ':').front()));
  std::string real = cp::join(cp::join(cp::join(root, "versions"), version), "bin/" + cp::basename(path));
  return fs.exists(fs.system(real)) ? real : path;
}

std::optional<Candidate> candidate_from_interpreter(const FsRoot& fs, const std::string& path, std::string via,
                                                    const EnvMap& env) {
  if (!fs.exists(fs.system(path))) return std::nullopt;
  std::string p = cp::normalize(path);
  std::string dir = cp::dirname(p);
  // A venv's bin/python links to the base interpreter; its prefix is where pyvenv.cfg is.
  if (fs.exists(fs.system(cp::join(cp::dirname(dir), "pyvenv.cfg")))) return Candidate{p, cp::dirname(dir), via};
  std::string real = cp::resolve(fs, through_pyenv_shim(fs, p, env));
  std::string rdir = cp::dirname(real);
  std::string prefix = cp::basename(rdir) == "bin" ? cp::dirname(rdir) : rdir;
  return Candidate{p, prefix, via};
}

std::optional<Candidate> candidate_from_prefix(const FsRoot& fs, const std::string& prefix, std::string via) {
  std::string pre = cp::normalize(prefix);
  if (!fs.is_dir(fs.system(pre))) return std::nullopt;
  for (const char* exe : {"bin/python", "bin/python3"}) {
    std::string p = cp::join(pre, exe);
    if (fs.exists(fs.system(p))) return Candidate{p, pre, via};
  }
  return Candidate{pre, pre, via};
}

// "python3.11" -> "3.11"
std::optional<std::string> version_from_name(std::string_view name) {
  if (!str::starts_with(name, "python")) return std::nullopt;
  std::string_view v = name.substr(6);
  if (v.size() < 3 || v.find('.') == std::string_view::npos) return std::nullopt;
  for (char c : v)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return std::nullopt;
  return std::string(v);
}

// The X.Y directories under <prefix>/lib.
std::vector<std::string> lib_versions(const FsRoot& fs, const std::string& prefix) {
  std::vector<std::string> out;
  for (const char* lib : {"lib", "lib64"}) {
    auto l = fs.list(fs.system(cp::join(prefix, lib)));
    if (!l.ok()) continue;
    for (const auto& e : *l) {
      auto v = version_from_name(e.name);
      if (e.is_dir && v && std::find(out.begin(), out.end(), *v) == out.end()) out.push_back(*v);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string major_minor(const std::string& v) {
  auto parts = str::split(v, '.');
  if (parts.size() < 2) return v;
  return std::string(parts[0]) + "." + std::string(parts[1]);
}

void add_site_dirs(const FsRoot& fs, const std::string& prefix, const std::vector<std::string>& xy,
                   std::vector<std::string>& out) {
  auto add = [&](const std::string& d) {
    if (fs.is_dir(fs.system(d)) && std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  };
  for (const auto& v : xy) {
    add(cp::join(prefix, "lib/python" + v + "/site-packages"));
    add(cp::join(prefix, "lib64/python" + v + "/site-packages"));
    add(cp::join(prefix, "local/lib/python" + v + "/dist-packages"));  // Debian: pip into /usr/local
    add(cp::join(prefix, "lib/python" + v + "/dist-packages"));
  }
  add(cp::join(prefix, "lib/python3/dist-packages"));  // Debian packages (python3-torch ...)
}

std::optional<std::string> read_small(const FsRoot& fs, const std::string& path, size_t max = kMaxSmallFile) {
  auto r = fs.read(fs.system(path), max);
  if (!r.ok()) return std::nullopt;
  return std::move(*r);
}

void set_main_lib(const FsRoot& fs, PythonPackageFacts& pkg, const std::string& site,
                  const std::vector<std::string>& candidates) {
  for (const auto& rel : candidates) {
    std::string p = cp::join(site, rel);
    if (fs.file_size(fs.system(p))) {
      pkg.main_cuda_library.set(p, "file exists");
      return;
    }
  }
  if (!candidates.empty()) {
    pkg.main_cuda_library.unknown("not present: " + cp::join(site, candidates.front()));
  }
}

// A glob-free look-up of "<dir>/<stem>.so.<N>" (tensorrt_libs/libnvinfer.so.10).
std::vector<std::string> versioned_in(const FsRoot& fs, const std::string& site, const std::string& rel_dir,
                                      const std::string& stem) {
  std::vector<std::string> out;
  auto l = fs.list(fs.system(cp::join(site, rel_dir)));
  if (!l.ok()) return out;
  for (const auto& e : *l) {
    if (str::starts_with(e.name, stem + ".so.")) out.push_back(cp::join(rel_dir, e.name));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void torch_details(const FsRoot& fs, const std::string& site, PythonPackageFacts& pkg) {
  std::string vp = cp::join(site, "torch/version.py");
  auto text = read_small(fs, vp);
  if (!text) {
    pkg.cuda_version.unknown("cannot read " + vp);
  } else {
    auto a = parse_python_assignments(*text);
    auto val = [&](const char* k) -> std::optional<std::string> {
      auto it = a.find(k);
      if (it == a.end()) return std::nullopt;
      return it->second;
    };
    if (auto v = val("__version__"); v && *v != pkg.version && str::starts_with(*v, pkg.version)) pkg.version = *v;
    if (auto c = val("cuda")) {
      pkg.cuda_version.set(*c == "None" ? std::string() : *c, vp);
    } else {
      pkg.cuda_version.unknown(vp + " has no cuda line");
    }
    if (auto h = val("hip")) pkg.hip_version.set(*h == "None" ? std::string() : *h, vp);
    if (auto g = val("git_version")) pkg.git_version.set(*g, vp);
  }
  set_main_lib(fs, pkg, site, {"torch/lib/libtorch_cuda.so", "torch/lib/libtorch_cuda_cu.so"});
  if (pkg.cuda_version.known() && pkg.cuda_version->empty() && !pkg.main_cuda_library.known()) {
    pkg.main_cuda_library.unknown("a build without CUDA has no CUDA library");
  }
}

void tensorflow_details(const FsRoot& fs, const std::string& site, PythonPackageFacts& pkg) {
  std::string bp = cp::join(site, "tensorflow/python/platform/build_info.py");
  auto text = read_small(fs, bp);
  if (!text) {
    pkg.cuda_version.unknown("cannot read " + bp);
    pkg.cudnn_version.unknown("cannot read " + bp);
  } else {
    auto a = parse_python_assignments(*text);
    bool cuda_build = a.count("is_cuda_build") ? a["is_cuda_build"] == "True" : a.count("cuda_version") > 0;
    if (!cuda_build) {
      pkg.cuda_version.set("", bp);
      pkg.cudnn_version.set("", bp);
    } else {
      if (a.count("cuda_version"))
        pkg.cuda_version.set(a["cuda_version"], bp);
      else
        pkg.cuda_version.unknown(bp + " has no cuda_version");
      if (a.count("cudnn_version"))
        pkg.cudnn_version.set(a["cudnn_version"], bp);
      else
        pkg.cudnn_version.unknown(bp + " has no cudnn_version");
    }
  }
  if (pkg.cuda_version.known() && pkg.cuda_version->empty()) return;
  set_main_lib(fs, pkg, site,
               {"tensorflow/libtensorflow_cc.so.2", "tensorflow/python/_pywrap_tensorflow_internal.so",
                "tensorflow/libtensorflow_framework.so.2"});
}

void onnxruntime_details(const FsRoot& fs, const std::string& site, PythonPackageFacts& pkg) {
  std::string vp = cp::join(site, "onnxruntime/capi/version_info.py");
  auto text = read_small(fs, vp);
  if (text) {
    auto a = parse_python_assignments(*text);
    if (a.count("use_cuda") && a["use_cuda"] != "True") {
      pkg.cuda_version.set("", vp);
      pkg.cudnn_version.set("", vp);
    } else {
      if (a.count("cuda_version")) pkg.cuda_version.set(a["cuda_version"], vp);
      if (a.count("cudnn_version")) pkg.cudnn_version.set(a["cudnn_version"], vp);
    }
  }
  if (!pkg.cuda_version.known() && !pkg.cuda_version.unknown_why.size()) {
    pkg.cuda_version.unknown(text ? vp + " has no cuda_version" : "cannot read " + vp);
  }
  if (pkg.cuda_version.known() && pkg.cuda_version->empty()) return;
  set_main_lib(fs, pkg, site, {"onnxruntime/capi/libonnxruntime_providers_cuda.so"});
}

void simple_version_file(const FsRoot& fs, const std::string& site, const std::string& rel, PythonPackageFacts& pkg) {
  auto text = read_small(fs, cp::join(site, rel));
  if (!text) return;
  auto a = parse_python_assignments(*text);
  for (const char* k : {"__version__", "_version"}) {
    if (a.count(k) && a[k] != pkg.version && str::starts_with(a[k], pkg.version)) pkg.version = a[k];
  }
}

PythonPackageFacts read_package(const FsRoot& fs, const std::string& site, const std::string& dist_dir,
                                const std::string& norm, const std::string& dir_version) {
  PythonPackageFacts pkg;
  pkg.name = norm;
  pkg.version = dir_version;
  pkg.dist_info = cp::join(site, dist_dir);
  bool egg = str::ends_with(dist_dir, ".egg-info");
  std::string meta = egg ? (fs.is_dir(fs.system(pkg.dist_info)) ? cp::join(pkg.dist_info, "PKG-INFO") : pkg.dist_info)
                         : cp::join(pkg.dist_info, "METADATA");
  if (auto text = read_small(fs, meta, kMaxMetadata)) {
    auto m = parse_dist_metadata(*text);
    if (!m.name.empty()) pkg.name = normalize_dist_name(m.name);
    if (!m.version.empty()) pkg.version = m.version;
  }
  const std::string& n = pkg.name;
  if (n == "torch") {
    torch_details(fs, site, pkg);
  } else if (n == "tensorflow" || str::starts_with(n, "tensorflow-") || n == "tf-nightly") {
    tensorflow_details(fs, site, pkg);
  } else if (n == "onnxruntime" || n == "onnxruntime-gpu" || n == "ort-nightly-gpu") {
    onnxruntime_details(fs, site, pkg);
  } else if (n == "torchvision") {
    simple_version_file(fs, site, "torchvision/version.py", pkg);
    set_main_lib(fs, pkg, site, {"torchvision/_C.so"});
  } else if (n == "jax") {
    simple_version_file(fs, site, "jax/version.py", pkg);
  } else if (n == "jaxlib") {
    simple_version_file(fs, site, "jaxlib/version.py", pkg);
  } else if (n == "vllm") {
    simple_version_file(fs, site, "vllm/_version.py", pkg);
    set_main_lib(fs, pkg, site, {"vllm/_C.abi3.so"});
  } else if (str::starts_with(n, "jax-cuda") && str::ends_with(n, "-pjrt")) {
    auto major = cuda_major_from_dist_name(n);
    if (major) set_main_lib(fs, pkg, site, {"jax_plugins/xla_cuda" + *major + "/xla_cuda_plugin.so"});
  } else if (str::starts_with(n, "tensorrt")) {
    auto libs = versioned_in(fs, site, "tensorrt_libs", "libnvinfer");
    if (!libs.empty()) set_main_lib(fs, pkg, site, {libs.back()});
  }
  // CUDA version from the local tag (+cu124, +cpu) or the distribution name (-cu12), when the package's
  // own files did not say.
  if (!pkg.cuda_version.known()) {
    if (auto c = cuda_from_local_version(pkg.version)) {
      pkg.cuda_version.set(*c, "version " + pkg.version);
    } else if (auto m = cuda_major_from_dist_name(n)) {
      pkg.cuda_version.set(*m, "distribution name " + n);
    } else if (str::starts_with(n, "nvidia-cuda-") || n == "nvidia-cublas" || n == "nvidia-nvjitlink") {
      // Unsuffixed CUDA 13 family wheels (nvidia-cuda-runtime 13.0.96): their version is the CUDA version.
      std::string major(str::split(pkg.version, '.').front());
      if (!major.empty()) pkg.cuda_version.set(major, "version " + pkg.version);
    }
  }
  if (str::starts_with(n, "nvidia-cudnn")) pkg.cudnn_version.set(pkg.version, meta);
  return pkg;
}

std::vector<PythonPackageFacts> scan_site(const FsRoot& fs, const std::string& site, std::set<std::string>& seen) {
  std::vector<PythonPackageFacts> out;
  auto l = fs.list(fs.system(site));
  if (!l.ok()) return out;
  std::vector<DirEntry> entries = *l;
  std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  for (const auto& e : entries) {
    bool dist = str::ends_with(e.name, ".dist-info");
    bool egg = str::ends_with(e.name, ".egg-info");
    if (!dist && !egg) continue;
    std::string base = e.name.substr(0, e.name.size() - (dist ? 10 : 9));
    size_t dash = base.find('-');
    std::string norm = normalize_dist_name(base.substr(0, dash));
    std::string ver = dash == std::string::npos ? std::string() : base.substr(dash + 1);
    if (egg && !ver.empty()) ver = ver.substr(0, ver.find("-py"));  // name-1.0-py3.11.egg-info
    if (!is_interesting(norm)) continue;
    PythonPackageFacts pkg = read_package(fs, site, e.name, norm, ver);
    if (!seen.insert(pkg.name).second) continue;  // an earlier site directory wins, as on sys.path
    out.push_back(std::move(pkg));
  }
  return out;
}

PythonEnvFacts read_env(const FsRoot& fs, const Candidate& c, const EnvMap& env) {
  PythonEnvFacts e;
  e.interpreter = c.interpreter;
  e.found_via = c.found_via;
  std::vector<std::string> versions;
  std::string cfg_path = cp::join(c.prefix, "pyvenv.cfg");
  auto cfg_text = read_small(fs, cfg_path, 1 << 16);
  std::map<std::string, std::string> cfg;
  if (cfg_text) {
    cfg = parse_pyvenv_cfg(*cfg_text);
    std::string v = cfg.count("version") ? cfg["version"] : cfg.count("version_info") ? cfg["version_info"] : "";
    if (!v.empty()) {
      auto parts = str::split(v, '.');  // "3.12.3.final.0" -> "3.12.3"
      std::string vv;
      for (size_t i = 0; i < parts.size() && i < 3; ++i) {
        if (!str::parse_u64(parts[i])) break;
        vv += (i ? "." : "") + std::string(parts[i]);
      }
      if (!vv.empty()) {
        e.python_version.set(vv, cfg_path);
        versions.push_back(major_minor(vv));
      }
    }
  }
  if (!e.python_version.known()) {
    std::string real = cp::resolve(fs, through_pyenv_shim(fs, c.interpreter, env));
    if (auto v = version_from_name(cp::basename(real))) {
      e.python_version.set(*v, "interpreter name " + real);
      versions.push_back(*v);
    }
  }
  auto in_lib = lib_versions(fs, c.prefix);
  if (!e.python_version.known()) {
    if (in_lib.size() == 1) {
      e.python_version.set(in_lib.front(), cp::join(c.prefix, "lib/python" + in_lib.front()));
    } else {
      e.python_version.unknown(in_lib.empty()
                                   ? "no lib/pythonX.Y under " + c.prefix
                                   : "several lib/pythonX.Y under " + c.prefix + "; interpreter version not known");
    }
  }
  if (versions.empty()) versions = in_lib;
  std::vector<std::string> sites;
  bool venv = cfg_text.has_value();
  if (!venv) {
    // The user site comes before the system site on sys.path (not in a venv).
    std::string home = env_get(env, "HOME");
    if (!home.empty()) {
      for (const auto& v : versions) {
        std::string d = cp::join(home, ".local/lib/python" + v + "/site-packages");
        if (fs.is_dir(fs.system(d))) sites.push_back(d);
      }
    }
  }
  add_site_dirs(fs, c.prefix, versions, sites);
  if (venv && str::to_lower(cfg["include-system-site-packages"]) == "true" && cfg.count("home")) {
    std::string base = cp::dirname(cp::normalize(cfg["home"]));
    add_site_dirs(fs, base, versions, sites);
  }
  e.site_packages.set(sites, venv ? cfg_path : "layout of " + c.prefix);
  std::set<std::string> seen;
  std::vector<PythonPackageFacts> pkgs;
  for (const auto& s : sites) {
    for (auto& p : scan_site(fs, s, seen)) pkgs.push_back(std::move(p));
  }
  e.packages.set(std::move(pkgs), sites.empty() ? "no site-packages directory" : "*.dist-info/METADATA");
  return e;
}

}  // namespace

std::vector<PythonEnvFacts> collect_python_envs(const FsRoot& fs, const std::string& python_flag, const EnvMap& env) {
  std::vector<Candidate> cands;
  if (!python_flag.empty()) {
    auto c = fs.is_dir(fs.system(python_flag)) ? candidate_from_prefix(fs, python_flag, "--python")
                                               : candidate_from_interpreter(fs, python_flag, "--python", env);
    if (c) cands.push_back(*c);
  }
  std::vector<PythonEnvFacts> out;
  if (!python_flag.empty() && cands.empty()) {  // said, not dropped: the user asked for this one
    PythonEnvFacts e;
    e.interpreter = python_flag;
    e.found_via = "--python";
    std::string why = python_flag + ": no such file or directory";
    e.python_version.unknown(why);
    e.site_packages.unknown(why);
    e.packages.unknown(why);
    out.push_back(std::move(e));
  }
  if (auto v = env_get(env, "VIRTUAL_ENV"); !v.empty()) {
    if (auto c = candidate_from_prefix(fs, v, "VIRTUAL_ENV")) cands.push_back(*c);
  }
  if (auto v = env_get(env, "CONDA_PREFIX"); !v.empty()) {
    if (auto c = candidate_from_prefix(fs, v, "CONDA_PREFIX")) cands.push_back(*c);
  }
  const std::string path_var = env_get(env, "PATH");  // split() returns views into it
  for (std::string_view dir : str::split(path_var, ':')) {
    if (dir.empty() || dir.front() != '/') continue;
    std::string p = cp::join(dir, "python3");
    if (auto c = candidate_from_interpreter(fs, p, "PATH", env)) {
      cands.push_back(*c);
      break;
    }
  }
  std::set<std::string> prefixes;
  for (const auto& c : cands) {
    if (!prefixes.insert(c.prefix).second) continue;
    out.push_back(read_env(fs, c, env));
  }
  return out;
}

}  // namespace infertune
