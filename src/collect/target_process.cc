#include "collect/target_process.h"

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "collect/proc_maps.h"

namespace infertune {

namespace {

constexpr size_t kMaxMapsBytes = size_t{64} << 20;  // a large PyTorch server maps a few MB of lines
constexpr size_t kMaxFdsScanned = 1 << 16;
constexpr size_t kMaxListed = 5;

std::string join_args(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

std::string shorten(std::string s, size_t n = 80) {
  if (s.size() > n) s = s.substr(0, n - 3) + "...";
  return s;
}

std::string permission_hint(const Error& e) {
  if (e.message.find("Permission denied") != std::string::npos ||
      e.message.find("Operation not permitted") != std::string::npos) {
    return e.message + " (run infertune as the process's user or as root)";
  }
  return e.message;
}

}  // namespace

std::vector<int64_t> parse_nspid(std::string_view status) {
  for (std::string_view line : str::lines(status)) {
    if (!str::starts_with(line, "NSpid:")) continue;
    std::vector<int64_t> out;
    for (std::string_view f : str::split_ws(line.substr(6))) {
      auto v = str::parse_i64(f);
      if (!v || *v <= 0) return {};
      out.push_back(*v);
    }
    return out;
  }
  return {};
}

std::vector<std::string> parse_cmdline(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::vector<std::string> out;
  if (raw.empty()) return out;
  for (std::string_view a : str::split(raw, '\0')) out.emplace_back(a);
  return out;
}

std::string process_match(std::string_view name, std::string_view comm, const std::vector<std::string>& argv) {
  if (name.empty() || argv.empty()) return "";  // kernel threads and zombies are never a serving process
  // comm holds at most 15 characters: a longer NAME matches its truncation.
  if (comm == name || (name.size() > 15 && comm.size() == 15 && name.substr(0, 15) == comm)) return "comm";
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string_view a = argv[i];
    if (path_basename(a) == name) return "command";
    // python -m NAME / python -m NAME.sub.module
    if (i > 0 && argv[i - 1] == "-m" &&
        (a == name || (str::starts_with(a, name) && a.size() > name.size() && a[name.size()] == '.'))) {
      return "command";
    }
  }
  if (join_args(argv).find(name) != std::string::npos) return "command line";
  return "";
}

Result<TargetChoice> resolve_target(const FsRoot& fs, const CollectOptions& opts) {
  std::string where = fs.is_live() ? "" : " under root " + fs.root();
  if (opts.target_pid != 0) {
    if (opts.target_pid < 0) {
      return usage_error("--pid " + std::to_string(opts.target_pid) + ": not a process id (must be positive)");
    }
    std::string p = std::to_string(opts.target_pid);
    if (!fs.is_dir(fs.proc(p))) {
      return usage_error("--pid " + p + ": no such process (no /proc/" + p + where +
                         "); inside a container use the PID the container sees (ps -e)");
    }
    return TargetChoice{opts.target_pid, "--pid " + p};
  }
  const std::string& name = opts.target_process;
  if (name.empty()) return usage_error("no --pid or --process given");
  auto entries = fs.list(fs.proc(""));
  if (!entries) return usage_error("--process " + name + ": " + entries.error().message);
  std::string self;
  if (auto s = fs.readlink(fs.proc("self")); s.ok()) self = *s;
  struct Candidate {
    int64_t pid;
    std::string how;
    std::string cmd;
  };
  std::vector<Candidate> exact, loose;
  size_t looked = 0;
  for (const auto& e : entries.value()) {
    auto pid = str::parse_i64(e.name);
    if (!pid || *pid <= 0 || e.name == self) continue;
    ++looked;
    auto comm = fs.read(fs.proc(e.name + "/comm"), 4096);
    auto cmd = fs.read(fs.proc(e.name + "/cmdline"), 1 << 20);
    std::string c = comm.ok() ? std::string(str::trim(*comm)) : std::string();
    std::vector<std::string> argv = cmd.ok() ? parse_cmdline(*cmd) : std::vector<std::string>{};
    std::string how = process_match(name, c, argv);
    if (how.empty()) continue;
    Candidate cand{*pid, how, shorten(join_args(argv))};
    (how == "command line" ? loose : exact).push_back(std::move(cand));
  }
  auto& found = exact.empty() ? loose : exact;
  std::sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) { return a.pid < b.pid; });
  if (found.empty()) {
    return usage_error("--process " + name + ": no process has that name or command line (looked at " +
                       std::to_string(looked) + " processes in /proc" + where + " by comm and cmdline)");
  }
  if (found.size() > 1) {
    std::string list;
    for (size_t i = 0; i < found.size() && i < kMaxListed; ++i) {
      list += (i ? ", " : "") + std::to_string(found[i].pid) + " (" + found[i].cmd + ")";
    }
    if (found.size() > kMaxListed) list += ", ...";
    return usage_error("--process " + name + " matches " + std::to_string(found.size()) + " processes: " + list +
                       "; choose one with --pid");
  }
  return TargetChoice{found.front().pid, "--process " + name + " (" + found.front().how + ")"};
}

