#include "collect/cgroup.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "test_support.h"

namespace infertune {
namespace {

std::string sample(const std::string& rel) { return test::read_text(test::data_path("cgroup/" + rel)); }

// Every fact is either known or says why not.
struct AllExplained {
  std::vector<std::string>* bad;
  template <class T>
  void operator()(const char* name, const Fact<T>& f) const {
    if (!f.known() && f.unknown_why.empty()) bad->push_back(name);
    if (f.known() && f.source.empty()) bad->push_back(std::string(name) + " (no source)");
  }
  void operator()(const char*, const PsiFacts& p) const { PsiFacts::fields(p, *this); }
};

std::vector<std::string> unexplained(const CgroupFacts& cg) {
  std::vector<std::string> bad;
  CgroupFacts::fields(cg, AllExplained{&bad});
  return bad;
}

CgroupFacts collect_root(const std::string& root) {
  CgroupFacts cg;
  collect_cgroup(FsRoot(root), cg);
  return cg;
}

using test::TempRoot;

// ---- parsers on real samples ----

TEST(CgroupParse, CpuMaxAutomaxprocsCases) {
  auto set = parse_cpu_max(sample("automaxprocs/cgroups/v2/set"));  // "250000 100000", no newline
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->quota_us, 250000);
  EXPECT_EQ(set->period_us, 100000);
  EXPECT_DOUBLE_EQ(set->cores(), 2.5);

  auto unset = parse_cpu_max(sample("automaxprocs/cgroups/v2/unset"));  // "max 100000"
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset->limited());
  EXPECT_EQ(unset->period_us, 100000);
  EXPECT_DOUBLE_EQ(unset->cores(), -1.0);

  // A lone number is what one may write; the kernel keeps its default period.
  auto only = parse_cpu_max(sample("automaxprocs/cgroups/v2/only-max"));  // "500000"
  ASSERT_TRUE(only.ok());
  EXPECT_DOUBLE_EQ(only->cores(), 5.0);

  for (const char* bad :
       {"invalid-max", "invalid-period", "zero-period", "too-few-fields", "too-many-fields", "empty"}) {
    auto r = parse_cpu_max(sample(std::string("automaxprocs/cgroups/v2/") + bad));
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_FALSE(r.error().message.empty()) << bad;
    }
  }

  auto real = parse_cpu_max(sample("elastic/docker/v2-scope/cpu.max"));  // "max 100000\n"
  ASSERT_TRUE(real.ok());
  EXPECT_FALSE(real->limited());
  EXPECT_FALSE(parse_cpu_max("0 100000").ok());
  EXPECT_FALSE(parse_cpu_max("-5 100000").ok());
  EXPECT_FALSE(parse_cpu_max("max -1").ok());
}

TEST(CgroupParse, CfsQuotaAutomaxprocsCases) {
  auto quota = [](const char* dir) { return sample(std::string("automaxprocs/cgroups/") + dir + "/cpu.cfs_quota_us"); };
  auto period = [](const char* dir) -> std::optional<std::string> {
    std::string p = test::data_path(std::string("cgroup/automaxprocs/cgroups/") + dir + "/cpu.cfs_period_us");
    if (!std::filesystem::exists(p)) return std::nullopt;
    return test::read_text(p);
  };
  auto parse = [&](const char* dir) {
    auto p = period(dir);
    return parse_cfs_quota(quota(dir), p ? std::optional<std::string_view>(*p) : std::nullopt);
  };

  auto cpu = parse("cpu");  // 600000 / 100000
  ASSERT_TRUE(cpu.ok());
  EXPECT_DOUBLE_EQ(cpu->cores(), 6.0);

  auto undefined = parse("undefined");  // -1 / 100000
  ASSERT_TRUE(undefined.ok());
  EXPECT_FALSE(undefined->limited());
  EXPECT_EQ(undefined->period_us, 100000);

  auto no_period = parse("undefined-period");  // 800000, no period file
  ASSERT_FALSE(no_period.ok());
  EXPECT_NE(no_period.error().message.find("cfs_period_us"), std::string::npos);

  EXPECT_FALSE(parse("zero-period").ok());  // 600000 / 0
  EXPECT_FALSE(parse("empty").ok());
  auto invalid = parse("invalid");  // "non-an-integer"
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message.find("non-an-integer"), std::string::npos);

  // Unlimited with no period file still parses: the period is then unknown.
  auto lone = parse_cfs_quota("-1\n", std::nullopt);
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(lone->period_us, 0);
  EXPECT_FALSE(parse_cfs_quota("0", std::string_view("100000")).ok());
  EXPECT_FALSE(parse_cfs_quota("-7", std::string_view("100000")).ok());
}

