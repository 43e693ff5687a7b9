#pragma once
// Findings: what a rule concluded, with the facts it rests on and the fix.

#include <string>
#include <string_view>
#include <vector>

namespace infertune {

enum class Severity { kInfo = 0, kWarning = 1, kError = 2 };

std::string_view severity_name(Severity s);  // "info", "warning", "error"
bool parse_severity(std::string_view text, Severity& out);

// One fact a finding rests on: what it is, its value, and where it was read.
struct Evidence {
  std::string fact;    // "CPU limit (cgroup)"
  std::string value;   // "2 cores (cpu.max 200000 100000)"
  std::string source;  // "/sys/fs/cgroup/cpu.max"
};

struct Finding {
  std::string id;  // stable, documented in docs/findings.md: "CPU-THROTTLED"
  Severity severity = Severity::kWarning;
  std::string title;  // one line
  std::vector<Evidence> evidence;
  std::string fix;     // the exact command or change
  std::string impact;  // estimated impact, where one can be measured ("" when not)
  // Ranking weight within a severity: larger = more important (e.g. the throttled share, 0..1).
  double weight = 0;

  std::string docs_url() const;  // "docs/findings.md#cpu-throttled"
};

// Most important first: severity, then weight, then id (stable for golden outputs).
void rank_findings(std::vector<Finding>& findings);

}  // namespace infertune
