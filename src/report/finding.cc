#include "report/finding.h"

#include <algorithm>

#include "base/strings.h"

namespace infertune {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "info";
}

bool parse_severity(std::string_view text, Severity& out) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kError}) {
    if (text == severity_name(s)) {
      out = s;
      return true;
    }
  }
  return false;
}

std::string Finding::docs_url() const { return "docs/findings.md#" + str::to_lower(id); }

void rank_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.weight != b.weight) return a.weight > b.weight;
    return a.id < b.id;
  });
}

}  // namespace infertune
