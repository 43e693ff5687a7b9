#pragma once
// Snapshot -> the `infertune compat` Report: the chain driver -> CUDA driver API -> runtime(s) -> cuDNN ->
// framework(s) -> GPU arch with a verdict per link, the installs that fit this driver and GPU, then the
// compat findings. Pure: no IO.

#include <string>

#include "facts/snapshot.h"
#include "report/report.h"

namespace infertune::cli {

Report compat_report(const Snapshot& s, const std::string& subject);

}  // namespace infertune::cli
