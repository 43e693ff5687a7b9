// `infertune compat`: do driver, CUDA runtime(s), cuDNN, the frameworks and the GPU architecture fit together,
// and what exactly to install instead. Collects the inventory (or reads a snapshot), optionally applies a
// planned install (--target) or another machine's driver and GPU (--driver, --gpu), and judges the chain.

#include <chrono>
#include <memory>

#include "base/fs_root.h"
#include "cli/command.h"
#include "cli/compat_report.h"
#include "cli/deliver.h"
#include "collect/collect_all.h"
#include "collect/fatbin.h"
#include "compat/tables.h"
#include "compat/whatif.h"
#include "facts/snapshot_json.h"

namespace infertune::cli {

namespace {

struct CompatFlags {
  std::string python;
  int64_t pid = 0;
  std::vector<std::string> libs;
  std::vector<std::string> targets;
  std::string driver;
  std::string gpu;
  std::string data_dir;
  std::string from;
  std::string from_smi_xml;
};

int run_compat(const GlobalOptions& g, const CompatFlags& f) {
  auto t0 = std::chrono::steady_clock::now();
  if (!f.data_dir.empty()) {
    auto loaded = compat::load_tables_from_dir(f.data_dir);
    if (!loaded) return fail("compat", loaded.error());
    loaded->origin = "tables from " + f.data_dir;
    compat::use_tables(std::move(loaded.value()));
  }
  const auto& tables = compat::tables();
  // Check the what-if flags before collecting: a typo should not cost a collection.
  std::vector<compat::Target> targets;
  for (const auto& spec : f.targets) {
    auto t = compat::parse_target(spec);
    if (!t) return fail("compat", t.error());
    targets.push_back(*t);
  }
  if (f.pid < 0) return fail("compat", usage_error("--pid " + std::to_string(f.pid) + ": not a process id"));
  // --lib: scanned first, so a path that cannot be read fails before a collection is spent.
  std::vector<FatbinFacts> lib_scans;
  for (const auto& lib : f.libs) {
    auto scan = scan_fatbin_user_file(lib);
    if (!scan) return fail("compat", scan.error());
    lib_scans.push_back(std::move(scan.value()));
  }

  Snapshot snap;
  std::string subject;
  if (!f.from.empty()) {
    auto loaded = load_snapshot_file(f.from);
    if (!loaded) return fail("compat", loaded.error());
    snap = std::move(loaded.value());
    subject = "snapshot " + f.from;
  } else {
    auto fs = FsRoot::resolve(g.root);
    if (!fs) return fail("compat", fs.error());
    CollectOptions opts;
    opts.python = f.python;
    opts.target_pid = f.pid;
    snap = collect_snapshot(*fs, opts);
    subject = fs->is_live() ? "this machine" : "root " + fs->root();
  }
  if (!lib_scans.empty()) {
    std::vector<FatbinFacts> all = snap.compat.fatbins ? *snap.compat.fatbins : std::vector<FatbinFacts>{};
    std::string src = snap.compat.fatbins ? snap.compat.fatbins.source + ", --lib" : "--lib";
    for (auto& scan : lib_scans) all.push_back(std::move(scan));
    snap.compat.fatbins.set(std::move(all), src);
  }
  if (!f.from_smi_xml.empty()) {
    if (auto e = import_smi_xml_flag(f.from_smi_xml, snap, subject)) return fail("compat", *e);
  }
  if (snap.host.os.hostname) subject += " (host " + *snap.host.os.hostname + ")";
  if (auto e = compat::apply_machine(tables, f.driver, f.gpu, snap)) return fail("compat", *e);
  if (!f.driver.empty()) subject += ", driver " + f.driver + " given by hand";
  if (!f.gpu.empty()) subject += ", GPU " + f.gpu + " given by hand";
  for (const auto& t : targets) {
    if (auto e = compat::apply_target(tables, t, snap)) return fail("compat", *e);
    subject += ", planned " + t.name + "==" + t.version;
  }
  Report rep = compat_report(snap, subject);
  return deliver("compat", rep, g, t0);
}

}  // namespace

Command compat_command() {
  auto flags = std::make_shared<CompatFlags>();
  Command c;
  c.name = "compat";
  c.summary = "Do driver, CUDA, cuDNN and the frameworks fit together; what to install";
  c.add_flags = [flags](CLI::App& app) {
    app.add_option("--python", flags->python,
                   "Inventory this interpreter's packages (default: the active venv/conda and python3 on PATH)")
        ->type_name("PATH");
    app.add_option("--pid", flags->pid, "Also read which CUDA libraries process P has loaded (/proc/P/maps)")
        ->type_name("P");
    app.add_option("--lib", flags->libs, "Scan this CUDA library's GPU code (fatbin SASS/PTX); repeatable")
        ->type_name("PATH");
    app.add_option("--target", flags->targets,
                   "What-if: judge a planned install instead of the installed one: torch==2.8.0+cu128, "
                   "tensorflow==2.16.1, onnxruntime-gpu==1.20.1, cuda==12.8; repeatable")
        ->type_name("SPEC");
    app.add_option("--driver", flags->driver, "What-if: judge for this NVIDIA driver version (e.g. 550.54.14)")
        ->type_name("VERSION");
    app.add_option("--gpu", flags->gpu, "What-if: judge for this GPU model (e.g. \"L4\", \"H100\", \"RTX 4090\")")
        ->type_name("NAME");
    app.add_option("--data-dir", flags->data_dir,
                   "Read the reference tables from DIR (every data/*.csv file) instead of the built-in ones")
        ->type_name("DIR");
    app.add_option("--from", flags->from, "Judge a snapshot saved with 'doctor --save' instead of collecting")
        ->type_name("FILE");
    app.add_option("--from-smi-xml", flags->from_smi_xml,
                   "Take the driver and GPUs from FILE, the output of 'nvidia-smi -q -x'")
        ->type_name("FILE");
  };
  c.run = [flags](const GlobalOptions& g) { return run_compat(g, *flags); };
  return c;
}

}  // namespace infertune::cli
