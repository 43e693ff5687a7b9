// Pressure stall information: the share of time tasks wait for CPU, memory or I/O.
// The container's own PSI (cgroup v2) is preferred; the host's is used when the cgroup has none.

#include <string>

#include "base/units.h"
#include "rules/rule.h"

namespace infertune {

namespace {

struct PsiPick {
  const Fact<double>* fact = nullptr;
  const char* scope = "";
};

// In a container its own cgroup's pressure is what its requests feel; outside one (a login session's or a
// systemd service's cgroup) the host's pressure is.
PsiPick pick(const Snapshot& s, const Fact<double>& cgroup, const Fact<double>& host) {
  bool container = s.container.in_container && *s.container.in_container;
  if (container && cgroup) return {&cgroup, "container"};
  if (host) return {&host, "host"};
  if (cgroup) return {&cgroup, "cgroup"};
  return {};
}

std::string pct(double v) { return units::number(v, 1) + "%"; }

void emit(std::vector<Finding>& out, const char* id, const std::string& what, const PsiPick& some, const PsiPick& full,
          double warn_some, double err_full, const std::string& impact, const std::string& fix) {
  bool some_hit = some.fact && **some.fact >= warn_some;
  bool full_hit = full.fact && err_full > 0 && **full.fact >= err_full;
  if (!some_hit && !full_hit) return;
  Finding f;
  f.id = id;
  f.severity = full_hit ? Severity::kError : Severity::kWarning;
  const PsiPick& lead = some.fact ? some : full;
  f.title = std::string("High ") + what + " pressure: tasks of the " + lead.scope + " stalled " + pct(**lead.fact) +
            " of the last minute";
  if (some.fact) {
    f.evidence.push_back(
        evidence_of(std::string(some.scope) + " " + what + " some avg60", *some.fact, pct(**some.fact)));
  }
  if (full.fact) {
    f.evidence.push_back(
        evidence_of(std::string(full.scope) + " " + what + " full avg60", *full.fact, pct(**full.fact)));
  }
  f.impact = impact;
  f.fix = fix;
  f.weight = (some.fact ? **some.fact : 0.0) / 100.0;
  out.push_back(std::move(f));
}

void check_cpu(const Snapshot& s, std::vector<Finding>& out) {
  emit(out, "PSI-CPU-HIGH", "CPU", pick(s, s.cgroup.psi.cpu_some_avg60, s.host.psi.cpu_some_avg60), {}, 20.0, 0,
       "Runnable threads wait for a CPU: request handling, tokenisation and kernel launches are delayed, so the "
       "GPU waits on the host.",
       "Find what competes for the CPUs (infertune monitor, top -H); give the serving container more CPU or fewer "
       "threads (OMP_NUM_THREADS), and move batch jobs off the inference node.");
}

void check_memory(const Snapshot& s, std::vector<Finding>& out) {
  emit(out, "PSI-MEMORY-HIGH", "memory", pick(s, s.cgroup.psi.memory_some_avg60, s.host.psi.memory_some_avg60),
       pick(s, s.cgroup.psi.memory_full_avg60, s.host.psi.memory_full_avg60), 10.0, 5.0,
       "Tasks stall in memory reclaim or swap-in: every stall adds directly to request latency.",
       "Raise the memory limit or reduce host memory use (see MEMORY-LIMIT-NEAR, SWAP-IN-USE); check for page "
       "cache thrash from reading model files on every start.");
}

void check_io(const Snapshot& s, std::vector<Finding>& out) {
  emit(out, "PSI-IO-HIGH", "I/O", pick(s, s.cgroup.psi.io_some_avg60, s.host.psi.io_some_avg60),
       pick(s, s.cgroup.psi.io_full_avg60, s.host.psi.io_full_avg60), 20.0, 10.0,
       "Tasks wait on disk or network storage: model loading, logging or data reads block request threads.",
       "Find the I/O (infertune monitor, iotop); put models on local NVMe or cache them in memory, move heavy "
       "logging off the request path.");
}

}  // namespace

std::vector<Rule> pressure_rules() {
  return {
      {"PSI-CPU-HIGH", "host", check_cpu},
      {"PSI-MEMORY-HIGH", "host", check_memory},
      {"PSI-IO-HIGH", "host", check_io},
  };
}

}  // namespace infertune
