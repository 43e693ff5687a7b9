#pragma once
// Snapshot -> the doctor Report (summary sections + ranked findings). Pure: no IO.

#include <string>

#include "facts/snapshot.h"
#include "report/report.h"

namespace infertune::cli {

Report doctor_report(const Snapshot& s, const std::string& subject);

}  // namespace infertune::cli
