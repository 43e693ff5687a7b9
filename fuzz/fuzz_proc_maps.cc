// Fuzzes the serving-process parsers: /proc/<pid>/maps (and the library classification of every path it
// yields), the NSpid line of /proc/<pid>/status and /proc/<pid>/cmdline with --process matching.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collect/proc_maps.h"
#include "collect/target_process.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infertune;
  std::string_view t(reinterpret_cast<const char*>(data), size);
  for (const auto& m : parse_proc_maps(t)) {
    if (m.path.empty() || m.path.front() != '/') __builtin_trap();
    (void)kind_means_cuda(classify_cuda_library(m.path));
  }
  (void)classify_cuda_library(t);
  (void)parse_nspid(t);
  auto argv = parse_cmdline(t);
  (void)process_match("vllm", t.substr(0, t.size() / 2), argv);
  return 0;
}
