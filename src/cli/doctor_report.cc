#include "cli/doctor_report.h"

#include <string>
#include <vector>

#include "base/units.h"
#include "facts/snapshot_json.h"
#include "rules/rule.h"

namespace infertune::cli {

namespace {

// Joins the known parts with " · ".
std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += " · ";
    out += p;
  }
  return out.empty() ? "unknown" : out;
}

std::string b(int64_t v) { return units::bytes(static_cast<double>(v)); }

std::string limit_bytes(const Fact<int64_t>& f) {
  if (!f) return "";
  return *f == kUnlimited ? "unlimited" : b(*f);
}

Section host_section(const Snapshot& s) {
  const auto& os = s.host.os;
  const auto& cpu = s.host.cpu;
  const auto& m = s.host.memory;
  Section sec{"Host", {}};
  sec.rows.push_back({"System", join({os.hostname.value_or(""), os.pretty_name.value_or(""),
                                      os.kernel_release ? "kernel " + *os.kernel_release : "", os.arch.value_or("")})});
  std::string topo;
  if (cpu.sockets) topo += std::to_string(*cpu.sockets) + (*cpu.sockets == 1 ? " socket" : " sockets");
  if (cpu.cores) topo += (topo.empty() ? "" : ", ") + std::to_string(*cpu.cores) + " cores";
  if (cpu.logical_cpus) topo += (topo.empty() ? "" : ", ") + std::to_string(*cpu.logical_cpus) + " threads";
  std::string gov;
  if (cpu.governors) {
    for (const auto& x : *cpu.governors) gov += (gov.empty() ? "governor " : ", ") + x;
  }
  sec.rows.push_back(
      {"CPU",
       join({cpu.model.value_or(""), topo,
             cpu.numa_nodes ? std::to_string(*cpu.numa_nodes) + " NUMA node" + (*cpu.numa_nodes == 1 ? "" : "s") : "",
             gov})});
  std::string mem;
  if (m.total_bytes) mem = b(*m.total_bytes) + " total";
  if (m.available_bytes) mem += (mem.empty() ? "" : ", ") + b(*m.available_bytes) + " available";
  std::string swap;
  if (m.swap_total_bytes && m.swap_free_bytes) {
    swap = *m.swap_total_bytes == 0
               ? "no swap"
               : "swap " + b(*m.swap_total_bytes - *m.swap_free_bytes) + " used of " + b(*m.swap_total_bytes);
  }
  std::string huge;
  if (m.hugepages_total && *m.hugepages_total > 0) huge = std::to_string(*m.hugepages_total) + " hugepages";
  sec.rows.push_back({"Memory", join({mem, swap, huge, m.thp_enabled ? "THP " + *m.thp_enabled : ""})});
  const auto& p = s.host.psi;
  if (p.cpu_some_avg60 || p.memory_some_avg60 || p.io_some_avg60) {
    auto pc = [](const char* n, const Fact<double>& f) {
      return f ? std::string(n) + " " + units::number(*f, 1) + "%" : std::string();
    };
    sec.rows.push_back(
        {"Pressure", join({pc("cpu", p.cpu_some_avg60), pc("memory", p.memory_some_avg60), pc("io", p.io_some_avg60)}) +
                         " (some, last 60 s)"});
  }
  return sec;
}

