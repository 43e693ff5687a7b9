// Fuzzes the ELF/fatbin scanner (collect/fatbin.h) and the text parsers of the compatibility inventory:
// a library named with `compat --lib` or found in a --root copy may hold anything.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collect/compat.h"
#include "collect/fatbin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infertune;
  std::string_view t(reinterpret_cast<const char*>(data), size);
  (void)scan_fatbin_bytes(t, "fuzz");
  (void)parse_python_assignments(t);
  (void)parse_dist_metadata(t);
  (void)parse_nvcc_version(t);
  (void)parse_pyvenv_cfg(t);
  (void)parse_cuda_lib_filename(t);
  (void)cuda_from_local_version(t);
  (void)cuda_major_from_dist_name(t);
  (void)normalize_dist_name(t);
  return 0;
}
