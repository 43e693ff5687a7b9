#include "collect/cgroup.h"

#include <algorithm>
#include <initializer_list>
#include <type_traits>
#include <utility>

#include "base/strings.h"
#include "collect/psi.h"

namespace infertune {

namespace {

constexpr size_t kMaxCgroupFile = 1u << 20;
// v1 reports "no limit" as the page counter maximum rounded to pages (9223372036854771712 with 4 KiB pages);
// no real limit comes near 2^62 bytes.
constexpr uint64_t kUnlimitedFrom = uint64_t{1} << 62;

// Shows file content in an error message: trimmed, bounded, quoted.
std::string quoted(std::string_view s) {
  s = str::trim(s);
  std::string out = "\"";
  out += s.substr(0, 60);
  if (s.size() > 60) out += "...";
  out += "\"";
  return out;
}

// Lexical components of a cgroup path: "" and "." dropped, "a/.." folded, leading ".." kept.
std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  for (auto c : str::split(path, '/')) {
    if (c.empty() || c == ".") continue;
    if (c == ".." && !out.empty() && out.back() != "..") {
      out.pop_back();
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string strip_trailing_slashes(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  return std::string(p);
}

// ---- reading the files of one cgroup directory ----

SysPath file_in(const FsRoot& fs, const std::string& dir, std::string_view name) {
  std::string p = dir;
  if (p.empty() || p.back() != '/') p += '/';
  p += name;
  return fs.system(p);
}

template <class T>
struct Level {
  T value;
  std::string source;
};

// One level of a walk: nullopt when the file is not there (the reason goes to `missing_why` once), an error
// when it is there but malformed, else the parsed value.
template <class T, class Parse>
std::optional<Result<Level<T>>> read_level(const FsRoot& fs, const std::string& dir, std::string_view name, Parse parse,
                                           std::string& missing_why) {
  SysPath p = file_in(fs, dir, name);
  auto text = fs.read(p, kMaxCgroupFile);
  if (!text.ok()) {
    if (missing_why.empty()) missing_why = text.error().message;
    return std::nullopt;
  }
  Result<T> v = parse(std::string_view(*text));
  if (!v.ok()) return Result<Level<T>>(input_error(p.display + ": " + v.error().message));
  return Result<Level<T>>(Level<T>{*v, p.display});
}

// Reads one value per directory of `chain` (leaf first). Directories without the file are skipped; a malformed
// file makes the whole result unknown, since the limit it may set cannot be judged.
template <class T, class ReadOne>
Result<std::vector<Level<T>>> walk_levels(const std::vector<std::string>& chain, ReadOne read_one) {
  std::vector<Level<T>> found;
  std::string missing_why;
  for (const auto& dir : chain) {
    std::optional<Result<Level<T>>> r = read_one(dir, missing_why);
    if (!r) continue;
    if (!r->ok()) return r->error();
    found.push_back(std::move(r->value()));
  }
  if (found.empty()) return input_error(missing_why.empty() ? "no cgroup directory to read" : missing_why);
  return found;
}

Result<int64_t> parse_count(std::string_view text) {
  auto v = str::parse_i64(text);
  if (!v || *v < 0) return input_error("not a byte count: " + quoted(text));
  return *v;
}

Result<std::string> parse_cpuset(std::string_view text) {
  auto t = str::trim(text);
  if (t.empty()) return input_error("empty cpu list");
  auto cpus = str::parse_cpu_list(t);
  if (!cpus || cpus->empty()) return input_error("not a cpu list: " + quoted(text));
  return std::string(t);
}

void set_cpu_limit(const Result<std::vector<Level<CpuQuota>>>& levels, CgroupFacts& out) {
  if (!levels.ok()) {
    out.cpu_limit_cores.unknown(levels.error().message);
    out.cpu_quota_us.unknown(levels.error().message);
    out.cpu_period_us.unknown(levels.error().message);
    return;
  }
  const Level<CpuQuota>* best = nullptr;
  for (const auto& l : *levels) {
    if (l.value.limited() && l.value.period_us > 0 && (best == nullptr || l.value.cores() < best->value.cores())) {
      best = &l;
    }
  }
  if (best != nullptr) {
    out.cpu_limit_cores.set(best->value.cores(), best->source);
    out.cpu_quota_us.set(best->value.quota_us, best->source);
    out.cpu_period_us.set(best->value.period_us, best->source);
    return;
  }
  const auto& leaf = levels->front();
  out.cpu_limit_cores.set(-1.0, leaf.source);
  out.cpu_quota_us.set(kUnlimited, leaf.source);
  if (leaf.value.period_us > 0) {
    out.cpu_period_us.set(leaf.value.period_us, leaf.source);
  } else {
    out.cpu_period_us.unknown(leaf.source + " gives no period and sets no limit");
  }
}

void set_tightest(const Result<std::vector<Level<int64_t>>>& levels, Fact<int64_t>& f) {
  if (!levels.ok()) {
    f.unknown(levels.error().message);
    return;
  }
  const Level<int64_t>* best = nullptr;
  for (const auto& l : *levels) {
    if (l.value >= 0 && (best == nullptr || l.value < best->value)) best = &l;
  }
  if (best != nullptr) {
    f.set(best->value, best->source);
  } else {
    f.set(kUnlimited, levels->front().source);
  }
}

Result<int64_t> read_single(const FsRoot& fs, const std::string& dir, std::string_view name, std::string& src) {
  SysPath p = file_in(fs, dir, name);
  src = p.display;
  auto text = fs.read(p, kMaxCgroupFile);
  if (!text.ok()) return text.error();
  auto v = parse_count(*text);
  if (!v.ok()) return input_error(p.display + ": " + v.error().message);
  return *v;
}

void set_single(const FsRoot& fs, const std::string& dir, std::string_view name, Fact<int64_t>& f) {
  std::string src;
  auto v = read_single(fs, dir, name, src);
  if (v.ok()) {
    f.set(*v, src);
  } else {
    f.unknown(v.error().message);
  }
}

struct KeyedFile {
  std::map<std::string, int64_t> values;
  std::string source;
  std::string error;  // set when the file could not be read
};

KeyedFile read_keyed(const FsRoot& fs, const std::string& dir, std::string_view name) {
  KeyedFile k;
  SysPath p = file_in(fs, dir, name);
  k.source = p.display;
  auto text = fs.read(p, kMaxCgroupFile);
  if (!text.ok()) {
    k.error = text.error().message;
  } else {
    k.values = parse_keyed_values(*text);
  }
  return k;
}

// Sets `f` from the first of `keys` present in `k`, divided by `divisor` (a unit conversion).
template <class T>
void set_key(const KeyedFile& k, std::initializer_list<const char*> keys, Fact<T>& f, double divisor = 1.0) {
  if (!k.error.empty()) {
    f.unknown(k.error);
    return;
  }
  for (const char* key : keys) {
    auto it = k.values.find(key);
    if (it == k.values.end()) continue;
    if constexpr (std::is_same_v<T, double>) {
      f.set(static_cast<double>(it->second) / divisor, k.source);
    } else {
      f.set(it->second, k.source);
    }
    return;
  }
  f.unknown(k.source + " has no \"" + *keys.begin() + "\"");
}

// The first directory of the chain (leaf first) holding a valid cpu list in one of `names`.
void set_cpuset(const FsRoot& fs, const std::vector<std::string>& chain, std::initializer_list<const char*> names,
                Fact<std::string>& f) {
  std::string first_error;
  for (const auto& dir : chain) {
    for (const char* name : names) {
      std::string missing;
      auto r = read_level<std::string>(fs, dir, name, parse_cpuset, missing);
      if (!r) {
        if (first_error.empty()) first_error = missing;
        continue;
      }
      if (!r->ok()) {
        if (first_error.empty()) first_error = r->error().message;
        continue;
      }
      f.set((*r)->value, (*r)->source);
      return;
    }
  }
  f.unknown(first_error.empty() ? "no cpuset file in the cgroup or its ancestors" : first_error);
}

// ---- locating the cgroup directory ----

struct Location {
  std::string dir;          // display path of the cgroup directory (or the mount point on fallback)
  std::string mount_point;  // where the walk up stops
};

std::optional<Location> locate(const FsRoot& fs, const std::vector<const MountInfo*>& candidates,
                               std::string_view cgroup_path, const std::string& preferred_mount_point) {
  if (candidates.empty()) return std::nullopt;
  const MountInfo* best = nullptr;
  std::string best_dir;
  size_t best_depth = 0;
  for (const MountInfo* m : candidates) {
    auto d = cgroup_dir_in_mount(m->root, m->mount_point, cgroup_path);
    if (!d) continue;
    size_t depth = components(m->root).size();
    // Deeper roots are more specific; on a tie the later mount covers the earlier one.
    if (best == nullptr || depth >= best_depth) {
      best = m;
      best_dir = *d;
      best_depth = depth;
    }
  }
  if (best != nullptr) {
    std::string mp = strip_trailing_slashes(best->mount_point);
    if (fs.is_dir(fs.system(best_dir))) return Location{best_dir, mp};
    // The cgroup is not where the mount says (a view from another namespace, a partial copy): the mount
    // point itself is the closest thing to this process's cgroup that can be read.
    return Location{mp, mp};
  }
  const MountInfo* fallback = candidates.back();
  for (const MountInfo* m : candidates) {
    if (m->mount_point == preferred_mount_point) fallback = m;
  }
  std::string mp = strip_trailing_slashes(fallback->mount_point);
  return Location{mp, mp};
}

std::vector<const MountInfo*> cgroup2_mounts(const std::vector<MountInfo>& mounts) {
  std::vector<const MountInfo*> out;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup2") out.push_back(&m);
  }
  return out;
}

std::vector<const MountInfo*> v1_mounts_with(const std::vector<MountInfo>& mounts, std::string_view controller) {
  std::vector<const MountInfo*> out;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup" && has_mount_option(m.super_options, controller)) out.push_back(&m);
  }
  return out;
}

const ProcCgroupEntry* v2_entry(const std::vector<ProcCgroupEntry>& entries) {
  for (const auto& e : entries) {
    if (e.hierarchy_id == 0 && e.controllers.empty()) return &e;
  }
  return nullptr;
}

const ProcCgroupEntry* v1_entry(const std::vector<ProcCgroupEntry>& entries, std::string_view controller) {
  for (const auto& e : entries) {
    if (std::find(e.controllers.begin(), e.controllers.end(), controller) != e.controllers.end()) return &e;
  }
  return nullptr;
}

// Without mountinfo (or with no cgroup mount in it) assume the usual places under /sys/fs/cgroup.
std::vector<MountInfo> assumed_mounts(const FsRoot& fs, const std::vector<ProcCgroupEntry>& entries) {
  std::vector<MountInfo> out;
  std::string base = fs.sys("fs/cgroup").display;
  bool any_v1 = false;
  for (const auto& e : entries) {
    if (e.controllers.empty() || str::starts_with(e.controllers.front(), "name=")) continue;
    any_v1 = true;
    MountInfo m;
    m.root = "/";
    std::string joined;
    for (const auto& c : e.controllers) joined += (joined.empty() ? "" : ",") + c;
    m.mount_point = base + "/" + joined;
    m.fstype = "cgroup";
    m.source = "cgroup";
    m.super_options = "rw," + joined;
    out.push_back(std::move(m));
  }
  if (!any_v1 && v2_entry(entries) != nullptr) {
    MountInfo m;
    m.root = "/";
    m.mount_point = base;
    m.fstype = "cgroup2";
    m.source = "cgroup2";
    m.super_options = "rw";
    out.push_back(std::move(m));
  }
  return out;
}

// ---- v2 ----

void collect_psi_in(const FsRoot& fs, const std::string& dir, PsiFacts& out) {
  collect_psi_files(
      fs, [&](const char* r) { return file_in(fs, dir, std::string(r) + ".pressure"); }, out);
}

void collect_v2(const FsRoot& fs, const Location& loc, CgroupFacts& out) {
  auto chain = cgroup_dir_chain(loc.dir, loc.mount_point);

  set_cpu_limit(walk_levels<CpuQuota>(chain,
                                      [&](const std::string& d, std::string& why) {
                                        return read_level<CpuQuota>(fs, d, "cpu.max", parse_cpu_max, why);
                                      }),
                out);
  KeyedFile cpu_stat = read_keyed(fs, loc.dir, "cpu.stat");
  set_key(cpu_stat, {"nr_periods"}, out.cpu_nr_periods);
  set_key(cpu_stat, {"nr_throttled"}, out.cpu_nr_throttled);
  set_key(cpu_stat, {"throttled_usec"}, out.cpu_throttled_s, 1e6);
  set_cpuset(fs, chain, {"cpuset.cpus.effective", "cpuset.cpus"}, out.cpuset_cpus);

  auto limit_walk = [&](const char* name) {
    return walk_levels<int64_t>(chain, [&](const std::string& d, std::string& why) {
      return read_level<int64_t>(fs, d, name, parse_memory_limit, why);
    });
  };
  set_tightest(limit_walk("memory.max"), out.memory_limit_bytes);
  set_tightest(limit_walk("memory.swap.max"), out.memory_swap_limit_bytes);
  set_single(fs, loc.dir, "memory.current", out.memory_usage_bytes);
  set_key(read_keyed(fs, loc.dir, "memory.stat"), {"inactive_file"}, out.memory_inactive_file_bytes);
  KeyedFile events = read_keyed(fs, loc.dir, "memory.events");
  set_key(events, {"oom"}, out.memory_oom_events);
  set_key(events, {"oom_kill"}, out.memory_oom_kills);
  collect_psi_in(fs, loc.dir, out.psi);
}

// ---- v1 ----

std::optional<Result<Level<CpuQuota>>> read_cfs_level(const FsRoot& fs, const std::string& dir, std::string& why) {
  SysPath qp = file_in(fs, dir, "cpu.cfs_quota_us");
  auto quota = fs.read(qp, kMaxCgroupFile);
  if (!quota.ok()) {
    if (why.empty()) why = quota.error().message;
    return std::nullopt;
  }
  auto period = fs.read(file_in(fs, dir, "cpu.cfs_period_us"), kMaxCgroupFile);
  std::optional<std::string_view> period_text;
  if (period.ok()) period_text = std::string_view(*period);
  auto v = parse_cfs_quota(*quota, period_text);
  if (!v.ok()) return Result<Level<CpuQuota>>(input_error(qp.display + ": " + v.error().message));
  return Result<Level<CpuQuota>>(Level<CpuQuota>{*v, qp.display});
}

void collect_v1_cpu(const FsRoot& fs, const Location& loc, CgroupFacts& out) {
  auto chain = cgroup_dir_chain(loc.dir, loc.mount_point);
  set_cpu_limit(
      walk_levels<CpuQuota>(chain, [&](const std::string& d, std::string& why) { return read_cfs_level(fs, d, why); }),
      out);
  KeyedFile cpu_stat = read_keyed(fs, loc.dir, "cpu.stat");
  set_key(cpu_stat, {"nr_periods"}, out.cpu_nr_periods);
  set_key(cpu_stat, {"nr_throttled"}, out.cpu_nr_throttled);
  set_key(cpu_stat, {"throttled_time"}, out.cpu_throttled_s, 1e9);
}

void collect_v1_memory(const FsRoot& fs, const Location& loc, CgroupFacts& out) {
  auto chain = cgroup_dir_chain(loc.dir, loc.mount_point);
  set_tightest(walk_levels<int64_t>(chain,
                                    [&](const std::string& d, std::string& why) {
                                      return read_level<int64_t>(fs, d, "memory.limit_in_bytes", parse_memory_limit,
                                                                 why);
                                    }),
               out.memory_limit_bytes);
  set_single(fs, loc.dir, "memory.usage_in_bytes", out.memory_usage_bytes);
  set_key(read_keyed(fs, loc.dir, "memory.stat"), {"total_inactive_file", "inactive_file"},
          out.memory_inactive_file_bytes);
  set_key(read_keyed(fs, loc.dir, "memory.oom_control"), {"oom_kill"}, out.memory_oom_kills);
  if (!out.memory_oom_kills.known() && out.memory_oom_kills.unknown_why.find("has no") != std::string::npos) {
    out.memory_oom_kills.unknown_why += " (kernels before 4.13 do not count OOM kills)";
  }
  set_single(fs, loc.dir, "memory.failcnt", out.memory_oom_events);

  // Swap: memory.memsw.limit_in_bytes bounds memory + swap, so the swap allowance is memsw - memory.
  SysPath memsw_file = file_in(fs, loc.dir, "memory.memsw.limit_in_bytes");
  const std::string& memsw_src = memsw_file.display;
  auto memsw_text = fs.read(memsw_file, kMaxCgroupFile);
  if (!memsw_text.ok()) {
    out.memory_swap_limit_bytes.unknown(memsw_text.error().message + " (swap accounting may be off)");
    return;
  }
  auto memsw = parse_memory_limit(*memsw_text);
  if (!memsw.ok()) {
    out.memory_swap_limit_bytes.unknown(memsw_src + ": " + memsw.error().message);
    return;
  }
  if (*memsw < 0) {
    out.memory_swap_limit_bytes.set(kUnlimited, memsw_src);
    return;
  }
  auto limit_text = fs.read(file_in(fs, loc.dir, "memory.limit_in_bytes"), kMaxCgroupFile);
  auto limit = limit_text.ok() ? parse_memory_limit(*limit_text) : Result<int64_t>(limit_text.error());
  if (limit.ok() && *limit >= 0) {
    out.memory_swap_limit_bytes.set(std::max<int64_t>(0, *memsw - *limit), memsw_src);
  } else {
    out.memory_swap_limit_bytes.set(*memsw, memsw_src);
  }
}

// Gives every fact that is neither known nor explained the reason `why`.
struct ExplainRest {
  const std::string& why;
  template <class T>
  void operator()(const char*, Fact<T>& f) const {
    if (!f.known() && f.unknown_why.empty()) f.unknown(why);
  }
  void operator()(const char*, PsiFacts& p) const { PsiFacts::fields(p, *this); }
};

void explain_rest(CgroupFacts& out, const std::string& why) { CgroupFacts::fields(out, ExplainRest{why}); }

}  // namespace

// ---- parsers ----

std::vector<ProcCgroupEntry> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupEntry> out;
  for (auto line : str::lines(text)) {
    auto c1 = line.find(':');
    if (c1 == std::string_view::npos) continue;
    auto c2 = line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    auto id = str::parse_i64(line.substr(0, c1));
    auto path = line.substr(c2 + 1);
    if (!id || *id < 0 || path.empty() || path.front() != '/') continue;
    ProcCgroupEntry e;
    e.hierarchy_id = *id;
    auto ctrl = line.substr(c1 + 1, c2 - c1 - 1);
    if (!ctrl.empty()) {
      for (auto c : str::split(ctrl, ',')) {
        if (!c.empty()) e.controllers.emplace_back(c);
      }
    }
    e.path = std::string(path);
    out.push_back(std::move(e));
  }
  return out;
}

