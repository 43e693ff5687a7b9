#include <set>
#include <string>

#include "rules/rule.h"

namespace infertune {

const std::vector<Rule>& all_rules() {
  static const std::vector<Rule> rules = [] {
    std::vector<Rule> r;
    for (auto part : {cpu_rules(), memory_rules(), env_rules(), pressure_rules(), gpu_presence_rules(), gpu_rules(),
                      process_rules(), gpu_nvml_rules(), compat_rules()}) {
      r.insert(r.end(), part.begin(), part.end());
    }
    return r;
  }();
  return rules;
}

std::vector<Finding> run_rules(const Snapshot& s) {
  std::vector<Finding> out;
  for (const auto& rule : all_rules()) {
    size_t before = out.size();
    rule.check(s, out);
    for (size_t i = before; i < out.size(); ++i) {
      if (out[i].id.empty()) out[i].id = rule.id;
    }
  }
  rank_findings(out);
  return out;
}

}  // namespace infertune
