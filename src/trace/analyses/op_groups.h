#pragma once
// Grouping of the key_averages-style operator table beyond the operator name, as PyTorch's
// key_averages(group_by_input_shape=True) and key_averages(group_by_stack_n=N) do: by the operator's input shapes
// (record_shapes=True) or by the innermost N Python frames around it (with_stack=True). Pure: no IO.

#include <cstdint>
#include <string>
#include <vector>

#include "trace/analyses/analyses.h"

namespace infertune::trace {

enum class OpGroupBy : uint8_t { kName, kInputShapes, kStack };
bool parse_op_group_by(const std::string& s, OpGroupBy& out);  // "name", "input-shapes", "stack"
const char* op_group_by_name(OpGroupBy g);

inline constexpr int kDefaultStackDepth = 5;  // as the tuning guide's key_averages(group_by_stack_n=5)

struct OpGroupKeysResult {
  OpGroupKeys keys;
  uint64_t rows_events = 0;      // events of the operator table
  uint64_t events_with_key = 0;  // of those, with input shapes / with a Python frame
  // Set (and keys empty) when the trace lacks what the grouping needs, saying what to record.
  std::string why_not;
};

// The per-event keys for `by` (kName gives no keys). Input shapes: Event::input_dims, shown as PyTorch prints them
// ("[[8, 3, 224, 224], [], []]"); an event without them has the empty key. Stack: the innermost `stack_depth`
// Python frames around the event (python_stack), one per line.
OpGroupKeysResult op_group_keys(const Model& m, OpGroupBy by, int stack_depth);

// "[[8,3,224,224],[64,3,7,7],[]]" -> "[[8, 3, 224, 224], [64, 3, 7, 7], []]" (Python's str of the list).
std::string pytorch_shapes_text(const std::string& compact_json);

// The Python frames around a host event, innermost first, at most `depth`: the python_function frames enclosing
// it (Model::py_frame, then Model::parent), leaving out what is not a Python frame in PyTorch's own stack —
// "nn.Module: …" markers and "<built-in …>" C calls — and the frames PyTorch's table filters out
// (autograd's backward/_make_grads, torch/tensor.py backward, the test harness' prof_* wrappers).
std::vector<std::string> python_stack(const Model& m, uint32_t event, size_t depth);

}  // namespace infertune::trace
