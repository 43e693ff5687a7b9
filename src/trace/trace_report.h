#pragma once
// Trace + analyses -> the `trace analyze` Report (summary sections, findings, JSON payload). Pure: no IO.

#include <cstddef>

#include "report/report.h"
#include "trace/trace_data.h"

namespace infertune::trace {

struct TraceReportOptions {
  size_t top = 10;  // rows of the top-kernels table
};

Report trace_report(const Trace& t, const TraceReportOptions& o);

}  // namespace infertune::trace
