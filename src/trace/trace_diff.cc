#include "trace/trace_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>

#include "trace/analyses/analyses.h"
#include "trace/format.h"
#include "trace/model.h"
#include "trace/trace_charts.h"

namespace infertune::trace {

double DiffRow::rel() const {
  if (base == 0) return 0;
  return static_cast<double>(now - base) / static_cast<double>(base);
}

namespace {

// What one trace contributes to the diff, from the analyses `trace analyze` runs.
struct Side {
  std::vector<DiffRow> overall;  // `base` holds the value
  std::map<std::string, int64_t> kernels, classes, ops_cuda, ops_cpu, ops_cpu_self;
  std::string path;
  uint64_t events = 0;
};

Side summarise(const Trace& t) {
  Side s;
  s.path = t.path;
  s.events = t.stats.events_kept;
  Model m = build_model(t);
  TimelineResult tl = gpu_timeline(m);
  KernelSummary ks = kernel_summary(m);
  StepsResult st = step_timeline(m);
  LaunchStats ls = launch_stats(m);
  SyncStats sy = sync_stats(m, tl);
  CopyStats cs = copy_stats(m);
  OpTable ot = op_table(m, OpSort::kCudaTotal);

  GpuTimeline sum;  // over devices
  for (const GpuTimeline& g : tl.devices) {
    sum.total_ns += g.total_ns;
    sum.busy_ns += g.busy_ns;
    sum.idle_ns += g.idle_ns;
    sum.computation_ns += g.computation_ns;
    sum.exposed_memcpy_ns += g.exposed_memcpy_ns;
    sum.exposed_comm_ns += g.exposed_comm_ns;
    for (size_t c = 0; c < kIdleCauses; ++c) sum.idle_split.ns[c] += g.idle_split.ns[c];
  }
  int64_t kernel_ns = 0;
  for (const ClassRow& c : ks.classes) {
    s.classes[kernel_class_name(c.cls)] += c.stats.total_ns;
    if (c.cls != KernelClass::kMemcpy && c.cls != KernelClass::kMemset) kernel_ns += c.stats.total_ns;
  }
  for (const KernelRow& k : ks.kernels) {
    if (k.cls != KernelClass::kMemcpy && k.cls != KernelClass::kMemset) s.kernels[k.name] += k.stats.total_ns;
  }
  for (const OpRow& o : ot.ops) {
    s.ops_cuda[o.name] += o.cuda_total_ns;
    s.ops_cpu[o.name] += o.cpu_total_ns;
    s.ops_cpu_self[o.name] += o.cpu_self_ns;
  }
  uint64_t copies = 0;
  int64_t copy_bytes = 0, copy_ns = 0;
  for (const CopyRow& r : cs.rows) {
    if (r.direction == "memset") continue;
    copies += r.count;
    copy_bytes += std::max<int64_t>(r.bytes, 0);
    copy_ns += r.total_ns;
  }
  auto add = [&](std::string name, const char* unit, int64_t v) { s.overall.push_back({std::move(name), unit, v, 0}); };
  add("Wall span (first to last event)", "ns", m.last_ns - m.first_ns);
  add("Profiler steps", "count", static_cast<int64_t>(st.steps.size()));
  add("Mean step wall time", "ns", st.mean_wall_ns);
  add("Median step wall time", "ns", st.median_wall_ns);
  add("GPU timeline total", "ns", sum.total_ns);
  add("GPU busy", "ns", sum.busy_ns);
  add("GPU idle", "ns", sum.idle_ns);
  for (size_t c = 0; c < kIdleCauses; ++c) {
    add(std::string("GPU idle: ") + idle_cause_name(static_cast<IdleCause>(c)), "ns", sum.idle_split.ns[c]);
  }
  add("Computation", "ns", sum.computation_ns);
  add("Exposed memcpy", "ns", sum.exposed_memcpy_ns);
  add("Exposed communication", "ns", sum.exposed_comm_ns);
  add("Kernels", "count", static_cast<int64_t>(m.kernels));
  add("Kernel GPU time (sum)", "ns", kernel_ns);
  add("Launch calls", "count", static_cast<int64_t>(ls.launch_calls));
  add("Launch API time (host)", "ns", ls.launch_api_ns);
  add("Copies (memcpy)", "count", static_cast<int64_t>(copies));
  add("Copy bytes", "bytes", copy_bytes);
  add("Copy time", "ns", copy_ns);
  add("Synchronising calls", "count", static_cast<int64_t>(sy.calls));
  add("Host blocked in syncs", "ns", sy.host_ns);
  return s;
}

bool by_change(const DiffRow& a, const DiffRow& b) {
  int64_t da = std::llabs(a.delta()), db = std::llabs(b.delta());
  if (da != db) return da > db;
  int64_t ma = std::max(a.base, a.now), mb = std::max(b.base, b.now);
  if (ma != mb) return ma > mb;
  return a.name < b.name;
}

std::vector<DiffRow> match(const std::map<std::string, int64_t>& base, const std::map<std::string, int64_t>& now,
                           const std::string& prefix) {
  std::map<std::string, DiffRow> rows;
  for (const auto& [name, v] : base) rows[name] = {prefix + name, "ns", v, 0};
  for (const auto& [name, v] : now) {
    auto it = rows.try_emplace(name, DiffRow{prefix + name, "ns", 0, 0}).first;
    it->second.now = v;
  }
  std::vector<DiffRow> out;
  out.reserve(rows.size());
  for (auto& [name, r] : rows) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), by_change);
  return out;
}

std::string signed_duration(int64_t ns) { return (ns > 0 ? "+" : "") + duration(ns); }

std::string rel_text(const DiffRow& r) {
  if (r.base == 0) return r.now == 0 ? "+0.00 %" : "new";
  return fmt::format("{:+.2f} %", r.rel() * 100.0);
}