Result<CpuQuota> parse_cpu_max(std::string_view text) {
  auto f = str::split_ws(str::trim(text));
  if (f.empty()) return input_error("empty, expected \"$MAX $PERIOD\"");
  if (f.size() > 2) return input_error("expected \"$MAX $PERIOD\", got " + quoted(text));
  CpuQuota q;
  q.period_us = kDefaultCfsPeriodUs;
  if (f.size() == 2) {
    auto period = str::parse_i64(f[1]);
    if (!period || *period <= 0) return input_error("bad period in " + quoted(text));
    q.period_us = *period;
  }
  if (f[0] == "max") {
    q.quota_us = kUnlimited;
    return q;
  }
  auto quota = str::parse_i64(f[0]);
  if (!quota || *quota <= 0) return input_error("bad quota in " + quoted(text));
  q.quota_us = *quota;
  return q;
}

Result<CpuQuota> parse_cfs_quota(std::string_view quota_text, std::optional<std::string_view> period_text) {
  if (str::trim(quota_text).empty()) return input_error("empty cpu.cfs_quota_us");
  auto quota = str::parse_i64(quota_text);
  if (!quota) return input_error("cpu.cfs_quota_us is not a number: " + quoted(quota_text));
  if (*quota == 0 || *quota < -1) return input_error("cpu.cfs_quota_us out of range: " + quoted(quota_text));
  CpuQuota q;
  std::optional<int64_t> period;
  if (period_text) {
    period = str::parse_i64(*period_text);
    if (period && *period <= 0) period.reset();
  }
  if (*quota == -1) {
    q.quota_us = kUnlimited;
    q.period_us = period.value_or(0);
    return q;
  }
  if (!period_text) return input_error("cpu.cfs_period_us is missing");
  if (!period) return input_error("cpu.cfs_period_us is not a positive number: " + quoted(*period_text));
  q.quota_us = *quota;
  q.period_us = *period;
  return q;
}

