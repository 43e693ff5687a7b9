#include "collect/collect_all.h"

#include <ctime>

#include "base/build_info.h"
#include "collect/cuda_driver.h"
#include "collect/gpu_driver.h"
#include "collect/nvml.h"
#include "collect/psi.h"
#include "collect/target_process.h"

namespace infertune {

namespace {
std::string utc_now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

void collect_gpu_probes(const FsRoot& fs, const CollectOptions& opts, GpuFacts& gpu, std::vector<std::string>& notes) {
  if (!fs.is_live() || !opts.probe_gpu) {
    std::string why = fs.is_live() ? "NVML and CUDA probing switched off" : kGpuNotProbedUnderRoot;
    gpu.devices.unknown(why);
    gpu.driver.driver_version.unknown(why);
    gpu.driver.cuda_driver_version.unknown(why);
    gpu.driver.nvml_version.unknown(why);
    gpu.nvml.library.unknown(why);
    gpu.cuda.library.unknown(why);
    // The rest of the probe's record says it briefly: the library facts above carry the explanation.
    const std::string brief = fs.is_live() ? "not probed" : "not probed under --root";
    for (auto* f : {&gpu.nvml.library_version, &gpu.nvml.init_result, &gpu.nvml.init_error}) f->unknown(brief);
    for (auto* f : {&gpu.nvml.missing_symbols, &gpu.nvml.timed_out, &gpu.nvml.gpu_lost, &gpu.cuda.timed_out}) {
      f->unknown(brief);
    }
    gpu.cuda.init_result.unknown(brief);
    gpu.cuda.library_version.unknown(brief);
    gpu.cuda.device_count.unknown(brief);
    for (auto* f : {&gpu.cuda.init_error_name, &gpu.cuda.init_error_string, &gpu.cuda.driver_api_version}) {
      f->unknown(brief);
    }
    gpu.cuda.devices.unknown(brief);
    return;
  }
  GpuProbeOptions p;
  p.timeout_s = opts.probe_timeout_s;
  p.sample_window_s = opts.sample_window_s;
  collect_nvml(p, gpu, notes);
  collect_cuda_driver(p, gpu.cuda, notes);
}

Snapshot collect_snapshot(const FsRoot& fs, const CollectOptions& opts) {
  Snapshot s;
  s.schema_version = std::to_string(kSnapshotMajor) + "." + std::to_string(kSnapshotMinor);
  s.tool_version = std::string(build::kVersion) + "+" + build::kGitHash;
  s.collected_at = utc_now_iso();
  s.root = fs.is_live() ? "/" : fs.root();
  collect_os(fs, s.host.os);
  collect_cpu(fs, s.host.cpu);
  collect_memory(fs, s.host.memory);
  collect_system_psi(fs, s.host.psi);
  collect_cgroup(fs, s.cgroup);
  collect_container(fs, s.cgroup, s.container);
  if (opts.target_pid > 0) {
    // With --pid / --process the process facts (limits, environment) are the serving process's.
    FsRoot target_fs = fs;
    target_fs.set_process(std::to_string(opts.target_pid));
    collect_process(target_fs, s.process);
  } else {
    collect_process(fs, s.process);
  }
  collect_pci_gpus(fs, s.gpu);
  collect_gpu_driver(fs, s.gpu.driver);
  collect_gpu_probes(fs, opts, s.gpu, s.notes);
  collect_compat(fs, opts, s.compat);
  if (opts.target_pid > 0) {
    TargetProcessFacts t;
    std::string by =
        opts.target_process.empty() ? "--pid " + std::to_string(opts.target_pid) : "--process " + opts.target_process;
    collect_target_process(fs, {opts.target_pid, by}, t);
    s.target.set(std::move(t), fs.proc(std::to_string(opts.target_pid)).display);
  }
  return s;
}

}  // namespace infertune