TEST(CgroupParse, MemoryLimits) {
  EXPECT_EQ(*parse_memory_limit("max\n"), -1);
  EXPECT_EQ(*parse_memory_limit("9223372036854771712\n"), -1);  // v1 "no limit" (4 KiB pages)
  EXPECT_EQ(*parse_memory_limit("9223372036854710272"), -1);    // v1 "no limit" (64 KiB pages)
  EXPECT_EQ(*parse_memory_limit("2147483648\n"), 2147483648);
  EXPECT_EQ(*parse_memory_limit("0"), 0);
  EXPECT_EQ(*parse_memory_limit(sample("roots/docker-v1/sys/fs/cgroup/memory/memory.limit_in_bytes")), -1);
  EXPECT_FALSE(parse_memory_limit("").ok());
  EXPECT_FALSE(parse_memory_limit("maxx").ok());
  EXPECT_FALSE(parse_memory_limit("12 34").ok());
  EXPECT_FALSE(parse_memory_limit("99999999999999999999999").ok());
}

TEST(CgroupParse, KeyedValues) {
  auto v2 = parse_keyed_values(sample("elastic/docker/v2-scope/cpu.stat"));
  EXPECT_EQ(v2["usage_usec"], 26772130245);
  EXPECT_EQ(v2["nr_periods"], 1);
  EXPECT_EQ(v2["nr_throttled"], 4);
  EXPECT_EQ(v2["throttled_usec"], 10);

  auto v1 = parse_keyed_values(sample("roots/docker-v1/sys/fs/cgroup/cpu/cpu.stat"));
  EXPECT_EQ(v1["nr_periods"], 769021);
  EXPECT_EQ(v1["throttled_time"], 352597023453);

  auto events = parse_keyed_values(sample("elastic/docker/v2-scope/memory.events"));
  EXPECT_EQ(events["oom"], 1);
  EXPECT_EQ(events["oom_kill"], 1);

  auto stat = parse_keyed_values(sample("elastic/docker/v2-scope/memory.stat"));
  EXPECT_EQ(stat["inactive_file"], 270336);
  EXPECT_EQ(stat.count("missing"), 0u);

  auto junk = parse_keyed_values("a 1\nb\nc x\nd 2 3\n\ne -4\nf 99999999999999999999\ng 5");
  EXPECT_EQ(junk, (std::map<std::string, int64_t>{{"a", 1}, {"e", -4}, {"g", 5}}));
  EXPECT_TRUE(parse_keyed_values("").empty());
}

TEST(CgroupParse, SessionScopeFiles) {
  // docker2's systemd session scope (cgroup v2, kernel 6.x): no limit, never throttled, cpu.stat with newer keys.
  auto max = parse_cpu_max(sample("elastic/docker2/session-scope/cpu.max"));
  ASSERT_TRUE(max.ok());
  EXPECT_FALSE(max->limited());
  auto stat = parse_keyed_values(sample("elastic/docker2/session-scope/cpu.stat"));
  EXPECT_EQ(stat["nr_periods"], 0);
  EXPECT_EQ(stat["core_sched.force_idle_usec"], 0);
  EXPECT_EQ(stat["usage_usec"], 3611347518);
  auto events = parse_keyed_values(sample("elastic/docker2/session-scope/memory.events"));
  EXPECT_EQ(events.size(), 6u);  // includes oom_group_kill
  EXPECT_EQ(events["oom_kill"], 0);
}

