#include "report/report.h"

namespace infertune {

int Report::count(Severity s) const {
  int n = 0;
  for (const auto& f : findings) n += f.severity == s ? 1 : 0;
  return n;
}

}  // namespace infertune
