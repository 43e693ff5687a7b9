// Rules over environment variables that change GPU behaviour.

#include <string>

#include "base/strings.h"
#include "rules/rule.h"

namespace infertune {

namespace {

void check_launch_blocking(const Snapshot& s, std::vector<Finding>& out) {
  if (!s.process.env) return;
  auto it = s.process.env->find("CUDA_LAUNCH_BLOCKING");
  if (it == s.process.env->end()) return;
  auto v = str::parse_i64(it->second);
  if (!v || *v == 0) return;  // the CUDA runtime treats 1 (any non-zero number) as on
  Finding f;
  f.id = "CUDA-LAUNCH-BLOCKING-ON";
  f.severity = Severity::kError;
  f.title = "CUDA_LAUNCH_BLOCKING=" + it->second + " makes every kernel launch synchronous";
  f.evidence.push_back(evidence_of("CUDA_LAUNCH_BLOCKING", s.process.env, it->second));
  f.impact =
      "The CPU waits for each kernel to finish before it launches the next: the GPU idles between kernels "
      "and CPU and GPU work no longer overlap. Typical slow-downs are 1.5x to several x for inference.";
  f.fix =
      "Remove it from the serving environment (it is a debugging switch):\n  unset CUDA_LAUNCH_BLOCKING\n"
      "(check the Dockerfile ENV lines, the pod spec env and the entrypoint script)";
  f.weight = 1.0;
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Rule> env_rules() {
  return {
      {"CUDA-LAUNCH-BLOCKING-ON", "env", check_launch_blocking},
  };
}

}  // namespace infertune