TEST(CgroupParse, ProcCgroupLines) {
  auto amzn2 = parse_proc_cgroup(sample("elastic/amzn2/proc/493239/cgroup"));
  ASSERT_EQ(amzn2.size(), 12u);
  EXPECT_EQ(amzn2[0].hierarchy_id, 11);
  EXPECT_EQ(amzn2[0].controllers, std::vector<std::string>{"memory"});
  EXPECT_EQ(amzn2[6].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(amzn2[10].controllers, std::vector<std::string>{"name=systemd"});
  EXPECT_EQ(amzn2[11].hierarchy_id, 0);
  EXPECT_TRUE(amzn2[11].controllers.empty());
  EXPECT_EQ(amzn2[11].path, "/");
  EXPECT_EQ(amzn2[6].path,
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7a96c459_d529_44ae_9f99_90d3798d6426.slice/"
            "cri-containerd-1d3d308a7d48a27814a68bf33a44acf4441c9c02463ca0bc1cdfdc8c0b4a8496.scope");

  auto nested = parse_proc_cgroup(sample("elastic/docker2/proc/2233801/cgroup"));  // no trailing newline
  ASSERT_EQ(nested.size(), 1u);
  EXPECT_EQ(nested[0].path, "/../../user-1000.slice/session-520.scope");

  auto root = parse_proc_cgroup(sample("automaxprocs/proc/v2/cgroup-root"));
  ASSERT_EQ(root.size(), 1u);
  EXPECT_EQ(root[0].path, "/");

  EXPECT_EQ(parse_proc_cgroup(sample("automaxprocs/proc/invalid-cgroup/cgroup")).size(), 1u);
  EXPECT_TRUE(parse_proc_cgroup(sample("automaxprocs/proc/v2/cgroup-invalid")).empty());
  auto no_match = parse_proc_cgroup(sample("automaxprocs/proc/v2/cgroup-no-match"));  // "1::/"
  ASSERT_EQ(no_match.size(), 1u);
  EXPECT_EQ(no_match[0].hierarchy_id, 1);
  EXPECT_TRUE(parse_proc_cgroup("").empty());
  EXPECT_TRUE(parse_proc_cgroup("x:y:/z\n-1::/\n0::relative\n").empty());
  // A path keeps colons after the second one.
  EXPECT_EQ(parse_proc_cgroup("0::/a:b\n")[0].path, "/a:b");
}

TEST(CgroupParse, VersionFromMounts) {
  auto version = [](const std::string& rel) { return cgroup_version_of(parse_mountinfo(sample(rel))); };
  EXPECT_EQ(version("automaxprocs/proc/v2/mountinfo-v2"), "v2");
  EXPECT_EQ(version("automaxprocs/proc/v2/mountinfo-v1-v2"), "hybrid");
  EXPECT_EQ(version("automaxprocs/proc/v2/mountinfo"), "v1");
  EXPECT_EQ(version("elastic/ubuntu1804/proc/self/mountinfo"), "hybrid");
  EXPECT_EQ(version("node_exporter/proc/1/mountinfo"), "v1");
  EXPECT_EQ(version("node_exporter/proc/10/mountinfo"), "");
  EXPECT_EQ(version("roots/docker-v1/proc/self/mountinfo"), "hybrid");  // v1 controllers + a cgroup2 mount
  EXPECT_EQ(cgroup_version_of(parse_mountinfo(test::read_text(test::data_path("roots/k8s-v1/proc/self/mountinfo")))),
            "v1");
  EXPECT_EQ(cgroup_version_of(parse_mountinfo(test::read_text(test::data_path("roots/docker-v2/proc/self/mountinfo")))),
            "v2");
  // Only a named hierarchy (name=systemd) and cgroup2: still v2 for resource control.
  EXPECT_EQ(
      cgroup_version_of(parse_mountinfo("1 0 0:1 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
                                        "2 0 0:2 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")),
      "v2");
}

TEST(CgroupParse, DirInMount) {
  EXPECT_EQ(cgroup_dir_in_mount("/", "/sys/fs/cgroup", "/"), "/sys/fs/cgroup");
  EXPECT_EQ(cgroup_dir_in_mount("/", "/sys/fs/cgroup/", "/user.slice/a.scope"), "/sys/fs/cgroup/user.slice/a.scope");
  // docker2: the mount's root and the process's path are both relative to the reader's cgroup namespace.
  EXPECT_EQ(cgroup_dir_in_mount("/../..", "/sys/fs/cgroup", "/../../user-1000.slice/session-520.scope"),
            "/sys/fs/cgroup/user-1000.slice/session-520.scope");
  EXPECT_EQ(cgroup_dir_in_mount("/", "/sys/fs/cgroup", "/../../user-1000.slice/session-520.scope"), std::nullopt);
  // v1 inside Docker: the mount root is the container's own cgroup.
  std::string id = "/docker/3fc95ce32f84e9346c5fbd3bce38045e478aa5b067603955555cbff8445ba74f";
  EXPECT_EQ(cgroup_dir_in_mount(id, "/sys/fs/cgroup/cpu", id), "/sys/fs/cgroup/cpu");
  EXPECT_EQ(cgroup_dir_in_mount(id, "/sys/fs/cgroup/cpu", "/docker/b29faf"), std::nullopt);
  EXPECT_EQ(cgroup_dir_in_mount("/docker", "/sys/fs/cgroup/memory", "/docker/large"), "/sys/fs/cgroup/memory/large");
  EXPECT_EQ(cgroup_dir_in_mount("/docker", "/sys/fs/cgroup/memory", "/dockerx"), std::nullopt);
  EXPECT_EQ(cgroup_dir_in_mount("/", "/sys/fs/cgroup", "/a/./b//c/../d"), "/sys/fs/cgroup/a/b/d");
}

TEST(CgroupParse, DirChain) {
  EXPECT_EQ(cgroup_dir_chain("/sys/fs/cgroup/a/b", "/sys/fs/cgroup"),
            (std::vector<std::string>{"/sys/fs/cgroup/a/b", "/sys/fs/cgroup/a", "/sys/fs/cgroup"}));
  EXPECT_EQ(cgroup_dir_chain("/sys/fs/cgroup", "/sys/fs/cgroup/"), (std::vector<std::string>{"/sys/fs/cgroup"}));
  EXPECT_EQ(cgroup_dir_chain("/elsewhere/x", "/sys/fs/cgroup"), (std::vector<std::string>{"/elsewhere/x"}));
  EXPECT_EQ(cgroup_dir_chain("/sys/fs/cgroupx", "/sys/fs/cgroup"), (std::vector<std::string>{"/sys/fs/cgroupx"}));
}

TEST(CgroupParse, RandomBytesNeverCrash) {
  // Deterministic noise built from the characters these formats use, plus arbitrary bytes.
  static constexpr char kAlphabet[] = "0123456789abcdefmax :/-.,=\\\n\t\0\xff kubepods.slice cri-containerd-";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  auto next = [&x]() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    size_t len = next() % 200;
    for (size_t j = 0; j < len; ++j) {
      s += (next() % 8 == 0) ? static_cast<char>(next() & 0xff) : alphabet[next() % alphabet.size()];
    }
    (void)parse_mountinfo(s);
    (void)parse_proc_cgroup(s);
    (void)parse_cpu_max(s);
    (void)parse_cfs_quota(s, std::string_view(s).substr(0, s.size() / 2));
    (void)parse_memory_limit(s);
    (void)parse_keyed_values(s);
    (void)cgroup_dir_in_mount(std::string_view(s).substr(0, s.size() / 3), "/sys/fs/cgroup", s);
    (void)cgroup_dir_chain(s, "/sys/fs/cgroup");
    (void)unescape_mount_field(s);
  }
  SUCCEED();
}

