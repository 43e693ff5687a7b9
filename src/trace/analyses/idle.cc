// GPU idle time by cause: what the host was doing while the GPU had nothing to run.

#include <algorithm>

#include "trace/analyses/analyses.h"

namespace infertune::trace {

const char* idle_cause_name(IdleCause c) {
  switch (c) {
    case IdleCause::kLaunch: return "launch overhead";
    case IdleCause::kCpuWork: return "other CPU work";
    case IdleCause::kSync: return "synchronisation";
    case IdleCause::kDataLoader: return "data loading";
    case IdleCause::kQueued: return "queued (GPU-side wait)";
  }
  return "?";
}

const char* idle_cause_key(IdleCause c) {
  switch (c) {
    case IdleCause::kLaunch: return "launch";
    case IdleCause::kCpuWork: return "cpu_work";
    case IdleCause::kSync: return "sync";
    case IdleCause::kDataLoader: return "dataloader";
    case IdleCause::kQueued: return "queued";
  }
  return "?";
}

int64_t IdleSplit::total_ns() const {
  int64_t n = 0;
  for (int64_t v : ns) n += v;
  return n;
}

namespace {

bool overlaps_union(const Intervals& v, int64_t a, int64_t b) {
  auto it = std::lower_bound(v.begin(), v.end(), a, [](const Interval& s, int64_t x) { return s.end <= x; });
  return it != v.end() && it->start < b;
}

int64_t overlap_length(const Intervals& v, int64_t a, int64_t b) {
  int64_t n = 0;
  auto it = std::lower_bound(v.begin(), v.end(), a, [](const Interval& s, int64_t x) { return s.end <= x; });
  for (; it != v.end() && it->start < b; ++it) n += std::min(b, it->end) - std::max(a, it->start);
  return n;
}

// The latest-starting sync call that overlaps [a, b), or kNoIndex.
uint32_t overlapping_sync(const Model& m, int64_t a, int64_t b) {
  const Intervals& s = m.syncs;
  size_t hi = static_cast<size_t>(
      std::lower_bound(s.begin(), s.end(), b, [](const Interval& x, int64_t v) { return x.start < v; }) - s.begin());
  for (size_t j = hi; j > 0; --j) {
    if (m.syncs_max_end[j - 1] <= a) break;  // nothing at or before j-1 reaches past a
    if (s[j - 1].end > a) return s[j - 1].event;
  }
  return kNoIndex;
}

void add(IdleSplit& out, IdleCause c, int64_t ns) { out.ns[static_cast<size_t>(c)] += ns; }

}  // namespace

uint32_t attribute_gap(const Model& m, int64_t g0, int64_t g1, const GpuActivity* next,
                       std::pair<int64_t, int64_t> thread, IdleSplit& out) {
  const int64_t gap = g1 - g0;
  if (gap <= 0) return kNoIndex;
  const Trace& t = *m.trace;
  if (next != nullptr && next->launch != kNoIndex) {
    const Event& launch = t.events[next->launch];
    if (launch.ts_ns < g0) {
      add(out, IdleCause::kQueued, gap);
      ++out.gaps[static_cast<size_t>(IdleCause::kQueued)];
      return kNoIndex;
    }
    thread = {launch.pid, launch.tid};
  }
  if (overlaps_union(m.dataloader, g0, g1)) {
    add(out, IdleCause::kDataLoader, gap);
    ++out.gaps[static_cast<size_t>(IdleCause::kDataLoader)];
    return kNoIndex;
  }
  if (uint32_t s = overlapping_sync(m, g0, g1); s != kNoIndex) {
    add(out, IdleCause::kSync, gap);
    ++out.gaps[static_cast<size_t>(IdleCause::kSync)];
    return s;
  }
  int64_t cpu = 0;
  if (auto it = m.cpu_only.find(thread); it != m.cpu_only.end()) cpu = overlap_length(it->second, g0, g1);
  add(out, IdleCause::kCpuWork, cpu);
  add(out, IdleCause::kLaunch, gap - cpu);
  ++out.gaps[static_cast<size_t>(cpu * 2 > gap ? IdleCause::kCpuWork : IdleCause::kLaunch)];
  return kNoIndex;
}

}  // namespace infertune::trace
