#include "trace/trace_report.h"

#include <fmt/format.h>

#include <string>

#include "base/units.h"
#include "trace/analyses/analyses.h"
#include "trace/format.h"
#include "trace/model.h"

namespace infertune::trace {

namespace {

std::string share_of(int64_t part, int64_t whole) {
  if (whole <= 0) return "n/a";
  return percent(static_cast<double>(part) / static_cast<double>(whole));
}

std::string shorten(const std::string& s, size_t n) {
  if (s.size() <= n) return s;
  size_t cut = n - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "…";
}

std::string bytes_text(uint64_t b) {
  return fmt::format("{} bytes ({:.1f} MiB)", b, static_cast<double>(b) / 1048576.0);
}

Section summary_section(const Trace& t, const Model& m) {
  Section s{"Trace", {}};
  s.rows.push_back({"File", t.path});
  s.rows.push_back({"Size", bytes_text(t.file_bytes) + (t.gzip ? ", gzip; JSON " + bytes_text(t.json_bytes) : "")});
  const ReadStats& st = t.stats;
  s.rows.push_back({"Events", fmt::format("{} read, {} kept, {} metadata, {} skipped", st.events_seen, st.events_kept,
                                          st.metadata_events, st.skipped_total())});
  std::string skipped;
  if (st.malformed) skipped += fmt::format("{} malformed; ", st.malformed);
  if (st.invalid_utf8) skipped += fmt::format("{} invalid UTF-8; ", st.invalid_utf8);
  if (st.other_phases) skipped += fmt::format("{} other instant/flow/counter events; ", st.other_phases);
  for (const auto& [cat, n] : st.skipped_categories) skipped += fmt::format("{} '{}'; ", n, cat);
  if (!skipped.empty()) s.rows.push_back({"Skipped (not analysed)", skipped.substr(0, skipped.size() - 2)});
  if (st.large_integers) {
    s.rows.push_back({"Integers beyond int64", fmt::format("{} events (those values ignored)", st.large_integers)});
  }
  std::string devs;
  for (const DeviceInfo& d : t.devices) {
    if (!devs.empty()) devs += "\n";
    devs += fmt::format("{}: {}", d.id, d.name.empty() ? "(no name)" : d.name);
    if (d.num_sms > 0) devs += fmt::format(", {} SMs", d.num_sms);
    if (d.compute_major >= 0) devs += fmt::format(", sm_{}{}", d.compute_major, d.compute_minor);
  }
  s.rows.push_back({"Devices (properties)", devs.empty() ? "none listed in the trace" : devs});
  std::string active;
  for (int32_t d : m.devices) active += (active.empty() ? "" : ", ") + std::to_string(d);
  s.rows.push_back(
      {"GPU activity", m.activities.empty()
                           ? std::string("none")
                           : fmt::format("{} kernels, {} memcpy, {} memset on device(s) {} over {} stream(s)",
                                         m.kernels, m.memcpys, m.memsets, active, m.streams.size())});
  if (!m.activities.empty()) {
    s.rows.push_back(
        {"Launch links", fmt::format("{} of {} GPU activities have their launch call in the trace (correlation id); "
                                     "{} are attributed to an operator (External id)",
                                     m.linked_activities, m.activities.size(), m.activities_with_op)});
  }
  if (m.steps.empty()) {
    s.rows.push_back({"Profiler steps", "none (no ProfilerStep#N annotation)"});
  } else {
    s.rows.push_back({"Profiler steps",
                      fmt::format("{} (#{} to #{})", m.steps.size(), m.steps.front().number, m.steps.back().number)});
  }
  s.rows.push_back({"Span", duration(m.last_ns - m.first_ns) + " (first to last kept event)"});
  if (t.base_time_ns) s.rows.push_back({"Base time", fmt::format("{} ns since the epoch", *t.base_time_ns)});
  return s;
}

Section timeline_section(const TimelineResult& tl) {
  Section s{"GPU timeline", {}};
  if (!tl.why_not.empty()) {
    s.rows.push_back({"Not available", tl.why_not});
    return s;
  }
  for (const GpuTimeline& g : tl.devices) {
    std::string p = tl.devices.size() > 1 ? fmt::format("GPU {} ", g.device) : std::string();
    if (g.activities == 0) {
      s.rows.push_back(
          {p + "Not available",
           fmt::format("none of the {} GPU activities has its launch call in the trace", g.activities_unlinked)});
      continue;
    }
    s.rows.push_back({p + "Total", ms(g.total_ns) + " (first to last GPU activity)"});
    s.rows.push_back({p + "Busy", ms(g.busy_ns) + " (" + share_of(g.busy_ns, g.total_ns) + ", union over streams)"});
    s.rows.push_back({p + "Idle", ms(g.idle_ns) + " (" + share_of(g.idle_ns, g.total_ns) + ")"});
    s.rows.push_back({p + "Computation", ms(g.computation_ns) + " (" + share_of(g.computation_ns, g.total_ns) + ")"});
    s.rows.push_back({p + "Exposed communication", ms(g.exposed_comm_ns) + " (" +
                                                       share_of(g.exposed_comm_ns, g.total_ns) + "; total " +
                                                       ms(g.total_comm_ns) + ")"});
    s.rows.push_back({p + "Exposed memcpy", ms(g.exposed_memcpy_ns) + " (" + share_of(g.exposed_memcpy_ns, g.total_ns) +
                                                "; total " + ms(g.total_memcpy_ns) + ")"});
    if (g.gaps) {
      s.rows.push_back(
          {p + "Idle gaps", fmt::format("{}; largest {}; host-wait {} in {} gaps", g.gaps, duration(g.largest_gap_ns),
                                        ms(g.host_wait_ns), g.host_wait_gaps)});
    }
    if (g.activities_unlinked) {
      s.rows.push_back(
          {p + "Left out", fmt::format("{} activities whose launch call is not in the trace", g.activities_unlinked)});
    }
  }
  return s;
}

std::string stats_text(const DurationStats& d, int64_t busy) {
  return fmt::format("{}× total {} · mean {} · min {} · max {} · {} of GPU busy", d.count, duration(d.total_ns),
                     duration(d.mean_ns()), duration(d.min_ns), duration(d.max_ns), share_of(d.total_ns, busy));
}

Section top_kernels_section(const KernelSummary& ks, size_t top) {
  Section s{"Top kernels (by total GPU time)", {}};
  if (!ks.why_not.empty()) {
    s.rows.push_back({"Not available", ks.why_not});
    return s;
  }
  for (size_t i = 0; i < ks.kernels.size() && i < top; ++i) {
    const KernelRow& k = ks.kernels[i];
    std::string v = std::string("[") + kernel_class_name(k.cls) + "] " + stats_text(k.stats, ks.gpu_busy_ns);
    if (k.mean_occupancy_pct >= 0) v += fmt::format(" · est. occupancy {:.0f} %", k.mean_occupancy_pct);
    s.rows.push_back({shorten(k.name, 60), v});
  }
  if (ks.kernels.size() > top) {
    s.rows.push_back({"(more)", fmt::format("{} more names; --top N shows more", ks.kernels.size() - top)});
  }
  return s;
}

Section classes_section(const KernelSummary& ks) {
  Section s{"Kernel classes", {}};
  if (!ks.why_not.empty()) {
    s.rows.push_back({"Not available", ks.why_not});
    return s;
  }
  for (const ClassRow& c : ks.classes)
    s.rows.push_back({kernel_class_name(c.cls), stats_text(c.stats, ks.gpu_busy_ns)});
  return s;
}

Json stats_json(const DurationStats& d) {
  return Json{{"count", d.count},
              {"total_ns", d.total_ns},
              {"mean_ns", d.mean_ns()},
              {"min_ns", d.min_ns},
              {"max_ns", d.max_ns}};
}

Json data_json(const Trace& t, const Model& m, const TimelineResult& tl, const KernelSummary& ks, size_t top) {
  Json j;
  const ReadStats& st = t.stats;
  Json skipped_cats = Json::object();
  for (const auto& [cat, n] : st.skipped_categories) skipped_cats[cat] = n;
  j["trace"] = {{"file", t.path},
                {"file_bytes", t.file_bytes},
                {"json_bytes", t.json_bytes},
                {"gzip", t.gzip},
                {"base_time_ns", t.base_time_ns ? Json(*t.base_time_ns) : Json()},
                {"display_time_unit", t.display_time_unit},
                {"events_seen", st.events_seen},
                {"events_kept", st.events_kept},
                {"metadata_events", st.metadata_events},
                {"skipped",
                 {{"malformed", st.malformed},
                  {"invalid_utf8", st.invalid_utf8},
                  {"other_phases", st.other_phases},
                  {"categories", skipped_cats}}},
                {"large_integers", st.large_integers},
                {"kernels", m.kernels},
                {"memcpys", m.memcpys},
                {"memsets", m.memsets},
                {"linked_activities", m.linked_activities},
                {"steps", m.steps.size()},
                {"span_ns", m.last_ns - m.first_ns}};
  Json tj = Json::array();
  for (const GpuTimeline& g : tl.devices) {
    tj.push_back({{"device", g.device},
                  {"activities", g.activities},
                  {"activities_unlinked", g.activities_unlinked},
                  {"total_ns", g.total_ns},
                  {"busy_ns", g.busy_ns},
                  {"idle_ns", g.idle_ns},
                  {"computation_ns", g.computation_ns},
                  {"exposed_comm_ns", g.exposed_comm_ns},
                  {"exposed_memcpy_ns", g.exposed_memcpy_ns},
                  {"total_comm_ns", g.total_comm_ns},
                  {"total_memcpy_ns", g.total_memcpy_ns},
                  {"gaps", g.gaps},
                  {"largest_gap_ns", g.largest_gap_ns},
                  {"host_wait_ns", g.host_wait_ns}});
  }
  j["gpu_timeline"] = tl.why_not.empty() ? tj : Json{{"not_available", tl.why_not}};
  Json kj = Json::array();
  for (size_t i = 0; i < ks.kernels.size() && i < top; ++i) {
    Json row = {{"name", ks.kernels[i].name}, {"class", kernel_class_name(ks.kernels[i].cls)}};
    row.update(stats_json(ks.kernels[i].stats));
    if (ks.kernels[i].mean_occupancy_pct >= 0) row["mean_occupancy_pct"] = ks.kernels[i].mean_occupancy_pct;
    kj.push_back(row);
  }
  Json cj = Json::array();
  for (const ClassRow& c : ks.classes) {
    Json row = {{"class", kernel_class_name(c.cls)}};
    row.update(stats_json(c.stats));
    cj.push_back(row);
  }
  if (ks.why_not.empty()) {
    j["kernels"] = {{"gpu_busy_ns", ks.gpu_busy_ns}, {"top", kj}, {"classes", cj}};
  } else {
    j["kernels"] = {{"not_available", ks.why_not}};
  }
  return j;
}

}  // namespace

Report trace_report(const Trace& t, const TraceReportOptions& o) {
  Model m = build_model(t);
  TimelineResult tl = gpu_timeline(m);
  KernelSummary ks = kernel_summary(m);
  Report r;
  r.command = "trace analyze";
  r.subject = "trace " + t.path;
  r.sections.push_back(summary_section(t, m));
  r.sections.push_back(timeline_section(tl));
  r.sections.push_back(top_kernels_section(ks, o.top));
  r.sections.push_back(classes_section(ks));
  r.findings = trace_findings(m, tl, ks);
  if (t.display_time_unit == "ns") {
    r.notes.push_back("displayTimeUnit \"ns\" is a viewer hint: ts/dur are microseconds in every Kineto trace");
  }
  r.notes.push_back(
      "GPU timeline after TraceLens' definitions: activities whose launch call is not in the trace are left out; "
      "memsets count as computation");
  r.data = data_json(t, m, tl, ks, o.top);
  return r;
}

}  // namespace infertune::trace