// ---- collecting from fixture roots ----

TEST(CgroupCollect, DockerV2WithCgroupNamespace) {
  CgroupFacts cg = collect_root(test::data_path("roots/docker-v2"));
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
  EXPECT_EQ(cg.version.value_or(""), "v2");
  EXPECT_EQ(cg.version.source, "/proc/self/mountinfo");
  EXPECT_EQ(cg.path.value_or("?"), "/");
  EXPECT_EQ(cg.path.source, "/proc/self/cgroup");
  ASSERT_TRUE(cg.cpu_limit_cores) << cg.cpu_limit_cores.unknown_why;
  EXPECT_DOUBLE_EQ(*cg.cpu_limit_cores, 2.0);
  EXPECT_EQ(cg.cpu_limit_cores.source, "/sys/fs/cgroup/cpu.max");
  EXPECT_EQ(cg.cpu_quota_us.value_or(0), 200000);
  EXPECT_EQ(cg.cpu_period_us.value_or(0), 100000);
  EXPECT_EQ(cg.cpuset_cpus.value_or(""), "0-63");
  EXPECT_EQ(cg.cpuset_cpus.source, "/sys/fs/cgroup/cpuset.cpus.effective");
  EXPECT_EQ(cg.cpu_nr_periods.value_or(0), 48210);
  EXPECT_EQ(cg.cpu_nr_throttled.value_or(0), 9120);
  EXPECT_DOUBLE_EQ(cg.cpu_throttled_s.value_or(0), 812.345678);
  EXPECT_EQ(cg.cpu_nr_throttled.source, "/sys/fs/cgroup/cpu.stat");
  EXPECT_EQ(cg.memory_limit_bytes.value_or(0), -1);
  EXPECT_EQ(cg.memory_usage_bytes.value_or(0), 9125888);
  EXPECT_EQ(cg.memory_inactive_file_bytes.value_or(0), 270336);
  EXPECT_EQ(cg.memory_swap_limit_bytes.value_or(0), -1);
  EXPECT_EQ(cg.memory_oom_events.value_or(-1), 0);
  EXPECT_EQ(cg.memory_oom_kills.value_or(-1), 0);
  EXPECT_EQ(cg.memory_oom_kills.source, "/sys/fs/cgroup/memory.events");
  EXPECT_DOUBLE_EQ(cg.psi.cpu_some_avg10.value_or(-1), 4.30);
  EXPECT_DOUBLE_EQ(cg.psi.cpu_some_avg60.value_or(-1), 3.20);
  EXPECT_EQ(cg.psi.cpu_some_avg60.source, "/sys/fs/cgroup/cpu.pressure");
  EXPECT_DOUBLE_EQ(cg.psi.memory_some_avg60.value_or(-1), 0.0);
  EXPECT_DOUBLE_EQ(cg.psi.io_some_avg60.value_or(-1), 0.0);
  EXPECT_DOUBLE_EQ(cg.psi.io_full_avg60.value_or(-1), 0.0);
}