void collect_target_process(const FsRoot& fs, const TargetChoice& choice, TargetProcessFacts& out) {
  std::string p = std::to_string(choice.pid);
  out.pid = choice.pid;
  out.selected_by = choice.selected_by;

  SysPath comm_path = fs.proc(p + "/comm");
  if (auto comm = fs.read(comm_path, 4096); comm.ok()) {
    out.comm.set(std::string(str::trim(*comm)), comm_path.display);
  } else {
    out.comm.unknown(comm.error().message);
  }
  SysPath cmd_path = fs.proc(p + "/cmdline");
  if (auto cmd = fs.read(cmd_path, 1 << 20); cmd.ok()) {
    auto argv = parse_cmdline(*cmd);
    if (argv.empty()) {
      out.cmdline.unknown(cmd_path.display + " is empty (a kernel thread or a process that has exited)");
    } else {
      out.cmdline.set(join_args(argv), cmd_path.display);
    }
  } else {
    out.cmdline.unknown(cmd.error().message);
  }

  // PIDs: NSpid lists the PID from the namespace of this /proc inwards. It is the host PID (the one NVML
  // reports) only when this /proc belongs to the host's PID namespace.
  SysPath status_path = fs.proc(p + "/status");
  auto status = fs.read(status_path, 1 << 16);
  std::vector<int64_t> ns;
  if (status.ok()) {
    ns = parse_nspid(*status);
    if (ns.empty()) {
      out.ns_pids.unknown(status_path.display + " has no NSpid line (kernel before 4.1)");
    } else {
      out.ns_pids.set(ns, status_path.display + " NSpid");
    }
  } else {
    out.ns_pids.unknown(status.error().message);
  }
  if (!ns.empty()) {
    out.container_pid.set(ns.back(), status_path.display + " NSpid (innermost)");
  } else {
    out.container_pid.unknown(out.ns_pids.unknown_why);
  }
  SysPath ns_path = fs.proc(p + "/ns/pid");
  if (auto l = fs.readlink(ns_path); l.ok()) {
    out.pid_namespace.set(*l, ns_path.display);
  } else {
    out.pid_namespace.unknown(permission_hint(l.error()));
  }
  int64_t outer = ns.empty() ? choice.pid : ns.front();
  SysPath self_ns = fs.proc("self/ns/pid");
  auto mine = fs.readlink(self_ns);
  if (mine.ok() && *mine == kHostPidNamespace) {
    out.host_pid.set(outer, (ns.empty() ? "--pid" : status_path.display + " NSpid") +
                                std::string(" (this /proc is the host's PID namespace, ") + self_ns.display + ")");
  } else if (mine.ok()) {
    out.host_pid.unknown("infertune runs in PID namespace " + *mine + ", not the host's (" + kHostPidNamespace +
                         "): the host PID of " + p +
                         " is not visible here, so it cannot be matched with the PIDs the driver reports. "
                         "Run infertune on the host or in a container sharing the host PID namespace "
                         "(docker run --pid=host, Kubernetes hostPID: true)");
  } else if (ns.size() >= 2) {
    out.host_pid.set(outer, status_path.display + " NSpid (outermost of " + std::to_string(ns.size()) + " levels)");
  } else {
    out.host_pid.unknown("cannot tell whether this /proc is the host's PID namespace (" + mine.error().message + ")");
  }

  SysPath maps_path = fs.proc(p + "/maps");
  if (auto maps = fs.read(maps_path, kMaxMapsBytes); maps.ok()) {
    std::vector<MappedLibraryFacts> libs;
    for (const auto& m : parse_proc_maps(*maps)) {
      std::string kind = classify_cuda_library(m.path);
      if (!kind.empty()) libs.push_back({kind, m.path});
    }
    out.cuda_libraries.set(std::move(libs), maps_path.display);
  } else {
    out.cuda_libraries.unknown(permission_hint(maps.error()));
  }

  SysPath fd_dir = fs.proc(p + "/fd");
  if (auto fds = fs.list(fd_dir); fds.ok()) {
    std::set<std::string> files;
    size_t n = 0;
    for (const auto& e : fds.value()) {
      if (++n > kMaxFdsScanned) break;
      auto target = fs.readlink(fs.proc(p + "/fd/" + e.name));
      if (target.ok() && str::starts_with(*target, "/dev/nvidia")) files.insert(*target);
    }
    out.gpu_device_files.set({files.begin(), files.end()}, fd_dir.display);
  } else {
    out.gpu_device_files.unknown(permission_hint(fds.error()));
  }
}

}  // namespace infertune
