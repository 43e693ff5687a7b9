// Per-step timeline: ProfilerStep#N windows with GPU busy/idle and idle causes per step.

#include <algorithm>
#include <limits>

#include "trace/analyses/analyses.h"

namespace infertune::trace {

const char* tb_part_name(TbPart p) {
  switch (p) {
    case TbPart::kKernel: return "Kernel";
    case TbPart::kMemcpy: return "Memcpy";
    case TbPart::kMemset: return "Memset";
    case TbPart::kRuntime: return "Runtime";
    case TbPart::kDataLoader: return "DataLoader";
    case TbPart::kCpuExec: return "CPU Exec";
    case TbPart::kOther: return "Other";
  }
  return "?";
}

namespace {

using Span = std::pair<int64_t, int64_t>;

// Merges the overlapping spans of `v`, sorted by start, in place.
void coalesce(std::vector<Span>& v) {
  size_t n = 0;
  for (const Span& s : v) {
    if (n > 0 && s.first <= v[n - 1].second) {
      v[n - 1].second = std::max(v[n - 1].second, s.second);
    } else {
      v[n++] = s;
    }
  }
  v.resize(n);
}

// Collects spans and keeps them merged as it goes (merging is order-free, so the result is the one of merging
// the whole list at once), so a part made of many overlapping spans never holds them all. Spans that come in
// order of start (GPU activities; a thread's host events) are merged into the last one on arrival, with no sort;
// the few that come out of order (another thread's) wait in a side list that is sorted and merged in batches.
class SpanUnion {
 public:
  void add(int64_t a, int64_t b) {
    if (v_.empty() || a >= v_.back().first) {
      // v_ is a merged, sorted union and nothing in it starts after a.
      if (!v_.empty() && a <= v_.back().second) {
        v_.back().second = std::max(v_.back().second, b);
      } else {
        v_.emplace_back(a, b);
      }
      return;
    }
    late_.emplace_back(a, b);
    if (late_.size() >= limit_) {
      fold_late();
      limit_ = std::max<size_t>(v_.size() / 4, kMinBatch);
    }
  }
  std::vector<Span> take() {
    fold_late();
    v_.shrink_to_fit();
    return std::move(v_);
  }

 private:
  // Merges the side list into v_ (both end up as one merged, sorted union).
  void fold_late() {
    if (late_.empty()) return;
    std::sort(late_.begin(), late_.end());
    std::vector<Span> all(v_.size() + late_.size());
    std::merge(v_.begin(), v_.end(), late_.begin(), late_.end(), all.begin());
    late_.clear();
    coalesce(all);
    v_.swap(all);
  }