TEST(CgroupCollect, KubernetesV1FromTheHostView) {
  CgroupFacts cg = collect_root(test::data_path("roots/k8s-v1"));
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
  const std::string dir =
      "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7a96c459_d529_44ae_9f99_90d3798d6426.slice/"
      "cri-containerd-1d3d308a7d48a27814a68bf33a44acf4441c9c02463ca0bc1cdfdc8c0b4a8496.scope";
  EXPECT_EQ(cg.version.value_or(""), "v1");
  EXPECT_EQ(cg.path.value_or(""), "/" + dir);
  EXPECT_DOUBLE_EQ(cg.cpu_limit_cores.value_or(0), -1.0);  // burstable pod without a CPU limit
  EXPECT_EQ(cg.cpu_quota_us.value_or(0), -1);
  EXPECT_EQ(cg.cpu_period_us.value_or(0), 100000);
  EXPECT_EQ(cg.cpu_quota_us.source, "/sys/fs/cgroup/cpu,cpuacct/" + dir + "/cpu.cfs_quota_us");
  EXPECT_EQ(cg.cpu_nr_periods.value_or(-1), 0);
  EXPECT_DOUBLE_EQ(cg.cpu_throttled_s.value_or(-1), 0.0);
  EXPECT_EQ(cg.cpuset_cpus.value_or(""), "0-7");
  EXPECT_EQ(cg.memory_limit_bytes.value_or(0), 2147483648);
  EXPECT_EQ(cg.memory_limit_bytes.source, "/sys/fs/cgroup/memory/" + dir + "/memory.limit_in_bytes");
  EXPECT_EQ(cg.memory_usage_bytes.value_or(0), 2105540608);
  EXPECT_EQ(cg.memory_inactive_file_bytes.value_or(0), 78557184);
  EXPECT_EQ(cg.memory_swap_limit_bytes.value_or(-1), 0);  // memsw limit == memory limit
  EXPECT_EQ(cg.memory_oom_kills.value_or(0), 2);
  EXPECT_EQ(cg.memory_oom_events.value_or(0), 156);
  ASSERT_FALSE(cg.psi.cpu_some_avg60);
  EXPECT_NE(cg.psi.cpu_some_avg60.unknown_why.find("v1"), std::string::npos);
}

