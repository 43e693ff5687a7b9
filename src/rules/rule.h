#pragma once
// Rules: pure functions Snapshot -> Findings. They never read files or call libraries.
// Every rule is listed once in the registry (registry.cc) with its id; docs/findings.md documents each id
// and a test keeps the two in step.

#include <string>
#include <vector>

#include "facts/snapshot.h"
#include "report/finding.h"

namespace infertune {

using RuleCheck = void (*)(const Snapshot&, std::vector<Finding>&);

struct Rule {
  const char* id;
  const char* area;  // "host", "container", "env", "gpu", "compat"
  RuleCheck check;
};

const std::vector<Rule>& all_rules();
// Runs every rule and ranks the result.
std::vector<Finding> run_rules(const Snapshot& s);

// Per-area tables, concatenated by the registry.
std::vector<Rule> cpu_rules();
std::vector<Rule> memory_rules();
std::vector<Rule> env_rules();
std::vector<Rule> pressure_rules();
std::vector<Rule> gpu_presence_rules();
std::vector<Rule> gpu_rules();
std::vector<Rule> process_rules();
std::vector<Rule> gpu_nvml_rules();
std::vector<Rule> compat_rules();  // compat_rules.cc

// Evidence helpers.
template <class T>
Evidence evidence_of(std::string fact, const Fact<T>& f, std::string value) {
  return Evidence{std::move(fact), std::move(value), f.source};
}

}  // namespace infertune
