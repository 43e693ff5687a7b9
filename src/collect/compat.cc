// The compatibility inventory: Python environments, CUDA libraries, fatbinaries. Read from files only,
// except `nvcc --version` (live, with a deadline) and, optionally, the version functions of system
// libcudart/libcudnn (collect/compat_libs.cc).
#include "collect/compat.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "base/strings.h"
#include "collect/collect_all.h"
#include "collect/compat_paths.h"
#include "collect/fatbin.h"
#include "collect/proc_maps.h"

extern char** environ;

namespace infertune {

namespace cp = compat_paths;

namespace {

// The variables the inventory needs from the diagnosed process's environment.
const std::vector<std::string_view> kCompatEnv = {"PATH",          "HOME",      "VIRTUAL_ENV", "CONDA_PREFIX",
                                                  "PYENV_VERSION", "CUDA_HOME", "CUDA_PATH",   "LD_LIBRARY_PATH"};

// The environment of the --pid process when one is given, else of the diagnosed process (this one, live).
SysPath environ_path(const FsRoot& fs, int64_t pid) {
  return pid > 0 ? fs.proc(std::to_string(pid) + "/environ") : fs.self("environ");
}

EnvMap read_environment(const FsRoot& fs, const SysPath& p, std::string& source) {
  EnvMap env;
  auto text = fs.read(p);
  if (!text.ok()) return env;
  source = p.display;
  for (std::string_view entry : str::split(*text, '\0')) {
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view name = entry.substr(0, eq);
    if (std::find(kCompatEnv.begin(), kCompatEnv.end(), name) == kCompatEnv.end()) continue;
    env.emplace(std::string(name), std::string(entry.substr(eq + 1)));
  }
  return env;
}

// Runs `exe --version` with a deadline; returns stdout+stderr, or an error message.
Result<std::string> run_version(const std::string& exe, double timeout_s) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return env_error("pipe: " + std::string(std::strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  std::string arg0 = exe, arg1 = "--version";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return env_error("cannot run " + exe + ": " + std::strerror(rc));
  }
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool timed_out = false;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    char buf[4096];
    ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (out.size() < (1u << 16)) out.append(buf, static_cast<size_t>(r));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return env_error(exe + " --version did not finish within " + std::to_string(timeout_s) + " s");
  return out;
}

void collect_nvcc(const FsRoot& fs, const EnvMap& env, double timeout_s, Fact<std::string>& out) {
  std::vector<std::string> places;
  for (const char* var : {"CUDA_HOME", "CUDA_PATH"}) {
    if (auto it = env.find(var); it != env.end() && !it->second.empty())
      places.push_back(cp::join(it->second, "bin/nvcc"));
  }
  if (auto it = env.find("PATH"); it != env.end()) {
    for (std::string_view d : str::split(it->second, ':'))
      if (!d.empty() && d.front() == '/') places.push_back(cp::join(d, "nvcc"));
  }
  places.push_back("/usr/local/cuda/bin/nvcc");
  std::string found;
  for (const auto& p : places) {
    if (fs.file_size(fs.system(p))) {
      found = p;
      break;
    }
  }
  if (found.empty()) {
    out.unknown("no nvcc in CUDA_HOME/bin, on PATH or in /usr/local/cuda/bin");
    return;
  }
  if (!fs.is_live()) {
    out.unknown(found + " exists but programs are not run under --root");
    return;
  }
  auto text = run_version(found, timeout_s);
  if (!text.ok()) {
    out.unknown(text.error().message);
    return;
  }
  if (auto v = parse_nvcc_version(*text)) {
    out.set(*v, found + " --version");
  } else {
    out.unknown(found + " --version printed no \"release X.Y\" line");
  }
}

void collect_process_libraries(const FsRoot& fs, int64_t pid, Fact<std::vector<CudaLibraryFacts>>& out) {
  if (pid <= 0) {
    out.unknown("no --pid given");
    return;
  }
  SysPath maps = fs.proc(std::to_string(pid) + "/maps");
  auto text = fs.read(maps, 64u << 20);
  if (!text.ok()) {
    out.unknown(text.error().message);
    return;
  }
  std::vector<CudaLibraryFacts> libs;
  for (const auto& mapped : parse_proc_maps(*text)) {
    const std::string& path = mapped.path;
    auto named = parse_cuda_lib_filename(cp::basename(path));
    if (!named) continue;
    CudaLibraryFacts f;
    f.name = named->name;
    f.path = path;
    f.found_via = "maps of PID " + std::to_string(pid);
    f.version.set(named->version, "file name");
    f.shadowed.set(false, maps.display);  // mapped: this copy is the one in use
    libs.push_back(std::move(f));
  }
  out.set(std::move(libs), maps.display);
}

}  // namespace

void collect_compat(const FsRoot& fs, const CollectOptions& opts, CompatFacts& out) {
  std::string env_source;
  SysPath env_path = environ_path(fs, opts.target_pid);
  EnvMap env = read_environment(fs, env_path, env_source);
  std::string env_why = env_source.empty() ? "cannot read " + env_path.display : "";
  auto env_fact = [&](Fact<std::string>& f, std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (auto it = env.find(n); it != env.end()) {
        f.set(it->second, env_source + " " + n);
        return;
      }
    }
    std::string joined;
    for (const char* n : names) joined += std::string(joined.empty() ? "" : " or ") + n;
    f.unknown(env_why.empty() ? joined + " is not set" : env_why);
  };
  env_fact(out.cuda_home, {"CUDA_HOME", "CUDA_PATH"});
  env_fact(out.ld_library_path, {"LD_LIBRARY_PATH"});

  auto envs = collect_python_envs(fs, opts.python, env);
  std::vector<std::string> notes;
  CudaLibOptions lo;
  lo.load_libraries = opts.load_cuda_libraries;
  lo.timeout_s = opts.probe_timeout_s;
  auto libs = collect_cuda_libraries(fs, env, envs, lo, notes);
  std::string libs_source = "LD_LIBRARY_PATH, " + fs.etc("ld.so.cache").display + ", standard places";
  for (const auto& n : notes) libs_source += " (" + n + ")";
  out.cuda_libraries.set(std::move(libs), libs_source);

  collect_nvcc(fs, env, opts.probe_timeout_s, out.nvcc_version);
  collect_process_libraries(fs, opts.target_pid, out.process_libraries);

  // GPU code in each framework's main CUDA library.
  std::vector<FatbinFacts> fatbins;
  std::set<std::string> scanned;
  for (const auto& e : envs) {
    if (!e.packages.known()) continue;
    for (const auto& p : *e.packages) {
      if (!p.main_cuda_library.known() || !scanned.insert(*p.main_cuda_library).second) continue;
      fatbins.push_back(scan_fatbin_file(fs, fs.system(*p.main_cuda_library)));
    }
  }
  out.fatbins.set(std::move(fatbins), "main CUDA library of each framework package");

  if (envs.empty()) {
    out.python_envs.unknown("no Python interpreter found (--python, VIRTUAL_ENV, CONDA_PREFIX, python3 on PATH)");
  } else {
    out.python_envs.set(std::move(envs), "--python, VIRTUAL_ENV, CONDA_PREFIX, PATH");
  }
}

}  // namespace infertune