TEST(CgroupCollect, BareMetalAndHealthyHosts) {
  for (const char* root : {"roots/baremetal", "roots/healthy"}) {
    SCOPED_TRACE(root);
    CgroupFacts cg = collect_root(test::data_path(root));
    EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
    const std::string dir = "/sys/fs/cgroup/user.slice/user-1000.slice/session-520.scope";
    EXPECT_EQ(cg.version.value_or(""), "v2");
    EXPECT_EQ(cg.path.value_or(""), "/user.slice/user-1000.slice/session-520.scope");
    EXPECT_DOUBLE_EQ(cg.cpu_limit_cores.value_or(0), -1.0);
    EXPECT_EQ(cg.cpu_limit_cores.source, dir + "/cpu.max");
    EXPECT_EQ(cg.cpu_nr_throttled.value_or(-1), 0);
    EXPECT_EQ(cg.memory_limit_bytes.value_or(0), -1);
    EXPECT_EQ(cg.memory_usage_bytes.value_or(0), 10498404352);
    EXPECT_EQ(cg.memory_oom_kills.value_or(-1), 0);
    // The session scope has no cpuset controller and the copy holds no ancestor's cpuset file.
    EXPECT_FALSE(cg.cpuset_cpus);
    EXPECT_NE(cg.cpuset_cpus.unknown_why.find("cpuset.cpus"), std::string::npos);
  }
  // healthy keeps the session's real, idle pressure files; baremetal's copy has none (the host's
  // /proc/pressure speaks for it).
  CgroupFacts healthy = collect_root(test::data_path("roots/healthy"));
  EXPECT_DOUBLE_EQ(healthy.psi.cpu_some_avg60.value_or(-1), 0.0);
  EXPECT_DOUBLE_EQ(healthy.psi.io_full_avg60.value_or(-1), 0.0);
  CgroupFacts bare = collect_root(test::data_path("roots/baremetal"));
  ASSERT_FALSE(bare.psi.cpu_some_avg60);
  EXPECT_NE(bare.psi.cpu_some_avg60.unknown_why.find("session-520.scope/cpu.pressure"), std::string::npos);
}

