#include "trace/model.h"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>

#include "trace/numbers.h"

namespace infertune::trace {

Model build_model(const Trace& t) {
  Model m;
  m.trace = &t;
  std::unordered_map<int64_t, uint32_t> launch_by_corr;
  std::unordered_map<int64_t, uint32_t> op_by_ext;
  int64_t first = std::numeric_limits<int64_t>::max(), last = std::numeric_limits<int64_t>::min();
  constexpr std::string_view kStep = "ProfilerStep#";
  for (uint32_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    first = std::min(first, e.ts_ns);
    last = std::max(last, e.end_ns());
    if (is_launch_api(e.cat) && e.correlation >= 0) {
      launch_by_corr.emplace(e.correlation, i);
      ++m.launch_calls;
    } else if (e.cat == Cat::kCpuOp && e.external_id > 0) {
      op_by_ext.emplace(e.external_id, i);
    }
    if (e.cat == Cat::kUserAnnotation || e.cat == Cat::kCpuOp) {
      const std::string& name = t.name_of(e);
      if (name.size() > kStep.size() && name.compare(0, kStep.size(), kStep) == 0) {
        int64_t n = 0;
        if (parse_int64(std::string_view(name).substr(kStep.size()), n) == IntParse::kOk) {
          m.steps.push_back(Step{n, e.ts_ns, e.end_ns()});
        }
      }
    }
  }
  if (!t.events.empty()) {
    m.first_ns = first;
    m.last_ns = last;
  }
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
      auto it = launch_by_corr.find(e.correlation);
      if (it != launch_by_corr.end()) {
        a.launch = it->second;
        ++m.linked_activities;
      }
    }
    int64_t ext = e.external_id;
    if (ext <= 0 && a.launch != kNoIndex) ext = t.events[a.launch].external_id;
    if (ext > 0) {
      auto it = op_by_ext.find(ext);
      if (it != op_by_ext.end()) {
        a.op = it->second;
        ++m.activities_with_op;
      }
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
  std::sort(m.activities.begin(), m.activities.end(), [](const GpuActivity& x, const GpuActivity& y) {
    return x.ts_ns != y.ts_ns ? x.ts_ns < y.ts_ns : x.end_ns < y.end_ns;
  });
  for (const auto& [key, s] : streams) {
    m.streams.push_back(s);
    if (m.devices.empty() || m.devices.back() != key.first) m.devices.push_back(key.first);
  }
  std::sort(m.steps.begin(), m.steps.end(), [](const Step& x, const Step& y) { return x.ts_ns < y.ts_ns; });
  return m;
}

}  // namespace infertune::trace
