#include "trace/trace_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <string>

#include "trace/analyses/analyses.h"
#include "trace/format.h"
#include "trace/model.h"
#include "trace/trace_charts.h"

namespace infertune::trace {

namespace {

bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
// "128x64", "2x2x1": integers joined by x.
bool is_dims(std::string_view s) {
  if (s.empty() || !(s[0] >= '0' && s[0] <= '9')) return false;
  bool x = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == 'x') {
      if (i + 1 >= s.size() || !(s[i + 1] >= '0' && s[i + 1] <= '9')) return false;
      x = true;
    } else if (!(s[i] >= '0' && s[i] <= '9')) {
      return false;
    }
  }
  return x;
}
bool is_hex_hash(std::string_view s) {
  if (s.size() < 12) return false;
  bool digit = false, letter = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c >= 'a' && c <= 'f') {
      letter = true;
    } else {
      return false;
    }
  }
  return digit && letter;
}

// One alphanumeric token of a kernel name, normalised. `in_template`: inside <…>.
std::string norm_token(std::string_view tok, bool in_template) {
  if (is_dims(tok)) return "*";
  if (tok.size() > 2 && tok[0] == '0' && tok[1] == 'x') return "0x*";
  if (is_hex_hash(tok)) return "*";
  if (in_template) {
    // 128, 4096ul, 0u, 2048l: an integer template argument
    size_t d = 0;
    while (d < tok.size() && tok[d] >= '0' && tok[d] <= '9') ++d;
    std::string_view rest = tok.substr(d);
    if (d > 0 && (rest.empty() || rest == "u" || rest == "l" || rest == "ul" || rest == "ll" || rest == "ull")) {
      return "*";
    }
  }
  // A letter prefix followed by a number or dims: tilesize128x128x64, warpgroupsize1x1x1, MT64x16x16, stage4,
  // align4, alignc4, sliced1x4.
  size_t p = 0;
  while (p < tok.size() && std::isalpha(static_cast<unsigned char>(tok[p])) != 0) ++p;
  if (p > 0 && p < tok.size()) {
    std::string_view prefix = tok.substr(0, p), rest = tok.substr(p);
    if (is_dims(rest)) return std::string(prefix) + "*";
    if (all_digits(rest) && (prefix == "stage" || prefix == "align" || prefix == "alignc")) {
      return std::string(prefix) + "*";
    }
  }
  return std::string(tok);
}

}  // namespace

std::string normalize_kernel_name(const std::string& name) {
  std::string s = name;
  if (s.rfind("_Z", 0) == 0) return s;  // mangled: kept as is
  if (s.rfind("void ", 0) == 0) s.erase(0, 5);
  // Drop the parameter list: the first '(' outside <…> that is not "(anonymous namespace)".
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '<') ++depth;
    if (c == '>' && depth > 0) --depth;
    if (c == '(' && depth == 0) {
      if (s.compare(i, 21, "(anonymous namespace)") == 0) {
        i += 20;
        continue;
      }
      if (i > 0) s.resize(i);
      break;
    }
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  // Triton (Inductor) kernels: the trailing index numbers kernels within one compiled graph.
  if (s.rfind("triton_", 0) == 0 && s.rfind("triton__", 0) != 0) {
    size_t u = s.rfind('_');
    if (u != std::string::npos && u > 7 && all_digits(std::string_view(s).substr(u + 1))) s.resize(u);
  }
  for (size_t at = s.find("at::detail::Array<"); at != std::string::npos; at = s.find("at::detail::Array<", at)) {
    s.replace(at, 18, "std::array<");
  }
  std::string out;
  out.reserve(s.size());
  depth = 0;
  for (size_t i = 0; i < s.size();) {
    if (is_alnum(s[i])) {
      size_t j = i;
      while (j < s.size() && is_alnum(s[j])) ++j;
      // A whole template argument: "<128," ", 4>" (not a part of a name such as cutlass_80_tensorop).
      size_t before = i, after = j;
      while (before > 0 && s[before - 1] == ' ') --before;
      while (after < s.size() && s[after] == ' ') ++after;
      bool whole_argument = depth > 0 && before > 0 && (s[before - 1] == '<' || s[before - 1] == ',') &&
                            after < s.size() && (s[after] == ',' || s[after] == '>');
      out += norm_token(std::string_view(s).substr(i, j - i), whole_argument);
      i = j;
      continue;
    }
    if (s[i] == '<') ++depth;
    if (s[i] == '>' && depth > 0) --depth;
    out += s[i++];
  }
  return out;
}

double DiffRow::rel() const {
  if (base == 0) return 0;
  return static_cast<double>(now - base) / static_cast<double>(base);
}

