// Launch overhead, synchronisations and copies: what the host does around the GPU work.

#include <algorithm>
#include <map>
#include <unordered_map>

#include "trace/analyses/analyses.h"

namespace infertune::trace {

namespace {

constexpr int64_t kTinyKernelNs = 10'000;
constexpr int64_t kSmallCopyBytes = 64 * 1024;

int64_t percentile(std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

LaunchStats launch_stats(const Model& m) {
  LaunchStats r;
  const Trace& t = *m.trace;
  for (uint32_t i = 0; i < t.events.size(); ++i) {
    if (!(m.flags[i] & kKernelLaunchApi)) continue;
    ++r.launch_calls;
    r.launch_api_ns += t.events[i].dur_ns;
    if (m.flags[i] & kGraphLaunch) ++r.graph_launches;
  }
  std::vector<int64_t> durs, delays, launch_durs;
  for (const GpuActivity& a : m.activities) {
    if (a.kind != ActivityKind::kKernel || a.launch == kNoIndex) continue;
    const Event& l = t.events[a.launch];
    int64_t d = a.end_ns - a.ts_ns;
    ++r.kernels;
    r.kernel_ns += d;
    durs.push_back(d);
    delays.push_back(a.ts_ns - l.ts_ns);
    if (d < kTinyKernelNs) {
      ++r.tiny_kernels;
      r.tiny_kernel_ns += d;
    }
    if (m.flags[a.launch] & kGraphLaunch) {
      ++r.graph_kernels;
    } else {
      launch_durs.push_back(l.dur_ns);
      if (d < l.dur_ns) ++r.shorter_than_launch;
    }
  }
  if (r.kernels == 0) {
    r.why_not = "no kernel has its launch call in the trace";
    return r;
  }
  r.median_kernel_ns = percentile(durs, 0.5);
  r.median_launch_ns = percentile(launch_durs, 0.5);
  r.delay_p50_ns = percentile(delays, 0.5);
  r.delay_p90_ns = percentile(delays, 0.9);
  r.delay_max_ns = *std::max_element(delays.begin(), delays.end());
  return r;
}

SyncStats sync_stats(const Model& m, const TimelineResult& tl) {
  SyncStats r;
  const Trace& t = *m.trace;
  std::unordered_map<uint32_t, int64_t> idle_by_event;
  for (const auto& [ev, ns] : tl.sync_idle) idle_by_event[ev] += ns;
  std::map<std::tuple<std::string, std::string, std::string>, SyncCaller> by;
  for (const Interval& s : m.syncs) {
    const Event& e = t.events[s.event];
    // The CPU operators around the call, outermost first (user annotations and ProfilerStep#N left out: the
    // 2021 schema records steps as operators).
    std::vector<const std::string*> ops;
    for (uint32_t p = m.parent[s.event]; p != kNoIndex; p = m.parent[p]) {
      const std::string& name = t.name_of(t.events[p]);
      if (t.events[p].cat == Cat::kCpuOp && name.rfind("ProfilerStep#", 0) != 0) ops.push_back(&name);
    }
    std::string op;
    for (auto it = ops.rbegin(); it != ops.rend(); ++it) op += (op.empty() ? "" : " > ") + **it;
    if (op.empty()) op = "(no operator)";
    // Innermost Python frame: of the call, else of its innermost operator.
    uint32_t py = m.python_of(s.event);
    for (uint32_t p = m.parent[s.event]; py == kNoIndex && p != kNoIndex; p = m.parent[p]) py = m.python_of(p);
    std::string python = py == kNoIndex ? std::string() : t.name_of(t.events[py]);
    SyncCaller& c = by[{t.name_of(e), op, python}];
    if (c.calls == 0) {
      c.call = t.name_of(e);
      c.op = op;
      c.python = python;
    }
    ++c.calls;
    c.host_ns += e.dur_ns;
    ++r.calls;
    r.host_ns += e.dur_ns;
    if (auto it = idle_by_event.find(s.event); it != idle_by_event.end()) {
      c.gpu_idle_ns += it->second;
      r.gpu_idle_ns += it->second;
    }
  }
  for (auto& [key, c] : by) r.callers.push_back(std::move(c));
  std::stable_sort(r.callers.begin(), r.callers.end(), [](const SyncCaller& a, const SyncCaller& b) {
    if (a.gpu_idle_ns != b.gpu_idle_ns) return a.gpu_idle_ns > b.gpu_idle_ns;
    return a.host_ns > b.host_ns;
  });
  return r;
}

CopyStats copy_stats(const Model& m) {
  CopyStats r;
  const Trace& t = *m.trace;
  std::unordered_map<StringId, size_t> rows;
  std::unordered_map<StringId, size_t> ops;
  const StringId kNoOp = static_cast<StringId>(-1);
  for (const GpuActivity& a : m.activities) {
    if (a.kind == ActivityKind::kKernel) continue;
    const Event& e = t.events[a.event];
    auto [it, fresh] = rows.emplace(e.name, r.rows.size());
    if (fresh) {
      CopyRow row;
      row.name = t.name_of(e);
      if (a.kind == ActivityKind::kMemset) {
        row.direction = "memset";
      } else {
        for (const char* d : {"HtoD", "DtoH", "DtoD", "HtoH", "PtoP", "DtoA", "AtoD"}) {
          if (row.name.find(d) != std::string::npos) {
            row.direction = d;
            break;
          }
        }
        if (row.direction.empty()) row.direction = "other";
        row.pageable = row.name.find("Pageable") != std::string::npos;
      }
      r.rows.push_back(std::move(row));
    }
    CopyRow& row = r.rows[it->second];
    int64_t d = a.end_ns - a.ts_ns;
    int64_t bytes = e.gpu_args != kNoIndex ? t.gpu_args[e.gpu_args].bytes : -1;
    ++row.count;
    row.total_ns += d;
    if (bytes >= 0) row.bytes += bytes;
    bool small = bytes >= 0 && bytes < kSmallCopyBytes;
    if (small) ++row.small;
    if (row.pageable) {
      ++r.pageable_count;
      r.pageable_ns += d;
      if (bytes > 0) r.pageable_bytes += bytes;
    }
    if (a.kind == ActivityKind::kMemcpy) {
      StringId op = a.op != kNoIndex ? t.events[a.op].name : kNoOp;
      auto [ot, ofresh] = ops.emplace(op, r.by_op.size());
      if (ofresh) r.by_op.push_back(CopyOpRow{op == kNoOp ? "(unknown)" : t.strings.str(op)});
      CopyOpRow& o = r.by_op[ot->second];
      ++o.count;
      if (small) ++o.small;
      if (bytes > 0) o.bytes += bytes;
      o.total_ns += d;
    }
  }
  if (r.rows.empty()) r.why_not = "the trace has no memcpy or memset activity";
  std::stable_sort(r.rows.begin(), r.rows.end(),
                   [](const CopyRow& a, const CopyRow& b) { return a.total_ns > b.total_ns; });
  std::stable_sort(r.by_op.begin(), r.by_op.end(), [](const CopyOpRow& a, const CopyOpRow& b) {
    return a.count != b.count ? a.count > b.count : a.total_ns > b.total_ns;
  });
  return r;
}

}  // namespace infertune::trace
