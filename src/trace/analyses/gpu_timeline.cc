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

// Union of intervals (sorted by start on input); touching intervals merge.
Spans merge(Spans v) {
  std::sort(v.begin(), v.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
  Spans out;
  for (const Span& s : v) {
    if (!out.empty() && s.start <= out.back().end) {
      out.back().end = std::max(out.back().end, s.end);
    } else {
      out.push_back(s);
    }
  }
  return out;
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
    Spans all, comp, comm, copy;
    std::vector<const GpuActivity*> acts;
    for (const GpuActivity& a : m.activities) {
      if (a.device != dev) continue;
      if (a.launch == kNoIndex) {
        ++g.activities_unlinked;
        continue;
      }
      ++g.activities;
      acts.push_back(&a);
      Span s{a.ts_ns, a.end_ns};
      all.push_back(s);
      if (a.kind == ActivityKind::kMemcpy) {
        copy.push_back(s);
      } else if (is_comm_name(t.name_of(t.events[a.event]))) {
        comm.push_back(s);
      } else {
        comp.push_back(s);
      }
    }
    if (all.empty()) {
      r.devices.push_back(g);
      continue;
    }
    Spans all_u = merge(all), comp_u = merge(comp), comm_u = merge(comm), copy_u = merge(copy);
    g.total_ns = all_u.back().end - all_u.front().start;
    g.busy_ns = length(all_u);
    g.idle_ns = g.total_ns - g.busy_ns;
    g.computation_ns = length(comp_u);
    g.total_comm_ns = length(comm_u);
    g.exposed_comm_ns = length(subtract(comp_u, comm_u));
    g.total_memcpy_ns = length(copy_u);
    g.exposed_memcpy_ns = length(subtract(comm_u, subtract(comp_u, copy_u)));

    // Gaps: for each busy period after the first, the activity that starts it (acts is sorted by ts).
    size_t k = 0;
    for (size_t i = 1; i < all_u.size(); ++i) {
      int64_t gap_start = all_u[i - 1].end, gap_end = all_u[i].start;
      int64_t gap = gap_end - gap_start;
      ++g.gaps;
      g.largest_gap_ns = std::max(g.largest_gap_ns, gap);
      while (k < acts.size() && acts[k]->ts_ns < gap_end) ++k;
      if (k < acts.size()) {
        const Event& launch = t.events[acts[k]->launch];
        if (launch.ts_ns >= gap_start) {
          g.host_wait_ns += gap;
          ++g.host_wait_gaps;
        }
        uint32_t sync = attribute_gap(m, gap_start, gap_end, acts[k], {launch.pid, launch.tid}, g.idle_split);
        if (sync != kNoIndex) r.sync_idle.emplace_back(sync, gap);
      }
    }
    r.devices.push_back(g);
  }
  return r;
}

}  // namespace infertune::trace
