// Memory timeline from "[memory]" allocator events (see analyses.h).

#include <algorithm>
#include <map>
#include <numeric>
#include <tuple>
#include <unordered_map>

#include "trace/analyses/analyses.h"
#include "trace/thread_order.h"

namespace infertune::trace {

bool is_accelerator_memory(int32_t device_type) {
  return device_type == 1 || device_type == 6 || device_type == 20;  // CUDA, HIP, PrivateUse1
}

bool is_cpu_memory(int32_t device_type) {
  return device_type == 0 || device_type == 2 || device_type == 5;  // CPU, MKLDNN, IDEEP
}

bool is_alloc_api_name(const std::string& n) {
  static const char* const kPrefixes[] = {"cudaMalloc",  "cudaFree",     "cudaHostAlloc", "cuMemAlloc", "cuMemFree",
                                          "cuMemCreate", "cuMemRelease", "cuMemMap",      "cuMemUnmap", "hipMalloc",
                                          "hipFree",     "hipExtMalloc", "hipHostMalloc", "hipHostFree"};
  for (const char* p : kPrefixes) {
    if (n.rfind(p, 0) == 0) return true;
  }
  return false;
}

std::vector<uint32_t> memory_owners(const Model& m) {
  const Trace& t = *m.trace;
  std::vector<uint32_t> owner(t.memory.size(), kNoIndex);
  if (t.memory.empty()) return owner;
  // Operators in nesting order (per thread, by start, longer first) and allocations per thread by time.
  std::vector<uint32_t> ops;
  for (uint32_t i = 0; i < t.events.size(); ++i) {
    Cat c = t.events[i].cat;
    if (c == Cat::kCpuOp || c == Cat::kUserAnnotation) ops.push_back(i);
  }
  order_by_thread(
      ops, [&](uint32_t i) { return std::make_pair(t.events[i].pid, t.events[i].tid); },
      [&](uint32_t a, uint32_t b) {
        const Event& x = t.events[a];
        const Event& y = t.events[b];
        return std::make_tuple(x.ts_ns, -x.dur_ns, a) < std::make_tuple(y.ts_ns, -y.dur_ns, b);
      });
  std::vector<uint32_t> mem(t.memory.size());
  std::iota(mem.begin(), mem.end(), 0u);
  order_by_thread(
      mem, [&](uint32_t i) { return std::make_pair(t.memory[i].pid, t.memory[i].tid); },
      [&](uint32_t a, uint32_t b) {
        return std::make_pair(t.memory[a].ts_ns, a) < std::make_pair(t.memory[b].ts_ns, b);
      });
  // One sweep: the stack holds the operators open at the current time on the current thread, innermost on top.
  std::vector<uint32_t> stack;
  std::pair<int64_t, int64_t> stack_thread{0, 0};
  size_t next = 0;
  for (uint32_t k : mem) {
    const MemoryEvent& me = t.memory[k];
    const std::pair<int64_t, int64_t> thread{me.pid, me.tid};
    if (stack.empty() || stack_thread != thread) {
      stack.clear();
      stack_thread = thread;
    }
    while (next < ops.size()) {
      const Event& e = t.events[ops[next]];
      const std::pair<int64_t, int64_t> et{e.pid, e.tid};
      if (et < thread) {
        ++next;
        continue;
      }
      if (thread < et || e.ts_ns > me.ts_ns) break;
      while (!stack.empty() && t.events[stack.back()].end_ns() <= e.ts_ns) stack.pop_back();
      stack.push_back(ops[next]);
      ++next;
    }
    while (!stack.empty() && t.events[stack.back()].end_ns() <= me.ts_ns) stack.pop_back();
    if (!stack.empty()) owner[k] = stack.back();
  }
  return owner;
}

MemoryTimeline memory_timeline(const Model& m, const std::vector<uint32_t>* owners) {
  MemoryTimeline out;
  if (m.trace == nullptr || m.trace->memory.empty()) {
    out.why_not = "no [memory] events in the trace (record with profile_memory=True)";
    return out;
  }
  const Trace& t = *m.trace;
  out.events = t.memory.size();
  std::vector<uint32_t> order(t.memory.size());
  std::iota(order.begin(), order.end(), 0u);
  auto by_time = [&](uint32_t a, uint32_t b) { return t.memory[a].ts_ns < t.memory[b].ts_ns; };
  if (!std::is_sorted(order.begin(), order.end(), by_time)) std::stable_sort(order.begin(), order.end(), by_time);

  // Devices: accelerators first, then CPU, then any other type; by id within.
  auto rank = [](int32_t type) { return is_accelerator_memory(type) ? 0 : (is_cpu_memory(type) ? 1 : 2); };
  std::map<std::tuple<int, int32_t, int32_t>, size_t> dev_index;
  for (const MemoryEvent& e : t.memory)
    dev_index.emplace(std::make_tuple(rank(e.device_type), e.device_type, e.device_id), 0);
  for (auto& [key, idx] : dev_index) {
    idx = out.devices.size();
    DeviceMemory d;
    d.device_type = std::get<1>(key);
    d.device_id = std::get<2>(key);
    d.accelerator = is_accelerator_memory(d.device_type);
    if (d.accelerator) {
      for (const DeviceInfo& info : t.devices) {
        if (info.id == d.device_id && info.total_memory_bytes > 0) d.total_memory_bytes = info.total_memory_bytes;
      }
    }
    out.devices.push_back(std::move(d));
  }
  struct Running {
    int64_t allocated = 0;
    int64_t reserved = -1;  // last known
    bool any = false;
  };
  std::vector<Running> run(out.devices.size());
  std::vector<size_t> dev_of(t.memory.size());
  for (uint32_t k : order) {
    const MemoryEvent& e = t.memory[k];
    size_t di = dev_index.at(std::make_tuple(rank(e.device_type), e.device_type, e.device_id));
    dev_of[k] = di;
    DeviceMemory& d = out.devices[di];
    Running& r = run[di];
    if (e.bytes > 0) {
      ++d.allocs;
      d.allocated_bytes += e.bytes;
    } else if (e.bytes < 0) {
      ++d.frees;
      d.freed_bytes -= e.bytes;
    }
    MemoryPoint p;
    p.ts_ns = e.ts_ns;
    if (e.total_allocated >= 0) {
      p.allocated = e.total_allocated;
    } else {
      p.allocated = r.allocated + e.bytes;  // 2021 traces: running sum from the first event
      d.allocated_reconstructed = true;
    }
    // PyTorch writes "Total Reserved" 0 for CPU memory (no caching allocator there): not a reserved total.
    p.reserved = (e.total_reserved >= 0 && !is_cpu_memory(e.device_type)) ? e.total_reserved : -1;
    if (!r.any || p.allocated > d.peak_allocated) {
      d.peak_allocated = p.allocated;
      d.peak_allocated_ts_ns = p.ts_ns;
    }
    if (!r.any || p.allocated < d.min_allocated) d.min_allocated = p.allocated;
    if (!r.any) d.first_ts_ns = p.ts_ns;
    d.last_ts_ns = p.ts_ns;
    if (p.reserved >= 0) {
      if (!d.has_reserved || p.reserved > d.peak_reserved) {
        d.peak_reserved = p.reserved;
        d.peak_reserved_ts_ns = p.ts_ns;
      }
      int64_t unused = p.reserved - p.allocated;
      if (!d.has_reserved || unused > d.max_unused_reserved) {
        d.max_unused_reserved = std::max<int64_t>(0, unused);
        d.max_unused_reserved_ts_ns = p.ts_ns;
      }
      d.has_reserved = true;
      if (r.reserved >= 0 && p.reserved > r.reserved) {
        ++d.reserved_growths;
        d.reserved_grown_bytes += p.reserved - r.reserved;
      } else if (r.reserved >= 0 && p.reserved < r.reserved) {
        ++d.reserved_releases;
        d.reserved_released_bytes += r.reserved - p.reserved;
      }
      r.reserved = p.reserved;
    }
    r.allocated = p.allocated;
    r.any = true;
    d.curve.push_back(p);
  }

  // Allocations by operator: accelerator memory, or CPU memory when the trace has no accelerator events.
  std::vector<uint32_t> computed;
  if (owners == nullptr) {
    computed = memory_owners(m);
    owners = &computed;
  }
  const std::vector<uint32_t>& owner = *owners;
  bool any_accel =
      std::any_of(out.devices.begin(), out.devices.end(), [](const DeviceMemory& d) { return d.accelerator; });
  std::unordered_map<std::string, size_t> op_row;
  for (uint32_t k = 0; k < t.memory.size(); ++k) {
    const MemoryEvent& e = t.memory[k];
    if (owner[k] == kNoIndex) ++out.unattributed;
    if (any_accel ? !is_accelerator_memory(e.device_type) : !is_cpu_memory(e.device_type)) continue;
    if (e.bytes == 0) continue;
    std::string name = owner[k] == kNoIndex ? std::string("(no operator)") : t.name_of(t.events[owner[k]]);
    if (name.rfind("ProfilerStep#", 0) == 0) name = "ProfilerStep*";
    auto [it, fresh] = op_row.emplace(name, out.top_ops.size());
    if (fresh) out.top_ops.push_back(AllocatingOp{name});
    AllocatingOp& o = out.top_ops[it->second];
    if (e.bytes > 0) {
      ++o.allocs;
      o.bytes += e.bytes;
    } else {
      ++o.frees;
      o.freed_bytes -= e.bytes;
    }
  }
  out.top_ops_cpu = !any_accel;
  std::stable_sort(out.top_ops.begin(), out.top_ops.end(), [](const AllocatingOp& a, const AllocatingOp& b) {
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    if (a.allocs != b.allocs) return a.allocs > b.allocs;
    return a.op < b.op;
  });

  // Churn per ProfilerStep span (by time, any thread).
  if (!m.steps.empty()) {
    out.steps.resize(m.steps.size());
    for (size_t i = 0; i < m.steps.size(); ++i) out.steps[i].number = m.steps[i].number;
    std::vector<int64_t> prev_reserved(out.devices.size(), -1);
    for (uint32_t k : order) {
      const MemoryEvent& e = t.memory[k];
      if (!is_accelerator_memory(e.device_type)) continue;
      int64_t reserved = e.total_reserved;
      int64_t& prev = prev_reserved[dev_of[k]];
      auto it = std::upper_bound(m.steps.begin(), m.steps.end(), e.ts_ns,
                                 [](int64_t ts, const Step& s) { return ts < s.ts_ns; });
      bool inside = it != m.steps.begin() && e.ts_ns < std::prev(it)->end_ns;
      if (inside) {
        MemoryStep& s = out.steps[static_cast<size_t>(std::prev(it) - m.steps.begin())];
        if (e.bytes > 0) {
          ++s.allocs;
          s.allocated_bytes += e.bytes;
        } else if (e.bytes < 0) {
          ++s.frees;
        }
        if (reserved >= 0 && prev >= 0 && reserved > prev) ++s.reserved_growths;
        if (reserved >= 0 && prev >= 0 && reserved < prev) ++s.reserved_releases;
      }
      if (reserved >= 0) prev = reserved;
    }
  }

  // The allocator's calls into the driver, from the host events.
  std::vector<int8_t> alloc_name(t.strings.size(), -1);
  for (const Event& e : t.events) {
    if (!is_launch_api(e.cat)) continue;
    int8_t& f = alloc_name[e.name];
    if (f < 0) f = is_alloc_api_name(t.name_of(e)) ? 1 : 0;
    if (f == 1) {
      ++out.alloc_api_calls;
      out.alloc_api_ns += e.dur_ns;
    }
  }
  return out;
}

}  // namespace infertune::trace
