#include "trace/model.h"

#include <algorithm>
#include <limits>
#include <map>

#include "trace/numbers.h"
#include "trace/thread_order.h"

namespace infertune::trace {

namespace {

bool contains(const std::string& s, std::string_view needle) { return s.find(needle) != std::string::npos; }
bool starts(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

bool is_host_tree(Cat c) {
  return c == Cat::kCpuOp || c == Cat::kUserAnnotation || c == Cat::kCudaRuntime || c == Cat::kCudaDriver;
}

// Host events in nesting order: per (pid, tid), by start, longer first (a parent before its children), then by
// index.
std::vector<uint32_t> nesting_order(const Trace& t, bool python) {
  std::vector<uint32_t> v;
  for (uint32_t i = 0; i < t.events.size(); ++i) {
    Cat c = t.events[i].cat;
    if (python ? c == Cat::kPythonFunction : is_host_tree(c)) v.push_back(i);
  }
  order_by_thread(
      v, [&](uint32_t i) { return std::make_pair(t.events[i].pid, t.events[i].tid); },
      [&](uint32_t a, uint32_t b) {
        const Event& x = t.events[a];
        const Event& y = t.events[b];
        if (x.ts_ns != y.ts_ns) return x.ts_ns < y.ts_ns;
        if (x.dur_ns != y.dur_ns) return x.dur_ns > y.dur_ns;
        return a < b;
      });
  return v;
}

// Parent = the innermost event on the same thread that is still open when this one starts.
void assign_parents(const Trace& t, const std::vector<uint32_t>& order, std::vector<uint32_t>& parent) {
  std::vector<uint32_t> stack;
  int64_t pid = 0, tid = 0;
  for (uint32_t i : order) {
    const Event& e = t.events[i];
    if (stack.empty() || e.pid != pid || e.tid != tid) {
      stack.clear();
      pid = e.pid;
      tid = e.tid;
    }
    while (!stack.empty() && t.events[stack.back()].end_ns() <= e.ts_ns) stack.pop_back();
    parent[i] = stack.empty() ? kNoIndex : stack.back();
    stack.push_back(i);
  }
}

Intervals merge_intervals(Intervals v) {
  std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
  Intervals out;
  for (const Interval& s : v) {
    if (!out.empty() && s.start <= out.back().end) {
      out.back().end = std::max(out.back().end, s.end);
    } else {
      out.push_back(s);
    }
  }
  return out;
}

void build_host(const Trace& t, Model& m) {
  const size_t n = t.events.size();
  reserve_table(m.parent, n);
  m.parent.assign(n, kNoIndex);
  reserve_table(m.flags, n);
  m.flags.assign(n, 0);
  // Name classes, once per distinct name.
  std::vector<uint8_t> name_flags(t.strings.size(), 0);
  m.is_module.assign(t.strings.size(), 0);
  for (StringId id = 0; id < t.strings.size(); ++id) {
    const std::string& s = t.strings.str(id);
    uint8_t f = 0;
    if (is_sync_call_name(s)) f |= kSync;
    if (is_kernel_launch_name(s)) f |= kKernelLaunchApi;
    if (is_graph_launch_name(s)) f |= kGraphLaunch | kKernelLaunchApi;
    if (is_dataloader_name(s)) f |= kDataLoader;
    name_flags[id] = f;
    m.is_module[id] = starts(s, "nn.Module: ") ? 1 : 0;
  }
  for (uint32_t i = 0; i < n; ++i) {
    const Event& e = t.events[i];
    uint8_t f = name_flags[e.name];
    if (is_launch_api(e.cat)) {
      m.flags[i] = f & (kSync | kKernelLaunchApi | kGraphLaunch);
    } else if (e.cat == Cat::kCpuOp || e.cat == Cat::kUserAnnotation) {
      m.flags[i] = f & kDataLoader;
    }
  }
  for (const GpuActivity& a : m.activities) {
    if (a.launch != kNoIndex) m.flags[a.launch] |= kLaunches | kSubtreeLaunches;
  }
  std::vector<uint32_t> order = nesting_order(t, false);
  assign_parents(t, order, m.parent);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    uint32_t p = m.parent[*it];
    if (p != kNoIndex && (m.flags[*it] & kSubtreeLaunches)) m.flags[p] |= kSubtreeLaunches;
  }
  // Python frames: their own stacks, then the innermost frame around each host event (merge of both orders).
  std::vector<uint32_t> py = nesting_order(t, true);
  if (!py.empty()) {
    reserve_table(m.py_frame, n);
    m.py_frame.assign(n, kNoIndex);
    assign_parents(t, py, m.parent);
    std::vector<uint32_t> stack;
    size_t p = 0;
    auto thread_less = [&](const Event& a, const Event& b) { return a.pid != b.pid ? a.pid < b.pid : a.tid < b.tid; };
    for (uint32_t h : order) {
      const Event& e = t.events[h];
      // Frames of earlier threads are done; frames of this thread that start by e.ts go on the stack.
      while (p < py.size()) {
        const Event& f = t.events[py[p]];
        if (thread_less(f, e)) {
          ++p;
          stack.clear();
          continue;
        }
        if (thread_less(e, f) || f.ts_ns > e.ts_ns) break;
        while (!stack.empty() && t.events[stack.back()].end_ns() <= f.ts_ns) stack.pop_back();
        stack.push_back(py[p]);
        ++p;
      }
      while (!stack.empty()) {
        const Event& top = t.events[stack.back()];
        if (top.end_ns() > e.ts_ns && top.pid == e.pid && top.tid == e.tid) break;
        stack.pop_back();
      }
      if (!stack.empty()) m.py_frame[h] = stack.back();
    }
  }
  // Host time sets used to attribute GPU idle time.
  Intervals dl;
  std::map<std::pair<int64_t, int64_t>, Intervals> cpu_only;
  for (uint32_t i : order) {
    const Event& e = t.events[i];
    uint8_t f = m.flags[i];
    uint32_t p = m.parent[i];
    bool parent_is_op = p != kNoIndex && t.events[p].cat == Cat::kCpuOp;
    if (f & kDataLoader) dl.push_back({e.ts_ns, e.end_ns(), i});
    if (f & kSync) m.syncs.push_back({e.ts_ns, e.end_ns(), i});
    bool cpu_work = false;
    if (e.cat == Cat::kCpuOp) {
      cpu_work = !(f & kSubtreeLaunches) && !parent_is_op;
    } else if (is_launch_api(e.cat)) {
      cpu_work = !(f & (kLaunches | kSync));  // cudaMalloc, cudaFree, attribute queries … anywhere
    }
    if (cpu_work) cpu_only[{e.pid, e.tid}].push_back({e.ts_ns, e.end_ns(), i});
  }
  m.dataloader = merge_intervals(std::move(dl));
  std::sort(m.syncs.begin(), m.syncs.end(), [](const Interval& a, const Interval& b) { return a.start < b.start; });
  int64_t max_end = std::numeric_limits<int64_t>::min();
  for (const Interval& s : m.syncs) m.syncs_max_end.push_back(max_end = std::max(max_end, s.end));
  for (auto& [key, v] : cpu_only) m.cpu_only[key] = merge_intervals(std::move(v));
}

}  // namespace

bool is_sync_call_name(const std::string& n) {
  if (contains(n, "Synchronize")) return true;  // cuda/cu/hip Device/Stream/Event/Ctx Synchronize
  // Blocking copies: cudaMemcpy, cudaMemcpy2D, cuMemcpyDtoH, hipMemcpy … (the *Async forms are not blocking).
  bool api = starts(n, "cuda") || starts(n, "cu") || starts(n, "hip");
  return api && contains(n, "Memcpy") && !contains(n, "Async");
}

bool is_kernel_launch_name(const std::string& n) {
  return contains(n, "LaunchKernel") || contains(n, "LaunchCooperativeKernel") || is_graph_launch_name(n);
}

bool is_graph_launch_name(const std::string& n) {
  return n == "cudaGraphLaunch" || n == "hipGraphLaunch" || n == "cuGraphLaunch";
}

bool is_dataloader_name(const std::string& n) {
  return starts(n, "enumerate(DataLoader)") || contains(n, "DataLoaderIter.__next__");
}

namespace {

// (id, event) pairs sorted by id then event: a compact index (8 bytes an entry, no hash nodes) whose lookup
// finds the first event in file order with that id.
struct IdIndex {
  int32_t id;
  uint32_t event;
  bool operator<(const IdIndex& o) const { return id != o.id ? id < o.id : event < o.event; }
};

uint32_t find_id(const std::vector<IdIndex>& v, int32_t id) {
  auto it = std::lower_bound(v.begin(), v.end(), IdIndex{id, 0});
  return it != v.end() && it->id == id ? it->event : kNoIndex;
}

}  // namespace

Model build_model(const Trace& t) {
  Model m;
  m.trace = &t;
  std::vector<IdIndex> launch_by_corr;
  std::vector<IdIndex> op_by_ext;
  size_t gpu_events = 0;
  int64_t first = std::numeric_limits<int64_t>::max(), last = std::numeric_limits<int64_t>::min();
  constexpr std::string_view kStep = "ProfilerStep#";
  for (uint32_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    first = std::min(first, e.ts_ns);
    last = std::max(last, e.end_ns());
    if (is_launch_api(e.cat) && e.correlation >= 0) {
      launch_by_corr.push_back({e.correlation, i});
      ++m.launch_calls;
    } else if (e.cat == Cat::kCpuOp && e.external_id > 0) {
      op_by_ext.push_back({e.external_id, i});
    }
    if (is_gpu_activity(e.cat)) ++gpu_events;
    if (e.cat == Cat::kUserAnnotation || e.cat == Cat::kCpuOp) {
      const std::string& name = t.name_of(e);
      if (name.size() > kStep.size() && name.compare(0, kStep.size(), kStep) == 0) {
        int64_t n = 0;
        if (parse_int64(std::string_view(name).substr(kStep.size()), n) == IntParse::kOk) {
          m.steps.push_back(Step{n, e.ts_ns, e.end_ns(), i});
        }
      }
    }
  }
  if (!t.events.empty()) {
    m.first_ns = first;
    m.last_ns = last;
  }
  // Ids grow with time: these are nearly in order already.
  sort_mostly_in_order(launch_by_corr.begin(), launch_by_corr.end(), std::less<>());
  sort_mostly_in_order(op_by_ext.begin(), op_by_ext.end(), std::less<>());
  reserve_table(m.activities, gpu_events);
  std::map<std::pair<int32_t, int32_t>, StreamStats> streams;
  for (uint32_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    if (!is_gpu_activity(e.cat)) continue;
    GpuActivity a;
    a.ts_ns = e.ts_ns;
    a.end_ns = e.end_ns();
    a.event = i;
    a.device = e.device;
    a.stream = e.stream;
    a.kind = e.cat == Cat::kKernel ? ActivityKind::kKernel
                                   : (e.cat == Cat::kGpuMemcpy ? ActivityKind::kMemcpy : ActivityKind::kMemset);
    if (e.correlation >= 0) {
      a.launch = find_id(launch_by_corr, e.correlation);
      if (a.launch != kNoIndex) ++m.linked_activities;
    }
    int32_t ext = e.external_id;
    if (ext <= 0 && a.launch != kNoIndex) ext = t.events[a.launch].external_id;
    if (ext > 0) {
      a.op = find_id(op_by_ext, ext);
      if (a.op != kNoIndex) ++m.activities_with_op;
    }
    switch (a.kind) {
      case ActivityKind::kKernel: ++m.kernels; break;
      case ActivityKind::kMemcpy: ++m.memcpys; break;
      case ActivityKind::kMemset: ++m.memsets; break;
    }
    auto& s = streams[{a.device, a.stream}];
    s.device = a.device;
    s.stream = a.stream;
    ++s.activities;
    s.sum_ns += a.end_ns - a.ts_ns;
    m.activities.push_back(a);
  }
  // By start, then end, then file order; sorted only when file order is not that already.
  auto by_time = [](const GpuActivity& x, const GpuActivity& y) {
    if (x.ts_ns != y.ts_ns) return x.ts_ns < y.ts_ns;
    if (x.end_ns != y.end_ns) return x.end_ns < y.end_ns;
    return x.event < y.event;
  };
  if (!std::is_sorted(m.activities.begin(), m.activities.end(), by_time)) {
    std::sort(m.activities.begin(), m.activities.end(), by_time);
  }
  for (const auto& [key, s] : streams) {
    m.streams.push_back(s);
    if (m.devices.empty() || m.devices.back() != key.first) m.devices.push_back(key.first);
  }
  std::sort(m.steps.begin(), m.steps.end(), [](const Step& x, const Step& y) { return x.ts_ns < y.ts_ns; });
  // The id indexes are done: free them before the host trees are built (peak memory).
  std::vector<IdIndex>().swap(launch_by_corr);
  std::vector<IdIndex>().swap(op_by_ext);
  build_host(t, m);
  return m;
}

}  // namespace infertune::trace
