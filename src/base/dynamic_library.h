#pragma once
// A shared library opened at run time (dlopen), never linked: NVIDIA's libraries are optional and often broken
// on the machines this tool diagnoses. A library, once opened, stays loaded for the life of the process: a probe
// thread abandoned inside one of its functions (base/deadline.h) may still be running its code.

#include <string>

#include "base/result.h"

namespace infertune {

class DynamicLibrary {
 public:
  // dlopen(name_or_path, RTLD_NOW | RTLD_LOCAL). A bare name ("libnvidia-ml.so.1") is searched the way the
  // dynamic loader searches (LD_LIBRARY_PATH, ld.so.cache, /lib, /usr/lib); the error says what dlerror said.
  static Result<DynamicLibrary> load(const std::string& name_or_path);

  // The address of `name`, or nullptr when the library does not export it.
  void* symbol(const char* name) const;
  template <class Fn>
  Fn function(const char* name) const {
    return reinterpret_cast<Fn>(symbol(name));
  }

  const std::string& requested() const { return requested_; }
  // The file actually loaded, with symbolic links resolved ("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.535.54.03");
  // "" when the loader does not say.
  const std::string& file() const { return file_; }

 private:
  void* handle_ = nullptr;
  std::string requested_;
  std::string file_;
};

// The version a library file name carries after ".so.": "libnvidia-ml.so.535.54.03" -> "535.54.03",
// "libcuda.so.1" -> "1", "libnvidia-ml.so" -> "". Pure.
std::string library_file_version(const std::string& path);

// True when the path has a directory component named "stubs" (the CUDA toolkit's link-time stub libraries,
// lib64/stubs/libnvidia-ml.so and libcuda.so, which answer every call with an error). Pure.
bool is_stub_library_path(const std::string& path);

// Opens one of the NVIDIA driver's libraries: `explicit_path` when given, else the file named by the environment
// variable `env_var`, else `default_name` through the loader's search. Refuses the CUDA toolkit's stubs (a path
// under stubs/); the error says where it looked.
Result<DynamicLibrary> open_driver_library(const std::string& explicit_path, const char* env_var,
                                           const char* default_name);

}  // namespace infertune
