// CUDA libraries the loader can find (LD_LIBRARY_PATH, ld.so.cache, default directories), in standard CUDA
// places and in Python wheels, with versions from their file names and which copies shadow others.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <set>
#include <thread>

#include "base/strings.h"
#include "collect/compat.h"
#include "collect/compat_paths.h"
#include "collect/ld_so_cache.h"

namespace infertune {

namespace cp = compat_paths;

namespace {

struct Copy {
  CudaLibName lib;
  std::string path;  // resolved
  std::string found_via;
  bool on_search_path = false;
};

// The loader's trusted directories (after LD_LIBRARY_PATH and the cache), glibc's defaults plus the
// Debian/Ubuntu multiarch ones.
const std::vector<std::string>& default_dirs() {
  static const std::vector<std::string> d = {"/lib/x86_64-linux-gnu",
                                             "/usr/lib/x86_64-linux-gnu",
                                             "/lib/aarch64-linux-gnu",
                                             "/usr/lib/aarch64-linux-gnu",
                                             "/lib64",
                                             "/usr/lib64",
                                             "/lib",
                                             "/usr/lib"};
  return d;
}

class Inventory {
 public:
  Inventory(const FsRoot& fs) : fs_(fs) {}

  // Adds the CUDA libraries in one directory.
  void scan_dir(const std::string& dir, const std::string& via, bool on_path) {
    std::string d = cp::normalize(dir);
    if (!scanned_.insert(d + "\n" + via).second) return;
    auto l = fs_.list(fs_.system(d));
    if (!l.ok()) return;
    std::vector<std::string> names;
    for (const auto& e : *l) {
      if (!e.is_dir && str::starts_with(e.name, "lib") && e.name.find(".so") != std::string::npos)
        names.push_back(e.name);
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) add_file(cp::join(d, n), via, on_path);
  }

  void add_file(const std::string& path, const std::string& via, bool on_path) {
    // Only versioned names count: "libcudart.so" (a development link) is not what the loader asks for.
    auto named = parse_cuda_lib_filename(cp::basename(path));
    if (!named) return;
    std::string real = cp::resolve(fs_, path);
    // The resolved file name usually carries the full version (libcudart.so.13 -> libcudart.so.13.0.96).
    if (auto r = parse_cuda_lib_filename(cp::basename(real));
        r && r->name == named->name && r->version.size() > named->version.size()) {
      named->version = r->version;
    }
    if (!fs_.file_size(fs_.system(real))) return;  // dangling link
    for (auto& c : copies_) {
      if (c.path == real) {
        c.on_search_path = c.on_search_path || on_path;
        return;
      }
    }
    copies_.push_back({*named, real, via, on_path});
  }

  std::vector<Copy>& copies() { return copies_; }

 private:
  const FsRoot& fs_;
  std::set<std::string> scanned_;
  std::vector<Copy> copies_;
};

// Calls the library's version function in a worker thread with a deadline. dlopen runs the library's
// initialisers, so this is done only for system copies of libcudart and libcudnn, on the live system.
std::string version_by_dlopen(const std::string& path, const std::string& name, double timeout_s) {
  auto work = [path, name]() -> std::string {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) return {};
    std::string v;
    if (name == "libcudart") {
      using Fn = int (*)(int*);
      auto fn = reinterpret_cast<Fn>(dlsym(h, "cudaRuntimeGetVersion"));
      int out = 0;
      if (fn != nullptr && fn(&out) == 0) v = cudart_version_string(out);
    } else if (name == "libcudnn") {
      using Fn = size_t (*)();
      auto fn = reinterpret_cast<Fn>(dlsym(h, "cudnnGetVersion"));
      if (fn != nullptr) v = cudnn_version_string(fn());
    }
    return v;  // the handle stays open: unloading CUDA libraries at exit has crashed processes
  };
  auto task = std::make_shared<std::packaged_task<std::string()>>(work);
  auto fut = task->get_future();
  std::thread([task]() { (*task)(); }).detach();
  if (fut.wait_for(std::chrono::duration<double>(timeout_s)) != std::future_status::ready) return {};
  return fut.get();
}

}  // namespace

