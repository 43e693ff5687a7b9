// `infertune doctor`: collect (or load) a Snapshot, run every rule, print the ranked findings.

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "base/build_info.h"
#include "base/fs_root.h"
#include "cli/command.h"
#include "cli/deliver.h"
#include "cli/doctor_report.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/target_flags.h"
#include "collect/collect_all.h"
#include "facts/snapshot_json.h"
#include "trace/reader.h"
#include "trace/trace_report.h"

namespace infertune::cli {

namespace {

struct DoctorFlags {
  std::string save;
  std::string from;
  std::string from_smi_xml;
  std::string trace;
  TargetFlags target;
};

int run_doctor(const GlobalOptions& g, const DoctorFlags& d) {
  auto t0 = std::chrono::steady_clock::now();
  std::optional<trace::Trace> tr;  // read first: a bad file fails before collecting
  if (!d.trace.empty()) {
    auto read = trace::read_trace_file(d.trace);
    if (!read) return fail("doctor", read.error());
    tr = std::move(read.value());
  }
  Snapshot snap;
  std::string subject;
  if (!d.from.empty()) {
    if (d.target.pid != 0 || !d.target.process.empty()) {
      return fail("doctor", usage_error("--pid/--process name a process of this machine; they do not apply to a "
                                        "snapshot read with --from"));
    }
    auto loaded = load_snapshot_file(d.from);
    if (!loaded) return fail("doctor", loaded.error());
    snap = std::move(loaded.value());
    subject = "snapshot " + d.from;
  } else {
    auto fs = FsRoot::resolve(g.root);
    if (!fs) return fail("doctor", fs.error());
    auto opts = target_collect_options(*fs, d.target);
    if (!opts) return fail("doctor", opts.error());
    snap = collect_snapshot(*fs, *opts);
    subject = fs->is_live() ? "this machine" : "root " + fs->root();
  }
  if (!d.from_smi_xml.empty()) {
    if (auto e = import_smi_xml_flag(d.from_smi_xml, snap, subject)) return fail("doctor", *e);
  }
  if (snap.host.os.hostname) subject += " (host " + *snap.host.os.hostname + ")";
  if (!d.save.empty()) {
    Status st = write_file_atomically(d.save, json_text(snapshot_to_json(snap)), "--save");
    if (!st) return fail("doctor", st.error());
  }
  if (tr) subject += " + trace " + d.trace;
  Report rep = doctor_report(snap, subject);
  if (tr) {
    std::vector<Finding> tf = trace::trace_file_findings(*tr);
    rep.findings.insert(rep.findings.end(), tf.begin(), tf.end());
    rank_findings(rep.findings);
  }
  return deliver("doctor", rep, g, t0);
}

}  // namespace

Command doctor_command() {
  auto flags = std::make_shared<DoctorFlags>();
  Command c;
  c.name = "doctor";
  c.summary = "Run every quick check, rank the findings, print evidence and the fix";
  c.add_flags = [flags](CLI::App& app) {
    app.add_option("--save", flags->save, "Also write the collected snapshot (JSON) to FILE")->type_name("FILE");
    app.add_option("--from", flags->from,
                   "Judge a snapshot saved with --save (from another machine) instead of "
                   "collecting; '-' reads stdin")
        ->type_name("FILE");
    app.add_option("--from-smi-xml", flags->from_smi_xml,
                   "Take the GPUs' state from FILE, the output of 'nvidia-smi -q -x'")
        ->type_name("FILE");
    app.add_option("--trace", flags->trace,
                   "Also analyse FILE, a PyTorch profiler trace, and add its findings (as trace analyze)")
        ->type_name("FILE");
    add_target_flags(app, flags->target);
  };
  c.run = [flags](const GlobalOptions& g) { return run_doctor(g, *flags); };
  return c;
}

}  // namespace infertune::cli