Result<int64_t> parse_memory_limit(std::string_view text) {
  auto t = str::trim(text);
  if (t == "max") return kUnlimited;
  if (t == "-1") return kUnlimited;  // what one writes to lift a v1 limit; some kernels echo it back
  auto v = str::parse_u64(t);
  if (!v) return input_error("not \"max\" or a byte count: " + quoted(text));
  if (*v >= kUnlimitedFrom) return kUnlimited;
  return static_cast<int64_t>(*v);
}

std::map<std::string, int64_t> parse_keyed_values(std::string_view text) {
  std::map<std::string, int64_t> out;
  for (auto line : str::lines(text)) {
    auto f = str::split_ws(line);
    if (f.size() != 2) continue;
    auto v = str::parse_i64(f[1]);
    if (!v) continue;
    out.emplace(std::string(f[0]), *v);
  }
  return out;
}

std::string cgroup_version_of(const std::vector<MountInfo>& mounts) {
  bool v2 = false;
  bool v1_controllers = false;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup2") v2 = true;
    if (m.fstype != "cgroup") continue;
    for (auto opt : str::split(m.super_options, ',')) {
      // v1 controllers are bare options; "name=systemd" is a named hierarchy without a controller.
      if (opt == "cpu" || opt == "cpuacct" || opt == "cpuset" || opt == "memory" || opt == "blkio" || opt == "pids" ||
          opt == "devices" || opt == "freezer" || opt == "hugetlb" || opt == "net_cls" || opt == "net_prio" ||
          opt == "perf_event" || opt == "rdma" || opt == "misc") {
        v1_controllers = true;
      }
    }
  }
  if (v1_controllers) return v2 ? "hybrid" : "v1";
  if (v2) return "v2";
  return "";
}