  static constexpr size_t kMinBatch = 1 << 16;
  std::vector<Span> v_;     // merged and sorted
  std::vector<Span> late_;  // spans that started before the last of v_
  size_t limit_ = kMinBatch;
};

// The parts of `v` (merged) inside [lo, hi).
std::vector<Span> clipped(const std::vector<Span>& v, int64_t lo, int64_t hi) {
  std::vector<Span> out;
  auto it = std::lower_bound(v.begin(), v.end(), lo, [](const Span& s, int64_t x) { return s.second <= x; });
  for (; it != v.end() && it->first < hi; ++it) out.emplace_back(std::max(lo, it->first), std::min(hi, it->second));
  return out;
}

// a minus b, both merged.
std::vector<Span> minus(const std::vector<Span>& a, const std::vector<Span>& b) {
  std::vector<Span> out;
  size_t i = 0;
  for (const Span& s : a) {
    int64_t cur = s.first;
    while (i < b.size() && b[i].second <= s.first) ++i;
    for (size_t k = i; k < b.size() && b[k].first < s.second; ++k) {
      if (b[k].first > cur) out.emplace_back(cur, b[k].first);
      cur = std::max(cur, b[k].second);
      if (cur >= s.second) break;
    }
    if (cur < s.second) out.emplace_back(cur, s.second);
  }
  return out;
}

int64_t total(const std::vector<Span>& v) {
  int64_t n = 0;
  for (const Span& s : v) n += s.second - s.first;
  return n;
}

void tb_breakdown(const Model& m, StepsResult& r) {
  const Trace& t = *m.trace;
  SpanUnion u[kTbParts - 1];
  for (const GpuActivity& a : m.activities) {
    size_t k = a.kind == ActivityKind::kKernel ? 0 : (a.kind == ActivityKind::kMemcpy ? 1 : 2);
    u[k].add(a.ts_ns, a.end_ns);
  }
  for (uint32_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    if (is_launch_api(e.cat)) {
      u[static_cast<size_t>(TbPart::kRuntime)].add(e.ts_ns, e.end_ns());
    } else if (e.cat == Cat::kCpuOp || e.cat == Cat::kUserAnnotation) {
      if (m.flags[i] & kDataLoader) {
        u[static_cast<size_t>(TbPart::kDataLoader)].add(e.ts_ns, e.end_ns());
      } else if (t.name_of(e).rfind("ProfilerStep#", 0) != 0) {
        u[static_cast<size_t>(TbPart::kCpuExec)].add(e.ts_ns, e.end_ns());
      }
    }
  }
  std::vector<Span> parts[kTbParts - 1];
  for (size_t k = 0; k + 1 < kTbParts; ++k) parts[k] = u[k].take();
  for (StepRow& s : r.steps) {
    std::vector<Span> used;
    int64_t covered = 0;
    for (size_t k = 0; k + 1 < kTbParts; ++k) {
      std::vector<Span> mine = minus(clipped(parts[k], s.start_ns, s.end_ns), used);
      s.tb_ns[k] = total(mine);
      covered += s.tb_ns[k];
      // Both are sorted and merged: one linear merge.
      std::vector<Span> both(used.size() + mine.size());
      std::merge(used.begin(), used.end(), mine.begin(), mine.end(), both.begin());
      coalesce(both);
      used.swap(both);
    }
    s.tb_ns[kTbParts - 1] = s.wall_ns() - covered;
  }
  for (size_t k = 0; k < kTbParts; ++k) {
    int64_t sum = 0;
    for (const StepRow& s : r.steps) sum += s.tb_ns[k];
    r.tb_mean_ns[k] = sum / static_cast<int64_t>(r.steps.size());
  }
}

}  // namespace

StepsResult step_timeline(const Model& m) {
  StepsResult r;
  if (m.steps.empty()) {
    r.why_not = "the trace has no ProfilerStep#N spans (profile with schedule=… and call prof.step() each step)";
    return r;
  }
  const Trace& t = *m.trace;
  const size_t n = m.steps.size();
  // Activities launched inside each step's span (launch call start in [start, end)).
  std::vector<int64_t> dev_end(n, std::numeric_limits<int64_t>::min());
  r.steps.resize(n);
  for (size_t i = 0; i < n; ++i) {
    r.steps[i].number = m.steps[i].number;
    r.steps[i].cpu_start_ns = m.steps[i].ts_ns;
    r.steps[i].cpu_end_ns = m.steps[i].end_ns;
  }
  auto step_of = [&](int64_t ts) -> size_t {
    auto it =
        std::upper_bound(m.steps.begin(), m.steps.end(), ts, [](int64_t v, const Step& s) { return v < s.ts_ns; });
    if (it == m.steps.begin()) return n;
    size_t i = static_cast<size_t>(it - m.steps.begin()) - 1;
    return ts < m.steps[i].end_ns ? i : n;
  };
  // Busy periods of all linked activities (sorted by start), each with the activity that opens it.
  struct Busy {
    int64_t start, end;
    const GpuActivity* first;
  };
  std::vector<Busy> busy;
  for (const GpuActivity& a : m.activities) {
    if (a.launch == kNoIndex) continue;
    if (!busy.empty() && a.ts_ns <= busy.back().end) {
      busy.back().end = std::max(busy.back().end, a.end_ns);
    } else {
      busy.push_back({a.ts_ns, a.end_ns, &a});
    }
    size_t i = step_of(t.events[a.launch].ts_ns);
    if (i == n) continue;
    StepRow& s = r.steps[i];
    dev_end[i] = std::max(dev_end[i], a.end_ns);
    switch (a.kind) {
      case ActivityKind::kKernel:
        ++s.kernels;
        s.kernel_sum_ns += a.end_ns - a.ts_ns;
        break;
      case ActivityKind::kMemcpy: ++s.memcpys; break;
      case ActivityKind::kMemset: ++s.memsets; break;
    }
  }
  for (uint32_t i = 0; i < t.events.size(); ++i) {
    if (!(m.flags[i] & kKernelLaunchApi)) continue;
    size_t k = step_of(t.events[i].ts_ns);
    if (k != n) ++r.steps[k].launch_calls;
  }
  // Windows (TensorBoard plugin rule).
  int64_t prev_end = m.steps.front().ts_ns;
  for (size_t i = 0; i < n; ++i) {
    StepRow& s = r.steps[i];
    s.start_ns = std::max(prev_end, s.cpu_start_ns);
    s.end_ns = std::max(s.cpu_end_ns, dev_end[i] == std::numeric_limits<int64_t>::min() ? s.start_ns : dev_end[i]);
    prev_end = s.end_ns;
  }
  for (size_t i = 0; i < n; ++i) {
    StepRow& s = r.steps[i];
    const Event& step_ev = t.events[m.steps[i].event];
    std::pair<int64_t, int64_t> thread{step_ev.pid, step_ev.tid};
    int64_t cur = s.start_ns;  // start of the current idle stretch
    auto it =
        std::lower_bound(busy.begin(), busy.end(), s.start_ns, [](const Busy& b, int64_t v) { return b.end <= v; });
    for (; it != busy.end() && it->start < s.end_ns; ++it) {
      int64_t b0 = std::max(it->start, s.start_ns), b1 = std::min(it->end, s.end_ns);
      if (b0 > cur) attribute_gap(m, cur, b0, it->first, thread, s.idle);
      s.busy_ns += b1 - b0;
      cur = std::max(cur, b1);
    }
    if (cur < s.end_ns) {
      const GpuActivity* next = it != busy.end() && it->start == s.end_ns ? it->first : nullptr;
      attribute_gap(m, cur, s.end_ns, next, thread, s.idle);
    }
    s.idle_ns = s.wall_ns() - s.busy_ns;
  }
  std::vector<Busy>().swap(busy);  // no longer needed: leave the room to tb_breakdown
  std::vector<int64_t> walls;
  int64_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    r.slowest.push_back(i);
    walls.push_back(r.steps[i].wall_ns());
    sum += walls.back();
  }
  std::stable_sort(r.slowest.begin(), r.slowest.end(),
                   [&](size_t a, size_t b) { return r.steps[a].wall_ns() > r.steps[b].wall_ns(); });
  std::sort(walls.begin(), walls.end());
  r.mean_wall_ns = sum / static_cast<int64_t>(n);
  r.median_wall_ns = n % 2 ? walls[n / 2] : (walls[n / 2 - 1] + walls[n / 2]) / 2;
  tb_breakdown(m, r);
  return r;
}

}  // namespace infertune::trace
