#pragma once
// The charts of `trace analyze` and `trace diff` (Report::charts, drawn by the HTML report): top kernels,
// kernel classes and top operators as bars; GPU utilisation over time and the memory curve as time series;
// the largest changes of a diff. Pure: no IO.

#include <cstddef>
#include <functional>
#include <vector>

#include "report/report.h"
#include "trace/analyses/analyses.h"
#include "trace/trace_diff.h"

namespace infertune::trace {

// Bar charts draw at most 40 bars, whatever `top` says.
// Kernel names by total GPU time (the first `top`).
Chart top_kernels_chart(const KernelSummary& ks, size_t top);
// Kernel classes by total GPU time (all of them).
Chart kernel_classes_chart(const KernelSummary& ks);
// Operators by CUDA total (the first `top` with GPU time; the ProfilerStep* row, which holds everything, is left
// out), whatever order the table was sorted in.
Chart top_ops_chart(const OpTable& ot, size_t top);
// Busy share of each bin per device (one series per device), x relative to the trace start.
Chart utilisation_chart(const Utilisation& u);
// One chart per CUDA device with memory events: allocated and reserved bytes over time (downsampled to at most
// about 1000 points per series, min and max of each bin kept), the device's memory as a reference line when the
// trace lists it. `origin_ns`: the x origin (the trace start). None when the timeline has no devices.
std::vector<Chart> memory_charts(const MemoryTimeline& mt, int64_t origin_ns);
// `trace diff`: the time rows that changed most (slower and faster together, by |new − base|), signed ns.
Chart diff_changes_chart(const TraceDiff& d, size_t top);

// Adds the charts of the selected report sections to `r` (the call site in trace_report): kernels -> top
// kernels and classes, ops -> top operators (when `ops` is given), timeline -> utilisation, memory -> the
// memory curve when memory_timeline() returns devices (`memory`: the caller's memory_timeline(m), else computed).
void add_trace_charts(Report& r, const Model& m, const KernelSummary& ks, const OpTable* ops,
                      const std::function<bool(const char*)>& selected, size_t top,
                      const MemoryTimeline* memory = nullptr);

}  // namespace infertune::trace
