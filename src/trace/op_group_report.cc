#include "trace/op_group_report.h"

#include <fmt/format.h>

#include "trace/format.h"

namespace infertune::trace {

namespace {

std::string shorten(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…";
}

// The group column as PyTorch's table heads it, one Python frame per line.
std::string group_text(const OpRow& o, OpGroupBy by) {
  if (by == OpGroupBy::kInputShapes) return "Input Shapes: " + (o.group.empty() ? std::string("[]") : o.group);
  if (o.group.empty()) return "Source Location: (no Python frame)";
  std::string out = "Source Location: ";
  const std::string indent(std::string_view("Source Location: ").size(), ' ');
  size_t start = 0;
  bool first = true;
  while (start <= o.group.size()) {
    size_t nl = o.group.find('\n', start);
    std::string frame = o.group.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    out += (first ? "" : "\n" + indent) + shorten(frame, 100);
    first = false;
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

}  // namespace

Section grouped_ops_section(const OpTable& ot, const OpGroupKeysResult& keys, OpGroupBy by, size_t top,
                            const std::string& sort) {
  Section s{fmt::format("CPU operators by name and {} (by {})",
                        by == OpGroupBy::kInputShapes ? "input shapes" : "Python stack", sort),
            {}};
  if (!keys.why_not.empty()) {
    s.rows.push_back({"Not available", keys.why_not});
    return s;
  }
  if (!ot.why_not.empty()) {
    s.rows.push_back({"Not available", ot.why_not});
    return s;
  }
  s.rows.push_back({"Grouped", fmt::format("{} of {} operator events carry {}", keys.events_with_key, keys.rows_events,
                                           by == OpGroupBy::kInputShapes ? "input shapes" : "a Python frame")});
  for (size_t i = 0; i < ot.ops.size() && i < top; ++i) {
    const OpRow& o = ot.ops[i];
    s.rows.push_back(
        {shorten(o.name, 50),
         fmt::format("{}× · CPU total {} · self {} · CUDA total {} · self {}\n{}", o.calls, duration(o.cpu_total_ns),
                     duration(o.cpu_self_ns), duration(o.cuda_total_ns), duration(o.cuda_self_ns), group_text(o, by))});
  }
  if (ot.ops.size() > top) s.rows.push_back({"(more)", fmt::format("{} more rows", ot.ops.size() - top)});
  return s;
}

Json grouped_ops_json(const OpTable& ot, const OpGroupKeysResult& keys, OpGroupBy by, int stack_depth, size_t top) {
  Json j = {{"group_by", op_group_by_name(by)}};
  if (by == OpGroupBy::kStack) j["stack_depth"] = stack_depth;
  if (!keys.why_not.empty() || !ot.why_not.empty()) {
    j["not_available"] = keys.why_not.empty() ? ot.why_not : keys.why_not;
    return j;
  }
  Json rows = Json::array();
  for (size_t i = 0; i < ot.ops.size() && i < top; ++i) {
    const OpRow& o = ot.ops[i];
    Json row = {{"name", o.name}};
    if (by == OpGroupBy::kInputShapes) {
      row["input_shapes"] = o.group;
    } else {
      Json frames = Json::array();
      size_t start = 0;
      while (!o.group.empty() && start <= o.group.size()) {
        size_t nl = o.group.find('\n', start);
        frames.push_back(o.group.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
      row["stack"] = frames;
    }
    row["calls"] = o.calls;
    row["cpu_total_ns"] = o.cpu_total_ns;
    row["cpu_self_ns"] = o.cpu_self_ns;
    row["cuda_total_ns"] = o.cuda_total_ns;
    row["cuda_self_ns"] = o.cuda_self_ns;
    rows.push_back(row);
  }
  j["count"] = ot.ops.size();
  j["events"] = keys.rows_events;
  j["events_with_key"] = keys.events_with_key;
  j["top"] = rows;
  return j;
}

}  // namespace infertune::trace