std::optional<std::string> cgroup_dir_in_mount(std::string_view mount_root, std::string_view mount_point,
                                               std::string_view cgroup_path) {
  auto root = components(mount_root);
  auto cg = components(cgroup_path);
  if (cg.size() < root.size()) return std::nullopt;
  for (size_t i = 0; i < root.size(); ++i) {
    if (root[i] != cg[i]) return std::nullopt;
  }
  std::string dir = strip_trailing_slashes(mount_point);
  for (size_t i = root.size(); i < cg.size(); ++i) {
    if (cg[i] == "..") return std::nullopt;  // above the mount's root: not visible through this mount
    if (dir != "/") dir += '/';
    dir += cg[i];
  }
  return dir;
}

std::vector<std::string> cgroup_dir_chain(std::string_view dir, std::string_view mount_point) {
  std::string d = strip_trailing_slashes(dir);
  std::string m = strip_trailing_slashes(mount_point);
  bool under = d == m || m == "/" || str::starts_with(d, m + "/");
  if (!under) return {d};
  std::vector<std::string> out;
  while (true) {
    out.push_back(d);
    if (d == m || d == "/") break;
    auto pos = d.rfind('/');
    if (pos == std::string::npos) break;
    d = pos == 0 ? std::string("/") : d.substr(0, pos);
  }
  return out;
}

