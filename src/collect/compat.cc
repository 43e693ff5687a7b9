// The compatibility inventory: Python environments, CUDA libraries, fatbinaries. Read from files only.
#include "collect/collect_all.h"

namespace infertune {

void collect_compat(const FsRoot& /*fs*/, const CollectOptions& /*opts*/, CompatFacts& out) {
  constexpr const char* kNotYet = "the compatibility inventory is not part of this build yet";
  out.python_envs.unknown(kNotYet);
  out.cuda_libraries.unknown(kNotYet);
  out.process_libraries.unknown("no --pid given");
  out.nvcc_version.unknown(kNotYet);
  out.cuda_home.unknown(kNotYet);
  out.ld_library_path.unknown(kNotYet);
  out.fatbins.unknown(kNotYet);
}

}  // namespace infertune
