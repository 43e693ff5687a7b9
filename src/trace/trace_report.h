#pragma once
// Trace + analyses -> the `trace analyze` Report (summary sections, findings, JSON payload). Pure: no IO.

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "report/report.h"
#include "trace/trace_data.h"

namespace infertune::trace {

// Report sections that can be chosen (--section); the Trace summary is always shown.
const std::vector<std::string>& trace_section_names();  // timeline, steps, breakdown, idle, launch, syncs,
                                                        // copies, ops, modules, kernels, memory

struct TraceReportOptions {
  size_t top = 10;                       // rows of the tables (kernels, operators, callers, steps)
  std::set<std::string> sections;        // empty = all
  std::string sort = "cuda_time_total";  // operator table order (see parse_op_sort)
  std::string group_by = "name";         // operator table rows: name, input-shapes, stack (op_groups.h)
  int stack_depth = 5;                   // --group-by stack: Python frames in the key
};

Report trace_report(const Trace& t, const TraceReportOptions& o);

// Only the findings of `trace analyze` (ranked), for another command's report (`doctor --trace FILE`).
std::vector<Finding> trace_file_findings(const Trace& t);

}  // namespace infertune::trace