std::string value_text(int64_t v, const std::string& unit) {
  if (unit == "ns") return duration(v);
  if (unit == "bytes") return fmt::format("{} bytes ({:.1f} MiB)", v, static_cast<double>(v) / 1048576.0);
  return std::to_string(v);
}

std::string row_text(const DiffRow& r) {
  std::string d = r.unit == "ns" ? signed_duration(r.delta()) : fmt::format("{:+}", r.delta());
  return fmt::format("{} → {} ({}, {})", value_text(r.base, r.unit), value_text(r.now, r.unit), d, rel_text(r));
}

std::string shorten(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…";
}

Section table(const std::string& title, const std::vector<DiffRow>& rows, size_t top, const char* none) {
  Section s{title, {}};
  size_t shown = 0;
  for (const DiffRow& r : rows) {
    if (shown == top) break;
    s.rows.push_back({shorten(r.name, 70), row_text(r)});
    ++shown;
  }
  if (rows.empty()) s.rows.push_back({"None", none});
  if (rows.size() > shown)
    s.rows.push_back({"(more)", fmt::format("{} more; --top N shows more", rows.size() - shown)});
  return s;
}

Json rows_json(const std::vector<DiffRow>& rows, size_t top) {
  Json a = Json::array();
  for (size_t i = 0; i < rows.size() && i < top; ++i) {
    const DiffRow& r = rows[i];
    a.push_back({{"name", r.name},
                 {"unit", r.unit},
                 {"base", r.base},
                 {"new", r.now},
                 {"delta", r.delta()},
                 {"rel", r.base == 0 ? (r.now == 0 ? Json(0.0) : Json()) : Json(r.rel())}});
  }
  return a;
}

}  // namespace

TraceDiff diff_traces(const Trace& base, const Trace& now) {
  Side b = summarise(base), n = summarise(now);
  TraceDiff d;
  d.overall = b.overall;
  for (size_t i = 0; i < d.overall.size(); ++i) d.overall[i].now = n.overall[i].base;
  d.kernels = match(b.kernels, n.kernels, "");
  d.classes = match(b.classes, n.classes, "");
  d.ops_cuda = match(b.ops_cuda, n.ops_cuda, "");
  d.ops_cpu = match(b.ops_cpu, n.ops_cpu, "");
  // Ranked changes: time that does not count the same nanoseconds twice within its kind — kernels by name (GPU),
  // operators' self time (CPU; ProfilerStep* left out: its self time is whatever its children leave), idle by
  // cause and the mean step.
  std::vector<DiffRow> ranked;
  for (const DiffRow& r : match(b.kernels, n.kernels, "kernel ")) ranked.push_back(r);
  for (const DiffRow& r : match(b.ops_cpu_self, n.ops_cpu_self, "operator ")) {
    if (r.name != "operator ProfilerStep*") ranked.push_back({r.name + " (CPU self)", r.unit, r.base, r.now});
  }
  for (const DiffRow& r : d.overall) {
    if (r.name.rfind("GPU idle: ", 0) == 0 || r.name == "Mean step wall time") ranked.push_back(r);
  }
  std::sort(ranked.begin(), ranked.end(), by_change);
  for (const DiffRow& r : ranked) {
    if (r.delta() > 0) d.slower.push_back(r);
    if (r.delta() < 0) d.faster.push_back(r);
  }
  return d;
}

Report trace_diff_report(const Trace& base, const Trace& now, const TraceDiffOptions& o) {
  TraceDiff d = diff_traces(base, now);
  Report r;
  r.command = "trace diff";
  r.subject = "traces " + base.path + " → " + now.path;
  Section head{"Traces", {}};
  head.rows.push_back({"Base", fmt::format("{} ({} events kept)", base.path, base.stats.events_kept)});
  head.rows.push_back({"New", fmt::format("{} ({} events kept)", now.path, now.stats.events_kept)});
  r.sections.push_back(head);
  Section overall{"Overall (base → new)", {}};
  for (const DiffRow& row : d.overall) overall.rows.push_back({row.name, row_text(row)});
  r.sections.push_back(overall);
  r.sections.push_back(table("What got slower", d.slower, o.top, "nothing took longer"));
  r.sections.push_back(table("What got faster", d.faster, o.top, "nothing got faster"));
  r.sections.push_back(table("Kernels by GPU time (largest change first)", d.kernels, o.top, "no kernels"));
  r.sections.push_back(table("Kernel classes by GPU time", d.classes, o.top, "no GPU activity"));
  r.sections.push_back(table("Operators by CUDA total (largest change first)", d.ops_cuda, o.top, "no operators"));
  r.sections.push_back(table("Operators by CPU total (largest change first)", d.ops_cpu, o.top, "no operators"));
  r.notes.push_back(
      "kernels and operators are matched by name; GPU times are summed over devices; a relative change is "
      "against the base");
  Json j;
  j["base"] = {{"file", base.path}, {"events_kept", base.stats.events_kept}};
  j["new"] = {{"file", now.path}, {"events_kept", now.stats.events_kept}};
  j["overall"] = rows_json(d.overall, d.overall.size());
  j["slower"] = rows_json(d.slower, o.top);
  j["faster"] = rows_json(d.faster, o.top);
  j["kernels"] = rows_json(d.kernels, o.top);
  j["kernel_classes"] = rows_json(d.classes, d.classes.size());
  j["ops_cuda_total"] = rows_json(d.ops_cuda, o.top);
  j["ops_cpu_total"] = rows_json(d.ops_cpu, o.top);
  r.data = j;
  r.charts.push_back(diff_changes_chart(d, o.top));  // drawn by --format html
  return r;
}

}  // namespace infertune::trace