namespace {

// What one trace contributes to the diff, from the analyses `trace analyze` runs.
struct Side {
  std::vector<DiffRow> overall;  // `base` holds the value
  std::map<std::string, int64_t> kernels, classes, ops_cuda, ops_cpu, ops_cpu_self;
  std::map<std::string, int64_t> class_counts;  // kernels (and copies, memsets) per class
  size_t kernel_names = 0;                      // exact kernel names before normalisation
  std::string path;
  uint64_t events = 0;
  // Peak GPU memory from the [memory] events (profile_memory=True), summed over accelerator devices.
  bool memory = false;
  int64_t peak_allocated = 0, peak_reserved = 0;
};

Side summarise(const Trace& t) {
  Side s;
  s.path = t.path;
  s.events = t.stats.events_kept;
  TraceAnalyses a(t);
  const Model& m = a.m;
  const TimelineResult& tl = a.tl;
  const KernelSummary& ks = a.ks;
  const StepsResult& st = a.st;
  const LaunchStats& ls = a.ls;
  const SyncStats& sy = a.sy;
  const CopyStats& cs = a.cs;
  const MemoryTimeline& mt = a.mt;
  OpTable ot = op_table(m, OpSort::kCudaTotal, nullptr, &a.owners);
  for (const DeviceMemory& d : mt.devices) {
    if (!d.accelerator) continue;
    s.memory = true;
    s.peak_allocated += d.peak_allocated;
    if (d.has_reserved) s.peak_reserved += d.peak_reserved;
  }

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
    s.class_counts[kernel_class_name(c.cls)] += static_cast<int64_t>(c.stats.count);
    if (c.cls != KernelClass::kMemcpy && c.cls != KernelClass::kMemset) kernel_ns += c.stats.total_ns;
  }
  for (const KernelRow& k : ks.kernels) {
    if (k.cls != KernelClass::kMemcpy && k.cls != KernelClass::kMemset) {
      s.kernels[normalize_kernel_name(k.name)] += k.stats.total_ns;
      ++s.kernel_names;
    }
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
  for (size_t p = 0; p < kTbParts; ++p) {
    add(std::string("Step breakdown (mean): ") + tb_part_name(static_cast<TbPart>(p)), "ns", st.tb_mean_ns[p]);
  }
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
  if (b.memory || n.memory) {  // only when a side recorded GPU memory: 0 would read as "none used"
    d.overall.push_back({"Peak GPU memory allocated", "bytes", b.peak_allocated, n.peak_allocated});
    d.overall.push_back({"Peak GPU memory reserved", "bytes", b.peak_reserved, n.peak_reserved});
  }
  d.kernels = match(b.kernels, n.kernels, "");
  d.classes = match(b.classes, n.classes, "");
  d.class_counts = match(b.class_counts, n.class_counts, "");
  for (DiffRow& r : d.class_counts) r.unit = "count";
  d.kernel_names_base = b.kernel_names;
  d.kernel_names_new = n.kernel_names;
  d.kernel_keys_base = b.kernels.size();
  d.kernel_keys_new = n.kernels.size();
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
  r.sections.push_back(table("Kernel classes by count", d.class_counts, o.top, "no GPU activity"));
  r.sections.push_back(table("Operators by CUDA total (largest change first)", d.ops_cuda, o.top, "no operators"));
  r.sections.push_back(table("Operators by CPU total (largest change first)", d.ops_cpu, o.top, "no operators"));
  r.notes.push_back(
      "kernels are matched by their normalised name (Triton index, tile/shape and integer template parameters, "
      "hashes and the parameter list left out; docs/trace.md), operators by name; GPU times are summed over "
      "devices; a relative change is against the base");
  r.notes.push_back(fmt::format("kernel names: base {} → {} after normalisation, new {} → {}", d.kernel_names_base,
                                d.kernel_keys_base, d.kernel_names_new, d.kernel_keys_new));
  Json j;
  j["base"] = {{"file", base.path}, {"events_kept", base.stats.events_kept}};
  j["new"] = {{"file", now.path}, {"events_kept", now.stats.events_kept}};
  j["overall"] = rows_json(d.overall, d.overall.size());
  j["slower"] = rows_json(d.slower, o.top);
  j["faster"] = rows_json(d.faster, o.top);
  j["kernels"] = rows_json(d.kernels, o.top);
  j["kernel_classes"] = rows_json(d.classes, d.classes.size());
  j["kernel_class_counts"] = rows_json(d.class_counts, d.class_counts.size());
  j["kernel_names"] = {{"base", d.kernel_names_base},
                       {"base_normalised", d.kernel_keys_base},
                       {"new", d.kernel_names_new},
                       {"new_normalised", d.kernel_keys_new}};
  j["ops_cuda_total"] = rows_json(d.ops_cuda, o.top);
  j["ops_cpu_total"] = rows_json(d.ops_cpu, o.top);
  r.data = j;
  r.charts.push_back(diff_changes_chart(d, o.top));  // drawn by --format html
  return r;
}

}  // namespace infertune::trace
