#include "base/dynamic_library.h"

#include <dlfcn.h>
#include <link.h>

#include <climits>
#include <cstdlib>

#include "base/strings.h"

namespace infertune {

Result<DynamicLibrary> DynamicLibrary::load(const std::string& name_or_path) {
  dlerror();
  void* h = dlopen(name_or_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* err = dlerror();
    return env_error("cannot load " + name_or_path + ": " + (err ? err : "dlopen failed"));
  }
  DynamicLibrary lib;
  lib.handle_ = h;
  lib.requested_ = name_or_path;
  link_map* map = nullptr;
  if (dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr && map->l_name[0] != '\0') {
    char buf[PATH_MAX];
    lib.file_ = realpath(map->l_name, buf) != nullptr ? std::string(buf) : std::string(map->l_name);
  }
  return lib;
}

void* DynamicLibrary::symbol(const char* name) const {
  if (handle_ == nullptr) return nullptr;
  return dlsym(handle_, name);
}

std::string library_file_version(const std::string& path) {
  std::string_view base = path;
  if (auto slash = base.rfind('/'); slash != std::string_view::npos) base.remove_prefix(slash + 1);
  auto at = base.find(".so.");
  if (at == std::string_view::npos) return "";
  return std::string(base.substr(at + 4));
}

bool is_stub_library_path(const std::string& path) {
  for (auto part : str::split(path, '/')) {
    if (part == "stubs") return true;
  }
  return false;
}

Result<DynamicLibrary> open_driver_library(const std::string& explicit_path, const char* env_var,
                                           const char* default_name) {
  std::string want = explicit_path;
  std::string via = "given path";
  if (want.empty()) {
    const char* env = std::getenv(env_var);
    if (env != nullptr && env[0] != '\0') {
      want = env;
      via = std::string("$") + env_var;
    }
  }
  const std::string stub_note =
      " is the CUDA toolkit's link-time stub (a stubs/ directory), which answers every call with an error; it is "
      "not the driver's library. Remove the stubs directory from LD_LIBRARY_PATH";
  if (want.empty()) {
    want = default_name;
    via = "";
  }
  if (is_stub_library_path(want)) return env_error(want + stub_note);
  auto lib = DynamicLibrary::load(want);
  if (!lib) {
    if (!via.empty()) return env_error(lib.error().message + " (named by " + via + ")");
    const char* ld = std::getenv("LD_LIBRARY_PATH");
    std::string msg = std::string(default_name) + " not found: the dynamic loader searched LD_LIBRARY_PATH (" +
                      (ld != nullptr && ld[0] != '\0' ? ld : "not set") +
                      "), the ld.so.cache and /lib, /usr/lib; the NVIDIA driver's user-space libraries are not "
                      "installed here, or not mounted into this container";
    // dlerror says more than "not found" when a file was found but could not be loaded (wrong ELF class, ...).
    if (lib.error().message.find("No such file") == std::string::npos) msg += " (" + lib.error().message + ")";
    return env_error(msg);
  }
  if (is_stub_library_path(lib->file())) return env_error(lib->file() + stub_note);
  return lib;
}

}  // namespace infertune