// ---- the collector ----

void collect_cgroup(const FsRoot& fs, CgroupFacts& out) {
  SysPath cg_file = fs.self("cgroup");
  auto cg_text = fs.read(cg_file, kMaxCgroupFile);
  if (!cg_text.ok()) {
    explain_rest(out, cg_text.error().message);
    return;
  }
  auto entries = parse_proc_cgroup(*cg_text);
  if (entries.empty()) {
    explain_rest(out, cg_file.display + " has no well-formed line");
    return;
  }

  SysPath mi_file = fs.self("mountinfo");
  auto mounts = read_mountinfo(fs);
  std::vector<MountInfo> table = mounts.ok() ? std::move(*mounts) : std::vector<MountInfo>{};
  std::string version = cgroup_version_of(table);
  std::string version_source = mi_file.display;
  if (version.empty()) {
    // No cgroup mount visible: assume the usual layout, judged from /proc/<pid>/cgroup.
    table = assumed_mounts(fs, entries);
    version = cgroup_version_of(table);
    version_source = cg_file.display + " (no cgroup mount in " + mi_file.display +
                     (mounts.ok() ? "" : ": " + mounts.error().message) + "; assumed mounts under " +
                     fs.sys("fs/cgroup").display + ")";
  }
  if (version.empty()) {
    explain_rest(out, "no cgroup mount in " + mi_file.display + " and no usable line in " + cg_file.display);
    return;
  }
  out.version.set(version, version_source);
  std::string cgroup_root = fs.sys("fs/cgroup").display;

  if (version == "v2") {
    const ProcCgroupEntry* e = v2_entry(entries);
    if (e == nullptr) {
      explain_rest(out, cg_file.display + " has no \"0::\" line for cgroup v2");
      return;
    }
    out.path.set(e->path, cg_file.display);
    auto loc = locate(fs, cgroup2_mounts(table), e->path, cgroup_root);
    if (!loc) {
      explain_rest(out, "no cgroup2 mount in " + mi_file.display);
      return;
    }
    collect_v2(fs, *loc, out);
    explain_rest(out, "not found in " + loc->dir);
    return;
  }

  // v1 or hybrid: limits come from the v1 controllers.
  const ProcCgroupEntry* cpu = v1_entry(entries, "cpu");
  if (cpu != nullptr) {
    out.path.set(cpu->path, cg_file.display);
  } else {
    out.path.unknown(cg_file.display + " has no line for the cpu controller");
  }
  auto locate_v1 = [&](const char* controller) -> std::optional<Location> {
    const ProcCgroupEntry* e = v1_entry(entries, controller);
    if (e == nullptr) return std::nullopt;
    return locate(fs, v1_mounts_with(table, controller), e->path, cgroup_root + "/" + controller);
  };
  if (auto loc = locate_v1("cpu")) {
    collect_v1_cpu(fs, *loc, out);
  } else {
    std::string why = "the cpu controller is not mounted or not listed in " + cg_file.display;
    out.cpu_limit_cores.unknown(why);
    out.cpu_throttled_s.unknown(why);
    for (auto* f : {&out.cpu_quota_us, &out.cpu_period_us, &out.cpu_nr_periods, &out.cpu_nr_throttled}) {
      f->unknown(why);
    }
  }
  if (auto loc = locate_v1("cpuset")) {
    set_cpuset(fs, {loc->dir}, {"cpuset.cpus", "cpuset.effective_cpus"}, out.cpuset_cpus);
  } else {
    out.cpuset_cpus.unknown("the cpuset controller is not mounted or not listed in " + cg_file.display);
  }
  if (auto loc = locate_v1("memory")) {
    collect_v1_memory(fs, *loc, out);
  } else {
    std::string why = "the memory controller is not mounted or not listed in " + cg_file.display;
    for (auto* f : {&out.memory_limit_bytes, &out.memory_usage_bytes, &out.memory_inactive_file_bytes,
                    &out.memory_swap_limit_bytes, &out.memory_oom_events, &out.memory_oom_kills}) {
      f->unknown(why);
    }
  }

  // PSI exists only in the unified (v2) hierarchy: on a hybrid system the process's unified cgroup has it.
  const ProcCgroupEntry* e2 = v2_entry(entries);
  if (version == "hybrid" && e2 != nullptr) {
    if (auto loc = locate(fs, cgroup2_mounts(table), e2->path, cgroup_root + "/unified")) {
      collect_psi_in(fs, loc->dir, out.psi);
    }
  }
  explain_rest(out, version == "v1" ? "cgroup v1 has no per-cgroup pressure (PSI) files"
                                    : "not found in the v1 controllers or the unified hierarchy");
}

}  // namespace infertune
