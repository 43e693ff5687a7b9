#pragma once
// The `gpu` view's section about the serving process named with --pid / --process: who it is, the one-line
// verdict and what it rests on. Pure: no IO.

#include <cstdint>
#include <optional>

#include "facts/snapshot.h"
#include "report/report.h"

namespace infertune::cli {

// Nothing when no process was named.
std::optional<Section> target_section(const Snapshot& s);

// The target's host PID when known (to mark it in the process table).
std::optional<int64_t> target_host_pid(const Snapshot& s);

}  // namespace infertune::cli