std::vector<CudaLibraryFacts> collect_cuda_libraries(const FsRoot& fs, const EnvMap& env,
                                                     const std::vector<PythonEnvFacts>& envs,
                                                     const CudaLibOptions& opts, std::vector<std::string>& notes) {
  Inventory inv(fs);
  // 1. LD_LIBRARY_PATH, in order.
  if (auto it = env.find("LD_LIBRARY_PATH"); it != env.end()) {
    for (std::string_view d : str::split(it->second, ':')) {
      if (!d.empty() && d.front() == '/') inv.scan_dir(std::string(d), "LD_LIBRARY_PATH", true);
    }
  }
  // 2. The loader cache, in cache order.
  SysPath cache_path = fs.etc("ld.so.cache");
  auto cache_bytes = fs.read(cache_path, 64u << 20);
  if (cache_bytes.ok()) {
    auto cache = parse_ld_so_cache(*cache_bytes, cache_path.display);
    if (cache.ok()) {
      for (const auto& e : cache->entries) {
        if (!ld_cache_entry_is_64bit(e.flags)) continue;
        if (!parse_cuda_lib_filename(e.soname)) continue;
        inv.add_file(e.path, "ldconfig cache", true);
      }
    } else {
      notes.push_back(cache.error().message);
    }
  }
  // 3. The loader's default directories.
  for (const auto& d : default_dirs()) inv.scan_dir(d, "standard location", true);
  // 4. Standard CUDA places the loader does not search unless configured.
  std::vector<std::string> cuda_dirs;
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
    if (auto it = env.find(var); it != env.end() && !it->second.empty() && it->second.front() == '/') {
      cuda_dirs.push_back(cp::join(it->second, "lib64"));
      cuda_dirs.push_back(cp::join(it->second, "lib"));
    }
  }
  cuda_dirs.push_back("/usr/local/cuda/lib64");
  std::vector<std::string> versioned;
  if (auto l = fs.list(fs.system("/usr/local")); l.ok()) {
    for (const auto& e : *l) {
      if (e.is_dir && str::starts_with(e.name, "cuda-")) versioned.push_back("/usr/local/" + e.name);
    }
  }
  std::sort(versioned.begin(), versioned.end());
  for (const auto& v : versioned) cuda_dirs.push_back(cp::join(v, "lib64"));
  for (const std::string& top : [&] {
         std::vector<std::string> t = {"/usr/local/cuda"};
         t.insert(t.end(), versioned.begin(), versioned.end());
         return t;
       }()) {
    if (auto l = fs.list(fs.system(cp::join(top, "targets"))); l.ok()) {
      for (const auto& e : *l) cuda_dirs.push_back(cp::join(top, "targets/" + e.name + "/lib"));
    }
  }
  cuda_dirs.push_back("/usr/lib/wsl/lib");
  if (auto it = env.find("CONDA_PREFIX"); it != env.end() && !it->second.empty() && it->second.front() == '/') {
    cuda_dirs.push_back(cp::join(it->second, "lib"));
  }
  for (const auto& d : cuda_dirs) inv.scan_dir(d, "standard location", false);
  // 5. Libraries shipped in wheels: nvidia/<component>/lib (cu12), nvidia/cu13/lib (CUDA 13), torch/lib.
  for (const auto& e : envs) {
    if (!e.site_packages.known()) continue;
    for (const auto& site : *e.site_packages) {
      std::string nv = cp::join(site, "nvidia");
      if (auto l = fs.list(fs.system(nv)); l.ok()) {
        std::vector<std::string> comps;
        for (const auto& c : *l)
          if (c.is_dir) comps.push_back(c.name);
        std::sort(comps.begin(), comps.end());
        for (const auto& c : comps) inv.scan_dir(cp::join(nv, c + "/lib"), "wheel nvidia/" + c, false);
      }
      inv.scan_dir(cp::join(site, "torch/lib"), "wheel torch", false);
    }
  }

  // Shadowing among copies on the search path: the first copy of a soname wins.
  std::set<std::string> winners;
  std::vector<CudaLibraryFacts> out;
  bool live = fs.is_live();
  for (auto& c : inv.copies()) {
    CudaLibraryFacts f;
    f.name = c.lib.name;
    f.path = c.path;
    f.found_via = c.found_via;
    f.version.set(c.lib.version, "file name");
    bool system_copy = !str::starts_with(c.found_via, "wheel");
    if (opts.load_libraries && live && system_copy && c.lib.version.find('.') == std::string::npos &&
        (c.lib.name == "libcudart" || c.lib.name == "libcudnn")) {
      std::string v = version_by_dlopen(c.path, c.lib.name, opts.timeout_s);
      if (!v.empty()) f.version.set(v, c.lib.name == "libcudart" ? "cudaRuntimeGetVersion" : "cudnnGetVersion");
    }
    if (c.on_search_path) {
      f.shadowed.set(!winners.insert(c.lib.soname).second, "loader search order");
    } else {
      f.shadowed.unknown("not on the loader's search path (loaded only by explicit path or RPATH)");
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace infertune
