// `infertune gpu`: is there a GPU, is the driver usable, what state is each GPU in? Collects (or imports
// nvidia-smi -q -x output), prints one block per GPU, the process table and the GPU findings.

#include <chrono>
#include <cstdio>
#include <memory>

#include "base/build_info.h"
#include "base/fs_root.h"
#include "cli/command.h"
#include "cli/deliver.h"
#include "cli/exit_codes.h"
#include "cli/gpu_report.h"
#include "cli/output.h"
#include "cli/target_flags.h"
#include "collect/collect_all.h"

namespace infertune::cli {

namespace {

struct GpuFlags {
  std::string from_smi_xml;
  TargetFlags target;
};

int run_gpu(const GlobalOptions& g, const GpuFlags& flags) {
  auto t0 = std::chrono::steady_clock::now();
  auto fs = FsRoot::resolve(g.root);
  if (!fs) return fail("gpu", fs.error());
  auto opts = target_collect_options(*fs, flags.target);
  if (!opts) return fail("gpu", opts.error());
  Snapshot snap = collect_snapshot(*fs, *opts);
  std::string subject = fs->is_live() ? "this machine" : "root " + fs->root();
  if (!flags.from_smi_xml.empty()) {
    if (auto e = import_smi_xml_flag(flags.from_smi_xml, snap, subject)) return fail("gpu", *e);
  }
  if (snap.host.os.hostname) subject += " (host " + *snap.host.os.hostname + ")";
  Report rep = gpu_report(snap, subject);
  return deliver("gpu", rep, g, t0);
}

}  // namespace

Command gpu_command() {
  auto flags = std::make_shared<GpuFlags>();
  Command c;
  c.name = "gpu";
  c.summary = "Is a GPU on the bus, is the driver usable, what state is each GPU in?";
  c.add_flags = [flags](CLI::App& app) {
    app.add_option("--from-smi-xml", flags->from_smi_xml,
                   "Read the GPUs' state from FILE, the output of 'nvidia-smi -q -x' ('-' reads stdin)")
        ->type_name("FILE");
    add_target_flags(app, flags->target);
  };
  c.run = [flags](const GlobalOptions& g) { return run_gpu(g, *flags); };
  return c;
}

}  // namespace infertune::cli
