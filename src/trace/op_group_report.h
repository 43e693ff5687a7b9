#pragma once
// Report section and JSON of the grouped operator table (`trace analyze --group-by input-shapes|stack`).

#include <cstddef>
#include <string>

#include "report/report.h"
#include "trace/analyses/op_groups.h"

namespace infertune::trace {

Section grouped_ops_section(const OpTable& ot, const OpGroupKeysResult& keys, OpGroupBy by, size_t top,
                            const std::string& sort);
// The "ops" JSON object: {group_by, stack_depth (stack), count, top: [{name, input_shapes | stack, calls, …}]},
// or {group_by, not_available} when the trace lacks what the grouping needs.
Json grouped_ops_json(const OpTable& ot, const OpGroupKeysResult& keys, OpGroupBy by, int stack_depth, size_t top);

}  // namespace infertune::trace