Section container_section(const Snapshot& s) {
  const auto& c = s.container;
  const auto& cg = s.cgroup;
  Section sec{"Container", {}};
  std::string where;
  if (!c.in_container) {
    where = "unknown";
  } else if (!*c.in_container) {
    where = "none (runs directly on the host or VM)";
  } else {
    where = join({c.runtime.value_or("container"), c.orchestrator && *c.orchestrator != "none" ? *c.orchestrator : "",
                  c.container_id ? "id " + c.container_id->substr(0, 12) : "", c.pod_uid ? "pod " + *c.pod_uid : ""});
  }
  sec.rows.push_back({"Runtime", where});
  std::string cpu;
  if (cg.cpu_limit_cores) {
    cpu = *cg.cpu_limit_cores <= 0 ? "no CPU limit" : "CPU limit " + units::number(*cg.cpu_limit_cores) + " CPUs";
  }
  std::string thr;
  if (cg.cpu_nr_periods && cg.cpu_nr_throttled && *cg.cpu_nr_periods > 0) {
    thr = "throttled " + std::to_string(*cg.cpu_nr_throttled) + "/" + std::to_string(*cg.cpu_nr_periods) + " periods";
  }
  sec.rows.push_back({"cgroup", join({cg.version.value_or(""), cg.path.value_or(""), cpu,
                                      cg.cpuset_cpus ? "cpuset " + *cg.cpuset_cpus : "", thr})});
  std::string mem;
  if (cg.memory_limit_bytes) {
    mem = *cg.memory_limit_bytes == kUnlimited ? "no memory limit" : "memory limit " + b(*cg.memory_limit_bytes);
  }
  sec.rows.push_back(
      {"Memory", join({mem, cg.memory_usage_bytes ? b(*cg.memory_usage_bytes) + " in use" : "",
                       cg.memory_oom_kills ? std::to_string(*cg.memory_oom_kills) + " OOM kills" : ""})});
  if (c.shm_size_bytes) sec.rows.push_back({"/dev/shm", b(*c.shm_size_bytes)});
  return sec;
}

Section process_section(const Snapshot& s) {
  const auto& p = s.process;
  Section sec{"Process", {}};
  sec.rows.push_back(
      {"CPUs allowed", p.cpus_allowed_list
                           ? *p.cpus_allowed_list + (p.cpus_allowed ? " (" + std::to_string(*p.cpus_allowed) + ")" : "")
                           : "unknown"});
  sec.rows.push_back(
      {"Limits", join({p.nofile_soft ? "open files " + (*p.nofile_soft == kUnlimited ? std::string("unlimited")
                                                                                     : std::to_string(*p.nofile_soft))
                                     : "",
                       p.memlock_soft_bytes ? "locked memory " + limit_bytes(p.memlock_soft_bytes) : ""})});
  std::string env;
  if (p.env) {
    for (const auto& [k, v] : *p.env) {
      if (k == "LD_LIBRARY_PATH" || k == "LD_PRELOAD") continue;  // long; in the snapshot
      env += (env.empty() ? "" : "\n") + k + "=" + v;
    }
    if (env.empty()) env = "none of the GPU/thread variables is set";
  }
  sec.rows.push_back({"Environment", env.empty() ? "unknown" : env});
  return sec;
}

Section gpu_section(const Snapshot& s) {
  Section sec{"GPU", {}};
  const auto& pci = s.gpu.nvidia_pci_devices;
  std::string devs;
  if (!pci) {
    devs = "unknown (" + pci.unknown_why + ")";
  } else if (pci->empty()) {
    devs = "none on the PCI bus";
  } else {
    for (const auto& d : *pci) {
      devs += (devs.empty() ? "" : "\n") + d.address + "  " + d.vendor_id + ":" + d.device_id + "  driver " +
              (d.driver.empty() ? "none" : d.driver);
    }
  }
  sec.rows.push_back({"NVIDIA devices", devs});
  if (s.gpu.device_nodes) {
    std::string nodes;
    for (const auto& n : *s.gpu.device_nodes) nodes += (nodes.empty() ? "" : ", ") + n;
    sec.rows.push_back({"Device nodes", nodes.empty() ? "none" : nodes});
  }
  return sec;
}

}  // namespace

Report doctor_report(const Snapshot& s, const std::string& subject) {
  Report r;
  r.command = "doctor";
  r.subject = subject;
  r.sections = {host_section(s), container_section(s), process_section(s), gpu_section(s)};
  r.findings = run_rules(s);
  Json j = snapshot_to_json(s);
  for (auto it = j["unknown"].begin(); it != j["unknown"].end(); ++it) {
    r.unknowns.push_back(it.key() + ": " + (it->is_string() ? it->get<std::string>() : std::string("?")));
  }
  r.notes = s.notes;
  r.data = std::move(j);
  return r;
}

}  // namespace infertune::cli
