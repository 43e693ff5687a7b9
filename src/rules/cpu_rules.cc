// CPU rules: thread count against the container's CPU quota, CFS throttling, frequency governor.

#include <algorithm>
#include <cmath>
#include <string>

#include "base/strings.h"
#include "base/units.h"
#include "rules/rule.h"

namespace infertune {

namespace {

std::string env_value(const Snapshot& s, const std::string& name, bool* set = nullptr) {
  if (set) *set = false;
  if (!s.process.env) return {};
  auto it = s.process.env->find(name);
  if (it == s.process.env->end()) return {};
  if (set) *set = true;
  return it->second;
}

// Threads a framework starts for intra-op parallelism when nothing caps it: PyTorch and ONNX Runtime
// default to the host's physical cores (they do not look at the cgroup CPU quota).
struct ThreadEstimate {
  long threads = 0;
  Evidence evidence;
};

std::optional<ThreadEstimate> framework_threads(const Snapshot& s) {
  bool omp_set = false;
  std::string omp = env_value(s, "OMP_NUM_THREADS", &omp_set);
  if (omp_set) {
    auto v = str::parse_i64(omp);
    if (v && *v > 0) return ThreadEstimate{static_cast<long>(*v), evidence_of("OMP_NUM_THREADS", s.process.env, omp)};
  }
  if (s.host.cpu.cores && *s.host.cpu.cores > 0) {
    return ThreadEstimate{static_cast<long>(*s.host.cpu.cores),
                          evidence_of("host physical cores (PyTorch/ONNX Runtime default thread count)",
                                      s.host.cpu.cores, std::to_string(*s.host.cpu.cores))};
  }
  if (s.process.cpus_allowed && *s.process.cpus_allowed > 0) {
    return ThreadEstimate{
        static_cast<long>(*s.process.cpus_allowed),
        evidence_of("CPUs the process may run on", s.process.cpus_allowed, std::to_string(*s.process.cpus_allowed))};
  }
  if (s.host.cpu.logical_cpus && *s.host.cpu.logical_cpus > 0) {
    return ThreadEstimate{
        static_cast<long>(*s.host.cpu.logical_cpus),
        evidence_of("host logical CPUs", s.host.cpu.logical_cpus, std::to_string(*s.host.cpu.logical_cpus))};
  }
  return std::nullopt;
}

void check_quota_threads(const Snapshot& s, std::vector<Finding>& out) {
  const auto& limit = s.cgroup.cpu_limit_cores;
  if (!limit || *limit <= 0) return;  // unknown or no limit
  auto est = framework_threads(s);
  if (!est) return;
  double cores = *limit;
  if (static_cast<double>(est->threads) < 2.0 * std::max(1.0, cores)) return;
  long n = std::max(1L, static_cast<long>(std::floor(cores)));
  bool omp_set = false;
  std::string omp = env_value(s, "OMP_NUM_THREADS", &omp_set);

  Finding f;
  f.id = "CPU-QUOTA-BELOW-THREADS";
  f.severity = Severity::kWarning;
  f.title = "The framework will start " + std::to_string(est->threads) + " threads but the container may use only " +
            units::number(cores) + " CPUs";
  f.evidence.push_back(evidence_of("CPU limit (cgroup quota)", limit, units::number(cores) + " CPUs"));
  f.evidence.push_back(est->evidence);
  if (!omp_set) f.evidence.push_back(Evidence{"OMP_NUM_THREADS", "not set", s.process.env.source});
  if (s.host.cpu.logical_cpus) {
    f.evidence.push_back(
        evidence_of("host logical CPUs", s.host.cpu.logical_cpus, std::to_string(*s.host.cpu.logical_cpus)));
  }
  f.impact = std::to_string(est->threads) + " busy threads on a " + units::number(cores) +
             "-CPU quota exhaust it early in every scheduling period and the whole container is throttled "
             "until the next one; CPU-side work (tokenisation, pre/post-processing, kernel launches) stalls "
             "and tail latency grows.";
  std::string ns = std::to_string(n);
  f.fix = "Cap the thread pools at the quota:\n  export OMP_NUM_THREADS=" + ns + " MKL_NUM_THREADS=" + ns +
          "\n(or torch.set_num_threads(" + ns + ") at start-up; in Kubernetes set these env vars in the pod spec)";
  f.weight = 1.0 - cores / static_cast<double>(est->threads);
  out.push_back(std::move(f));
}

void check_throttled(const Snapshot& s, std::vector<Finding>& out) {
  const auto& cg = s.cgroup;
  if (!cg.cpu_nr_periods || !cg.cpu_nr_throttled) return;
  int64_t periods = *cg.cpu_nr_periods, throttled = *cg.cpu_nr_throttled;
  if (periods < 100 || throttled <= 0) return;
  double ratio = static_cast<double>(throttled) / static_cast<double>(periods);
  if (ratio < 0.05) return;
  Finding f;
  f.id = "CPU-THROTTLED";
  f.severity = ratio >= 0.25 ? Severity::kError : Severity::kWarning;
  f.title = "The container was CPU-throttled in " + units::percent(ratio) + " of its scheduling periods";
  f.evidence.push_back(evidence_of("throttled periods", cg.cpu_nr_throttled,
                                   std::to_string(throttled) + " of " + std::to_string(periods)));
  if (cg.cpu_throttled_s) {
    f.evidence.push_back(evidence_of("time throttled", cg.cpu_throttled_s, units::duration_s(*cg.cpu_throttled_s)));
  }
  if (cg.cpu_limit_cores && *cg.cpu_limit_cores > 0) {
    f.evidence.push_back(evidence_of("CPU limit", cg.cpu_limit_cores, units::number(*cg.cpu_limit_cores) + " CPUs"));
  }
  std::string period =
      cg.cpu_period_us ? units::number(static_cast<double>(*cg.cpu_period_us) / 1000.0) + " ms" : "100 ms";
  f.impact = "Each throttled period stops every thread of the container until the next " + period +
             " period begins: requests in flight wait up to that long, which shows as p99 latency spikes.";
  f.fix =
      "Raise the CPU limit (Kubernetes: resources.limits.cpu, or drop the limit and keep the request; Docker: "
      "--cpus) or lower the thread count (OMP_NUM_THREADS, torch.set_num_threads) to what the limit allows. "
      "The counters are cumulative since the container started: compare two readings to see the current rate.";
  f.weight = ratio;
  out.push_back(std::move(f));
}

void check_governor(const Snapshot& s, std::vector<Finding>& out) {
  const auto& g = s.host.cpu.governors;
  if (!g) return;
  bool powersave = std::find(g->begin(), g->end(), "powersave") != g->end();
  if (!powersave) return;
  std::string list;
  for (const auto& x : *g) list += (list.empty() ? "" : ", ") + x;
  Finding f;
  f.id = "CPU-GOVERNOR-POWERSAVE";
  f.severity = Severity::kWarning;
  f.title = "CPU frequency governor is powersave";
  f.evidence.push_back(evidence_of("cpufreq scaling governors", g, list));
  if (s.host.cpu.max_mhz)
    f.evidence.push_back(
        evidence_of("max frequency", s.host.cpu.max_mhz, units::number(*s.host.cpu.max_mhz, 0) + " MHz"));
  f.impact =
      "The host-side share of every request (kernel launches, tokenisation, data loading, Python) runs "
      "at lower clocks and ramps up late after idle gaps; with the acpi-cpufreq driver powersave pins the "
      "minimum frequency.";
  f.fix =
      "On the node (not in the container): sudo cpupower frequency-set -g performance\n"
      "(or set the performance profile in the BIOS / cloud instance; with intel_pstate also consider "
      "energy_performance_preference=performance)";
  f.weight = 0.3;
  out.push_back(std::move(f));
}

}  // namespace

std::vector<Rule> cpu_rules() {
  return {
      {"CPU-QUOTA-BELOW-THREADS", "container", check_quota_threads},
      {"CPU-THROTTLED", "container", check_throttled},
      {"CPU-GOVERNOR-POWERSAVE", "host", check_governor},
  };
}

}  // namespace infertune
