// Operator-table grouping by input shapes and by Python stack (key_averages(group_by_input_shape /
// group_by_stack_n)).

#include "trace/analyses/op_groups.h"

#include <string_view>
#include <unordered_map>

namespace infertune::trace {

bool parse_op_group_by(const std::string& s, OpGroupBy& out) {
  if (s == "name") {
    out = OpGroupBy::kName;
  } else if (s == "input-shapes") {
    out = OpGroupBy::kInputShapes;
  } else if (s == "stack") {
    out = OpGroupBy::kStack;
  } else {
    return false;
  }
  return true;
}

const char* op_group_by_name(OpGroupBy g) {
  switch (g) {
    case OpGroupBy::kName: return "name";
    case OpGroupBy::kInputShapes: return "input-shapes";
    case OpGroupBy::kStack: return "stack";
  }
  return "name";
}

std::string pytorch_shapes_text(const std::string& compact_json) {
  std::string out;
  out.reserve(compact_json.size() + compact_json.size() / 2);
  bool in_string = false;
  for (size_t i = 0; i < compact_json.size(); ++i) {
    char c = compact_json[i];
    out += c;
    if (c == '"' && (i == 0 || compact_json[i - 1] != '\\')) in_string = !in_string;
    if (c == ',' && !in_string && (i + 1 >= compact_json.size() || compact_json[i + 1] != ' ')) out += ' ';
  }
  return out;
}

namespace {

bool in_table(Cat c) {
  return c == Cat::kCpuOp || c == Cat::kUserAnnotation || c == Cat::kCudaRuntime || c == Cat::kCudaDriver;
}

bool has(std::string_view s, std::string_view a) { return s.find(a) != std::string_view::npos; }

// Frames PyTorch's table leaves out of the stack (torch/autograd/profiler_util.py, _filter_stack_entry).
bool filtered_frame(std::string_view f) {
  return (has(f, "autograd/__init__") && (has(f, "_make_grads") || has(f, "backward"))) ||
         (has(f, "torch/tensor.py") && has(f, "backward")) ||
         (has(f, "_internal/common_utils") &&
          (has(f, "prof_callable") || has(f, "prof_func_call") || has(f, "prof_meth_call")));
}

}  // namespace

std::vector<std::string> python_stack(const Model& m, uint32_t event, size_t depth) {
  std::vector<std::string> out;
  const Trace& t = *m.trace;
  uint32_t f = t.events[event].cat == Cat::kPythonFunction ? event : m.python_of(event);
  for (; f != kNoIndex && out.size() < depth; f = m.parent[f]) {
    const Event& e = t.events[f];
    if (m.is_module[e.name]) continue;  // "nn.Module: BertLayer_0": a marker, not a frame
    const std::string& name = t.name_of(e);
    if (name.rfind("<built-in", 0) == 0) continue;  // a C function called from Python: no frame of its own
    if (filtered_frame(name)) continue;
    out.push_back(name);
  }
  return out;
}

OpGroupKeysResult op_group_keys(const Model& m, OpGroupBy by, int stack_depth) {
  OpGroupKeysResult r;
  if (by == OpGroupBy::kName) return r;
  const Trace& t = *m.trace;
  const size_t n = t.events.size();
  r.keys.key_of_event.assign(n, 0);
  r.keys.text.emplace_back();
  std::unordered_map<std::string, uint32_t> key_of_text;
  auto key = [&](std::string text) -> uint32_t {
    if (text.empty()) return 0;
    auto [it, fresh] = key_of_text.emplace(text, static_cast<uint32_t>(r.keys.text.size()));
    if (fresh) r.keys.text.push_back(std::move(text));
    return it->second;
  };
  if (by == OpGroupBy::kInputShapes) {
    std::unordered_map<StringId, uint32_t> by_dims;  // interned Input Dims -> key
    for (uint32_t i = 0; i < n; ++i) {
      const Event& e = t.events[i];
      if (!in_table(e.cat)) continue;
      ++r.rows_events;
      if (e.input_dims == 0) continue;
      ++r.events_with_key;
      auto it = by_dims.find(e.input_dims);
      if (it == by_dims.end())
        it = by_dims.emplace(e.input_dims, key(pytorch_shapes_text(t.strings.str(e.input_dims)))).first;
      r.keys.key_of_event[i] = it->second;
    }
    if (r.events_with_key == 0) {
      r.why_not =
          "--group-by input-shapes: the trace has no input shapes (no operator carries \"Input Dims\"); profile with "
          "torch.profiler.profile(record_shapes=True, …) to record them";
    }
  } else {
    size_t depth = static_cast<size_t>(stack_depth > 0 ? stack_depth : kDefaultStackDepth);
    std::unordered_map<uint32_t, uint32_t> by_frame;  // innermost python frame -> key
    for (uint32_t i = 0; i < n; ++i) {
      const Event& e = t.events[i];
      if (!in_table(e.cat)) continue;
      ++r.rows_events;
      uint32_t f = m.python_of(i);
      if (f == kNoIndex) continue;
      auto it = by_frame.find(f);
      if (it == by_frame.end()) {
        std::string text;
        for (const std::string& frame : python_stack(m, i, depth)) text += (text.empty() ? "" : "\n") + frame;
        it = by_frame.emplace(f, key(std::move(text))).first;
      }
      r.keys.key_of_event[i] = it->second;
      if (it->second != 0) ++r.events_with_key;
    }
    if (r.events_with_key == 0) {
      r.why_not =
          "--group-by stack: the trace has no Python stacks (no python_function frames around the operators); "
          "profile with torch.profiler.profile(with_stack=True, …) to record them";
    }
  }
  if (!r.why_not.empty()) r.keys = OpGroupKeys{};
  return r;
}

}  // namespace infertune::trace
