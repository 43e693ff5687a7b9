// CPU operator table (PyTorch key_averages-like) and the grouping by nn.Module.

#include <algorithm>
#include <unordered_map>

#include "trace/analyses/analyses.h"

namespace infertune::trace {

bool parse_op_sort(const std::string& s, OpSort& out) {
  if (s == "cuda_time_total") {
    out = OpSort::kCudaTotal;
  } else if (s == "cpu_time_total") {
    out = OpSort::kCpuTotal;
  } else if (s == "self_cuda_time_total") {
    out = OpSort::kSelfCuda;
  } else if (s == "self_cpu_time_total") {
    out = OpSort::kSelfCpu;
  } else if (s == "count") {
    out = OpSort::kCalls;
  } else if (s == "cuda_memory_usage") {
    out = OpSort::kCudaMem;
  } else if (s == "cpu_memory_usage") {
    out = OpSort::kCpuMem;
  } else if (s == "self_cuda_memory_usage") {
    out = OpSort::kSelfCudaMem;
  } else if (s == "self_cpu_memory_usage") {
    out = OpSort::kSelfCpuMem;
  } else {
    return false;
  }
  return true;
}

const std::vector<std::string>& op_sort_names() {
  static const std::vector<std::string> names = {
      "cuda_time_total",   "cpu_time_total",   "self_cuda_time_total",   "self_cpu_time_total",  "count",
      "cuda_memory_usage", "cpu_memory_usage", "self_cuda_memory_usage", "self_cpu_memory_usage"};
  return names;
}

namespace {

bool in_table(Cat c) {
  return c == Cat::kCpuOp || c == Cat::kUserAnnotation || c == Cat::kCudaRuntime || c == Cat::kCudaDriver;
}

// "nn.Module: BertLayer_0" -> "BertLayer"
std::string module_class(const std::string& frame) {
  std::string s = frame.substr(std::string_view("nn.Module: ").size());
  size_t u = s.rfind('_');
  if (u != std::string::npos && u + 1 < s.size() && s.find_first_not_of("0123456789", u + 1) == std::string::npos) {
    s.resize(u);
  }
  return s;
}

}  // namespace

OpTable op_table(const Model& m, OpSort sort, const OpGroupKeys* group, const std::vector<uint32_t>* memory) {
  OpTable r;
  const Trace& t = *m.trace;
  const size_t n = t.events.size();
  // Row per name (and group key when grouping); ProfilerStep#N share one row. Without grouping the row of a name
  // is found in a flat array indexed by its string id (interned ids are dense), with grouping in a hash map.
  constexpr uint32_t kNoRow = kNoIndex;
  std::vector<uint32_t> row_of_name(group == nullptr ? t.strings.size() : 0, kNoRow);
  std::unordered_map<uint64_t, uint32_t> row_of;
  std::unordered_map<uint32_t, uint32_t> step_row;  // by group key
  auto new_row = [&](uint32_t i) -> uint32_t {
    const Event& e = t.events[i];
    uint32_t g = group != nullptr ? group->key_of_event[i] : 0;
    const std::string& name = t.name_of(e);
    std::string key_text = group != nullptr ? group->text[g] : std::string();
    if (name.rfind("ProfilerStep#", 0) == 0) {
      auto [sit, fresh] = step_row.emplace(g, static_cast<uint32_t>(r.ops.size()));
      if (fresh) r.ops.push_back(OpRow{"ProfilerStep*", key_text});
      return sit->second;
    }
    r.ops.push_back(OpRow{name, key_text});
    return static_cast<uint32_t>(r.ops.size() - 1);
  };
  auto row = [&](uint32_t i) -> OpRow& {
    const Event& e = t.events[i];
    if (group == nullptr) {
      uint32_t& k = row_of_name[e.name];
      if (k == kNoRow) k = new_row(i);
      return r.ops[k];
    }
    uint64_t id = (static_cast<uint64_t>(e.name) << 32) | group->key_of_event[i];
    auto it = row_of.find(id);
    if (it != row_of.end()) return r.ops[it->second];
    uint32_t k = new_row(i);
    row_of.emplace(id, k);
    return r.ops[k];
  };
  bool any_module = false;
  for (uint32_t i = 0; i < n && !m.py_frame.empty(); ++i) {
    const Event& e = t.events[i];
    if (e.cat == Cat::kPythonFunction && m.is_module[e.name]) {
      any_module = true;
      break;
    }
  }
  // Self time = duration − the nested host events (clipped to the parent). Kept per event only when the
  // module table needs it; otherwise added up per name directly.
  // The module table reads it for cpu_op events only: `self` is indexed by the event's position among the cpu_op
  // events, `slot` (one array for both lists, as the categories are disjoint: the position among the cpu_op
  // events, or among the python frames for the memo below), which keeps it to a fraction of the event count.
  std::vector<uint32_t> slot;
  uint32_t n_cpu_ops = 0, n_py = 0;
  if (any_module) {
    slot.assign(n, kNoIndex);
    for (uint32_t i = 0; i < n; ++i) {
      Cat c = t.events[i].cat;
      if (c == Cat::kCpuOp) {
        slot[i] = n_cpu_ops++;
      } else if (c == Cat::kPythonFunction) {
        slot[i] = n_py++;
      }
    }
  }
  std::vector<int64_t> self(n_cpu_ops, 0);
  auto self_of = [&](uint32_t cpu_op) -> int64_t& { return self[slot[cpu_op]]; };  // cpu_op: a cpu_op event
  for (uint32_t i = 0; i < n; ++i) {
    const Event& e = t.events[i];
    if (!in_table(e.cat)) continue;
    OpRow& o = row(i);
    ++o.calls;
    o.cpu_total_ns += e.dur_ns;
    o.cpu_self_ns += e.dur_ns;
    if (any_module && e.cat == Cat::kCpuOp) self_of(i) += e.dur_ns;
    uint32_t p = m.parent[i];
    if (p != kNoIndex) {
      const Event& pe = t.events[p];
      int64_t overlap = std::max<int64_t>(0, std::min(e.end_ns(), pe.end_ns()) - std::max(e.ts_ns, pe.ts_ns));
      row(p).cpu_self_ns -= overlap;
      if (any_module && pe.cat == Cat::kCpuOp) self_of(p) -= overlap;
    }
  }
  if (r.ops.empty()) {
    r.why_not = "the trace has no CPU operator events (cpu_op, user_annotation, cuda_runtime)";
    return r;
  }
  // Innermost nn.Module around each host event (memo per python frame).
  // The memo is a flat array over the python_function events (ascending indices, found by binary search; far
  // smaller than a hash map node per frame), with a map for any other event on a frame's parent chain.
  constexpr uint32_t kUnknown = kNoIndex - 1;
  std::vector<uint32_t> py_memo(n_py, kUnknown);
  std::unordered_map<uint32_t, uint32_t> other_memo;
  auto memo_slot = [&](uint32_t f) -> uint32_t& {
    if (t.events[f].cat == Cat::kPythonFunction) return py_memo[slot[f]];
    return other_memo.emplace(f, kUnknown).first->second;
  };
  std::vector<uint32_t> path;
  auto module_of = [&](uint32_t ev) -> uint32_t {
    uint32_t py = m.python_of(ev);
    path.clear();
    uint32_t found = kNoIndex;
    for (uint32_t f = py; f != kNoIndex; f = m.parent[f]) {
      if (uint32_t known = memo_slot(f); known != kUnknown) {
        found = known;
        break;
      }
      path.push_back(f);
      if (m.is_module[t.events[f].name]) {
        found = f;
        break;
      }
    }
    for (uint32_t f : path) memo_slot(f) = found;
    return found;
  };
  // Module row by class name, memoised per frame name (string id) so the class is worked out once per name.
  std::unordered_map<std::string, uint32_t> mod_row;
  std::unordered_map<StringId, uint32_t> mod_row_of_name;
  auto module_row = [&](uint32_t frame) -> ModuleRow& {
    StringId name = t.events[frame].name;
    auto known = mod_row_of_name.find(name);
    if (known != mod_row_of_name.end()) return r.modules[known->second];
    std::string cls = module_class(t.strings.str(name));
    auto [it, fresh] = mod_row.emplace(cls, static_cast<uint32_t>(r.modules.size()));
    if (fresh) r.modules.push_back(ModuleRow{cls});
    mod_row_of_name.emplace(name, it->second);
    return r.modules[it->second];
  };
  if (any_module) {
    for (uint32_t i = 0; i < n; ++i) {
      const Event& e = t.events[i];
      if (e.cat == Cat::kPythonFunction && m.is_module[e.name]) ++module_row(i).instances;
    }
    for (uint32_t i = 0; i < n; ++i) {
      if (t.events[i].cat != Cat::kCpuOp) continue;
      uint32_t mod = module_of(i);
      if (mod != kNoIndex) module_row(mod).cpu_self_ns += std::max<int64_t>(0, self[slot[i]]);
    }
    std::vector<int64_t>().swap(self);
  }
  // GPU time: the direct operator is the innermost cpu_op around the launch call (else the External id's).
  for (const GpuActivity& a : m.activities) {
    uint32_t direct = kNoIndex;
    if (a.launch != kNoIndex) {
      for (uint32_t p = m.parent[a.launch]; p != kNoIndex; p = m.parent[p]) {
        if (t.events[p].cat == Cat::kCpuOp) {
          direct = p;
          break;
        }
      }
    }
    if (direct == kNoIndex) direct = a.op;
    if (direct == kNoIndex) continue;
    int64_t d = a.end_ns - a.ts_ns;
    row(direct).cuda_self_ns += d;
    for (uint32_t p = direct; p != kNoIndex; p = m.parent[p]) row(p).cuda_total_ns += d;
    if (any_module) {
      uint32_t mod = module_of(direct);
      if (mod != kNoIndex) module_row(mod).cuda_self_ns += d;
    }
  }
  // The memo is done with: give its memory back before the attribution below allocates its own.
  std::vector<uint32_t>().swap(py_memo);
  std::vector<uint32_t>().swap(slot);
  std::unordered_map<uint32_t, uint32_t>().swap(other_memo);
  // Memory: each [memory] event counts for the operator it is attributed to (self) and every operator around
  // it on its thread (total), as PyTorch's self_/cpu_memory_usage and self_/cuda_memory_usage.
  std::vector<uint32_t> computed;
  if (memory == nullptr) {
    computed = memory_owners(m);
    memory = &computed;
  }
  const std::vector<uint32_t>& owners = *memory;
  r.has_memory = !t.memory.empty();
  for (size_t k = 0; k < owners.size(); ++k) {
    uint32_t o = owners[k];
    if (o == kNoIndex) continue;
    const MemoryEvent& me = t.memory[k];
    bool cuda = is_accelerator_memory(me.device_type);
    if (!cuda && !is_cpu_memory(me.device_type)) continue;
    OpRow& self_row = row(o);
    (cuda ? self_row.cuda_mem_self : self_row.cpu_mem_self) += me.bytes;
    for (uint32_t p = o; p != kNoIndex; p = m.parent[p]) {
      OpRow& pr = row(p);
      (cuda ? pr.cuda_mem : pr.cpu_mem) += me.bytes;
    }
  }
  auto key = [sort](const OpRow& o) -> int64_t {
    switch (sort) {
      case OpSort::kCudaTotal: return o.cuda_total_ns;
      case OpSort::kCpuTotal: return o.cpu_total_ns;
      case OpSort::kSelfCuda: return o.cuda_self_ns;
      case OpSort::kSelfCpu: return o.cpu_self_ns;
      case OpSort::kCalls: return static_cast<int64_t>(o.calls);
      case OpSort::kCudaMem: return o.cuda_mem;
      case OpSort::kCpuMem: return o.cpu_mem;
      case OpSort::kSelfCudaMem: return o.cuda_mem_self;
      case OpSort::kSelfCpuMem: return o.cpu_mem_self;
    }
    return 0;
  };
  std::stable_sort(r.ops.begin(), r.ops.end(), [&](const OpRow& a, const OpRow& b) {
    if (key(a) != key(b)) return key(a) > key(b);
    if (a.cpu_total_ns != b.cpu_total_ns) return a.cpu_total_ns > b.cpu_total_ns;
    if (a.name != b.name) return a.name < b.name;
    return a.group < b.group;
  });
  std::stable_sort(r.modules.begin(), r.modules.end(), [](const ModuleRow& a, const ModuleRow& b) {
    if (a.cuda_self_ns != b.cuda_self_ns) return a.cuda_self_ns > b.cuda_self_ns;
    if (a.cpu_self_ns != b.cpu_self_ns) return a.cpu_self_ns > b.cpu_self_ns;
    return a.module < b.module;
  });
  return r;
}

}  // namespace infertune::trace