TEST(CgroupCollect, DockerV1FallsBackToTheMountPoint) {
  // mountinfo roots name container 3fc95..., /proc/self/cgroup names b29faf...: not under the mount's root,
  // so the mount point itself is read.
  CgroupFacts cg = collect_root(test::data_path("cgroup/roots/docker-v1"));
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
  EXPECT_EQ(cg.version.value_or(""), "hybrid");
  EXPECT_EQ(cg.path.value_or(""), "/docker/b29faf21b7eff959f64b4192c34d5d67a707fe8561e9eaa608cb27693fba4242");
  EXPECT_DOUBLE_EQ(cg.cpu_limit_cores.value_or(0), -1.0);
  EXPECT_EQ(cg.cpu_limit_cores.source, "/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
  EXPECT_EQ(cg.cpu_nr_periods.value_or(0), 769021);
  EXPECT_EQ(cg.cpu_nr_throttled.value_or(0), 1046);
  EXPECT_DOUBLE_EQ(cg.cpu_throttled_s.value_or(0), 352.597023453);
  EXPECT_EQ(cg.cpuset_cpus.value_or(""), "0-3");
  EXPECT_EQ(cg.memory_limit_bytes.value_or(0), -1);  // 9223372036854771712
  EXPECT_EQ(cg.memory_usage_bytes.value_or(0), 295997440);
  EXPECT_EQ(cg.memory_inactive_file_bytes.value_or(0), 40108032);
  EXPECT_EQ(cg.memory_swap_limit_bytes.value_or(0), -1);
  EXPECT_EQ(cg.memory_oom_events.value_or(-1), 0);
  // This kernel's memory.oom_control has no oom_kill line.
  ASSERT_FALSE(cg.memory_oom_kills);
  EXPECT_NE(cg.memory_oom_kills.unknown_why.find("oom_kill"), std::string::npos);
  // Hybrid: the unified hierarchy is mounted but the copy has no pressure files.
  EXPECT_FALSE(cg.psi.cpu_some_avg60);
}

TEST(CgroupCollect, HybridHostWithMissingControllers) {
  CgroupFacts cg = collect_root(test::data_path("cgroup/roots/ubuntu1804-hybrid"));
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
  EXPECT_EQ(cg.version.value_or(""), "hybrid");
  EXPECT_EQ(cg.path.value_or(""), "/system.slice/networkd-dispatcher.service");
  // The copy has no cpu,cpuacct or cpuset files: the cgroup directory is missing, so the mount point is read,
  // and the reason names the file that could not be read.
  ASSERT_FALSE(cg.cpu_limit_cores);
  EXPECT_NE(cg.cpu_limit_cores.unknown_why.find("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us"), std::string::npos)
      << cg.cpu_limit_cores.unknown_why;
  EXPECT_FALSE(cg.cpu_nr_periods);
  EXPECT_FALSE(cg.cpuset_cpus);
  EXPECT_EQ(cg.memory_limit_bytes.value_or(0), -1);
  EXPECT_EQ(cg.memory_usage_bytes.value_or(0), 9039872);
  EXPECT_EQ(cg.memory_oom_kills.value_or(-1), 0);
  EXPECT_FALSE(cg.memory_swap_limit_bytes);  // no memsw file: swap accounting off
  ASSERT_FALSE(cg.psi.cpu_some_avg60);
  EXPECT_NE(cg.psi.cpu_some_avg60.unknown_why.find("/sys/fs/cgroup/unified/system.slice/"), std::string::npos)
      << cg.psi.cpu_some_avg60.unknown_why;
}

TEST(CgroupCollect, TightestLimitOverAncestors) {
  TempRoot t;
  ASSERT_FALSE(t.path().empty());
  t.write("proc/self/cgroup", "0::/kubepods.slice/pod.slice/ctr.scope\n");
  t.write("proc/self/mountinfo", "30 24 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
  t.write("sys/fs/cgroup/kubepods.slice/cpu.max", "max 100000\n");
  t.write("sys/fs/cgroup/kubepods.slice/memory.max", "8589934592\n");
  t.write("sys/fs/cgroup/kubepods.slice/cpuset.cpus.effective", "0-15\n");
  t.write("sys/fs/cgroup/kubepods.slice/pod.slice/cpu.max", "150000 100000\n");
  t.write("sys/fs/cgroup/kubepods.slice/pod.slice/memory.max", "max\n");
  t.write("sys/fs/cgroup/kubepods.slice/pod.slice/ctr.scope/cpu.max", "400000 100000\n");
  t.write("sys/fs/cgroup/kubepods.slice/pod.slice/ctr.scope/memory.max", "17179869184\n");
  t.write("sys/fs/cgroup/kubepods.slice/pod.slice/ctr.scope/cpu.stat", "nr_peri");  // truncated
  CgroupFacts cg = collect_root(t.path());
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
  EXPECT_DOUBLE_EQ(cg.cpu_limit_cores.value_or(0), 1.5);
  EXPECT_EQ(cg.cpu_limit_cores.source, "/sys/fs/cgroup/kubepods.slice/pod.slice/cpu.max");
  EXPECT_EQ(cg.cpu_quota_us.value_or(0), 150000);
  EXPECT_EQ(cg.memory_limit_bytes.value_or(0), 8589934592);
  EXPECT_EQ(cg.memory_limit_bytes.source, "/sys/fs/cgroup/kubepods.slice/memory.max");
  EXPECT_EQ(cg.cpuset_cpus.value_or(""), "0-15");  // inherited from the first ancestor that has it
  ASSERT_FALSE(cg.cpu_nr_periods);
  EXPECT_NE(cg.cpu_nr_periods.unknown_why.find("cpu.stat"), std::string::npos);
  EXPECT_FALSE(cg.memory_usage_bytes);
  EXPECT_NE(cg.memory_usage_bytes.unknown_why.find("memory.current"), std::string::npos);
}

TEST(CgroupCollect, GarbageFilesGiveReasons) {
  TempRoot t;
  t.write("proc/self/cgroup", "0::/\n");
  t.write("proc/self/mountinfo", "junk\n30 24 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n\x01\x02\n");
  t.write("sys/fs/cgroup/cpu.max", "asdf 100000");
  t.write("sys/fs/cgroup/memory.max", "lots\n");
  t.write("sys/fs/cgroup/memory.current", "-5\n");
  t.write("sys/fs/cgroup/cpu.pressure", "some avg10=banana\n");
  t.write("sys/fs/cgroup/cpuset.cpus.effective", "0-\n");
  CgroupFacts cg = collect_root(t.path());
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
  EXPECT_EQ(cg.version.value_or(""), "v2");
  ASSERT_FALSE(cg.cpu_limit_cores);
  EXPECT_NE(cg.cpu_limit_cores.unknown_why.find("/sys/fs/cgroup/cpu.max"), std::string::npos);
  EXPECT_NE(cg.cpu_limit_cores.unknown_why.find("asdf"), std::string::npos);
  EXPECT_FALSE(cg.memory_limit_bytes);
  EXPECT_FALSE(cg.memory_usage_bytes);
  EXPECT_FALSE(cg.psi.cpu_some_avg60);
  EXPECT_FALSE(cg.cpuset_cpus);
}

TEST(CgroupCollect, MissingOrEmptyRootExplainsEverything) {
  TempRoot t;
  CgroupFacts cg = collect_root(t.path());
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
  EXPECT_FALSE(cg.version);
  EXPECT_NE(cg.version.unknown_why.find("/proc/self/cgroup"), std::string::npos) << cg.version.unknown_why;

  t.write("proc/self/cgroup", "garbage");
  CgroupFacts g = collect_root(t.path());
  EXPECT_EQ(unexplained(g), std::vector<std::string>{});
  EXPECT_FALSE(g.cpu_limit_cores);
}

TEST(CgroupCollect, AssumesUsualMountsWithoutMountinfo) {
  TempRoot t;
  t.write("proc/self/cgroup", "0::/\n");
  t.write("sys/fs/cgroup/cpu.max", "50000 100000\n");
  CgroupFacts cg = collect_root(t.path());
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
  EXPECT_EQ(cg.version.value_or(""), "v2");
  EXPECT_NE(cg.version.source.find("assumed"), std::string::npos) << cg.version.source;
  EXPECT_DOUBLE_EQ(cg.cpu_limit_cores.value_or(0), 0.5);
}

TEST(CgroupCollect, LiveSystemDoesNotCrash) {
  CgroupFacts cg;
  collect_cgroup(FsRoot("/"), cg);
  EXPECT_EQ(unexplained(cg), std::vector<std::string>{});
}

}  // namespace
}  // namespace infertune
