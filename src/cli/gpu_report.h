#pragma once
// Snapshot -> the `infertune gpu` Report: what was looked at, one block per GPU, the process table and the GPU
// findings. Pure: no IO.

#include <string>

#include "facts/snapshot.h"
#include "report/report.h"

namespace infertune::cli {

Report gpu_report(const Snapshot& s, const std::string& subject);

}  // namespace infertune::cli
