// GPU timeline: busy/idle/computation/exposed copy and communication time, after TraceLens' definitions.

#include <algorithm>
#include <string>

#include "trace/analyses/analyses.h"

namespace infertune::trace {

namespace {

struct Span {
  int64_t start, end;
};
using Spans = std::vector<Span>;

// Adds s to the union u, for spans added in order of start (m.activities is sorted by start); touching spans
// merge. No list of the raw spans is kept.
void add_sorted(Spans& u, Span s) {
  if (!u.empty() && s.start <= u.back().end) {
    u.back().end = std::max(u.back().end, s.end);
  } else {
    u.push_back(s);
  }
}

int64_t length(const Spans& v) {
  int64_t n = 0;
  for (const Span& s : v) n += s.end - s.start;
  return n;
}

// b minus a, both merged and sorted.
Spans subtract(const Spans& a, const Spans& b) {
  Spans out;
  size_t i = 0;
  for (const Span& s : b) {
    int64_t cur = s.start;
    while (i < a.size() && a[i].end <= s.start) ++i;
    for (size_t k = i; k < a.size() && a[k].start < s.end; ++k) {
      if (a[k].start > cur) out.push_back({cur, std::min(s.end, a[k].start)});
      cur = std::max(cur, a[k].end);
      if (cur >= s.end) break;
    }
    if (cur < s.end) out.push_back({cur, s.end});
  }
  return out;
}

bool is_comm_name(const std::string& n) {
  return n.find("nccl") != std::string::npos || n.find("rccl") != std::string::npos;
}

}  // namespace

TimelineResult gpu_timeline(const Model& m) {
  TimelineResult r;
  if (m.activities.empty()) {
    r.why_not = "the trace has no GPU activity (no kernel, gpu_memcpy or gpu_memset events)";
    return r;
  }
  const Trace& t = *m.trace;
  for (int32_t dev : m.devices) {
    GpuTimeline g;
    g.device = dev;
    Spans all_u, comp_u, comm_u, copy_u;  // unions, built as the activities come (in order of start)
    for (const GpuActivity& a : m.activities) {
      if (a.device != dev) continue;
      if (a.launch == kNoIndex) {
        ++g.activities_unlinked;
        continue;
      }
      ++g.activities;
      Span s{a.ts_ns, a.end_ns};
      add_sorted(all_u, s);
      if (a.kind == ActivityKind::kMemcpy) {
        add_sorted(copy_u, s);
      } else if (is_comm_name(t.name_of(t.events[a.event]))) {
        add_sorted(comm_u, s);
      } else {
        add_sorted(comp_u, s);
      }
    }
    if (all_u.empty()) {
      r.devices.push_back(g);
      continue;
    }
    g.total_ns = all_u.back().end - all_u.front().start;
    g.busy_ns = length(all_u);
    g.idle_ns = g.total_ns - g.busy_ns;
    g.computation_ns = length(comp_u);
    g.total_comm_ns = length(comm_u);
    g.exposed_comm_ns = length(subtract(comp_u, comm_u));
    g.total_memcpy_ns = length(copy_u);
    g.exposed_memcpy_ns = length(subtract(comm_u, subtract(comp_u, copy_u)));

    // Gaps: for each busy period after the first, the activity that starts it: the first of this device's
    // linked activities (in order of start) that starts at the gap's end.
    auto counted = [&](const GpuActivity& a) { return a.device == dev && a.launch != kNoIndex; };
    size_t k = 0;
    const size_t n_acts = m.activities.size();
    for (size_t i = 1; i < all_u.size(); ++i) {
      int64_t gap_start = all_u[i - 1].end, gap_end = all_u[i].start;
      int64_t gap = gap_end - gap_start;
      ++g.gaps;
      g.largest_gap_ns = std::max(g.largest_gap_ns, gap);
      while (k < n_acts && (!counted(m.activities[k]) || m.activities[k].ts_ns < gap_end)) ++k;
      if (k < n_acts) {
        const GpuActivity* next = &m.activities[k];
        const Event& launch = t.events[next->launch];
        if (launch.ts_ns >= gap_start) {
          g.host_wait_ns += gap;
          ++g.host_wait_gaps;
        }
        uint32_t sync = attribute_gap(m, gap_start, gap_end, next, {launch.pid, launch.tid}, g.idle_split);
        if (sync != kNoIndex) r.sync_idle.emplace_back(sync, gap);
      }
    }
    r.devices.push_back(g);
  }
  return r;
}

}  // namespace infertune::trace
