#include "cli/target_report.h"

#include <string>

#include "rules/process_verdict.h"

namespace infertune::cli {

namespace {

template <class T>
std::string known_or(const Fact<T>& f, const std::string& text) {
  return f ? text : "unknown (" + f.unknown_why + ")";
}

}  // namespace

std::optional<int64_t> target_host_pid(const Snapshot& s) {
  if (!s.target || !s.target->host_pid) return std::nullopt;
  return *s.target->host_pid;
}

std::optional<Section> target_section(const Snapshot& s) {
  if (!s.target) return std::nullopt;
  const auto& t = *s.target;
  TargetVerdict v = judge_target(s);
  Section sec{"Serving process · " + v.who, {}};
  sec.rows.push_back({"Verdict", v.line});
  sec.rows.push_back({"Selected by", t.selected_by});
  if (t.cmdline) sec.rows.push_back({"Command", *t.cmdline});
  std::string pids = "PID " + std::to_string(t.pid) + " here";
  if (t.host_pid) {
    pids += ", host PID " + std::to_string(*t.host_pid);
  } else {
    pids += ", host PID unknown";
  }
  if (t.container_pid && (!t.host_pid || *t.container_pid != *t.host_pid)) {
    pids += ", PID " + std::to_string(*t.container_pid) + " in its own namespace";
  }
  sec.rows.push_back({"PIDs", pids});
  std::string libs;
  if (t.cuda_libraries) {
    for (const auto& l : *t.cuda_libraries) libs += (libs.empty() ? "" : ", ") + l.kind;
    if (libs.empty()) libs = "none";
  }
  sec.rows.push_back({"CUDA libraries", known_or(t.cuda_libraries, libs)});
  std::string files;
  if (t.gpu_device_files) {
    for (const auto& f : *t.gpu_device_files) files += (files.empty() ? "" : ", ") + f;
    if (files.empty()) files = "none";
  }
  sec.rows.push_back({"GPU files open", known_or(t.gpu_device_files, files)});
  auto others = processes_sharing_target_gpus(s, v.match);
  if (!others.empty()) {
    std::string list;
    for (const auto& o : others) list += (list.empty() ? "" : ", ") + std::to_string(o.process->pid);
    sec.rows.push_back({"Sharing its GPU", "pid " + list});
  }
  return sec;
}

}  // namespace infertune::cli
