#include "collect/process.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "test_support.h"

namespace infertune {
namespace {

std::string host(const std::string& rel) { return test::data_path("host/" + rel); }
std::string root(const std::string& name) { return test::data_path("roots/" + name); }
using Env = std::map<std::string, std::string>;
using namespace std::string_literals;

TEST(ProcStatus, ParsesProcfsSamples) {
  auto a = parse_proc_status(test::read_text(host("procfs/proc/26231/status")));
  EXPECT_EQ(a.pid, 26231);
  EXPECT_EQ(a.cpus_allowed_list, "0-7");
  // 26235 uses spaces instead of tabs after some keys.
  auto b = parse_proc_status(test::read_text(host("procfs/proc/26235/status")));
  EXPECT_EQ(b.pid, 26235);
  EXPECT_EQ(b.cpus_allowed_list, "0-7");
}

TEST(ProcStatus, TruncatedAndGarbage) {
  std::string text = test::read_text(host("procfs/proc/26231/status"));
  auto cut = parse_proc_status(text.substr(0, text.find("Cpus_allowed:")));
  EXPECT_EQ(cut.pid, 26231);
  EXPECT_FALSE(cut.cpus_allowed_list);
  auto bad = parse_proc_status("Pid:\tabc\nCpus_allowed_list:\t3-1\n\xff\x01:\n");
  EXPECT_FALSE(bad.pid);
  EXPECT_FALSE(bad.cpus_allowed_list);
  EXPECT_FALSE(parse_proc_status("").pid);
  EXPECT_FALSE(parse_proc_status("Pid:\t0\n").pid);
}

TEST(Limits, ParsesProcfsSamples) {
  auto a = parse_limits(test::read_text(host("procfs/proc/26231/limits")));
  EXPECT_EQ(a["Max open files"].soft, 2048);
  EXPECT_EQ(a["Max open files"].hard, 4096);
  // 18446744073708503040 does not fit int64: no practical limit.
  EXPECT_EQ(a["Max locked memory"].soft, kUnlimited);
  EXPECT_EQ(a["Max cpu time"].soft, kUnlimited);
  EXPECT_EQ(a["Max stack size"].soft, 8388608);
  EXPECT_EQ(a["Max stack size"].hard, kUnlimited);
  EXPECT_EQ(a["Max nice priority"].soft, 0);  // a row without a unit column
  EXPECT_EQ(a.count("Limit"), 0u);            // the header row
  EXPECT_EQ(a.size(), 16u);

  auto b = parse_limits(test::read_text(host("procfs/proc/26232/limits")));
  EXPECT_EQ(b["Max locked memory"].soft, 65536);
  EXPECT_EQ(b["Max locked memory"].hard, 65536);
  EXPECT_EQ(b["Max open files"].soft, 1024);
}

TEST(Limits, TruncatedAndGarbage) {
  std::string text = test::read_text(host("procfs/proc/26231/limits"));
  auto cut = parse_limits(text.substr(0, text.find("Max locked memory") + 30));
  EXPECT_EQ(cut.count("Max open files"), 1u);
  EXPECT_EQ(cut.count("Max locked memory"), 0u);  // soft value cut off, no hard value
  EXPECT_TRUE(parse_limits("").empty());
  EXPECT_TRUE(parse_limits("\x01\xff\nMax open files  lots  more  files\n1024 2048\n").empty());
  EXPECT_TRUE(parse_limits("Max open files -1 -1 files\n").empty());
}

TEST(Environ, KeepsOnlyRelevantVariables) {
  // procfs's sample: a Go container's environment, none of it GPU-related.
  EXPECT_TRUE(parse_environ(test::read_text(host("procfs/proc/26231/environ"))).empty());
  auto env = parse_environ(
      "PATH=/usr/bin\0CUDA_VISIBLE_DEVICES=0,1\0AWS_SECRET_ACCESS_KEY=x\0"
      "OMP_NUM_THREADS=4\0LD_PRELOAD=\0"s);
  EXPECT_EQ(env, (Env{{"CUDA_VISIBLE_DEVICES", "0,1"}, {"LD_PRELOAD", ""}, {"OMP_NUM_THREADS", "4"}}));
}

TEST(Environ, SkipsMalformedEntries) {
  std::string text =
      "CUDA_LAUNCH_BLOCKING\0=1\0OMP_NUM_THREADS=\xff\xfe\0NCCL_DEBUG=INFO\0"
      "MKL_NUM_THREADS=\xe2\x82\0CUDA_HOME=/usr/local/cuda-\xc3\xa9\0NCCL_DEBUG=WARN\0"
      "CUDA_VISIBLE_DEVICES=0"s;
  auto env = parse_environ(text);
  // Missing '=' / empty name / invalid or truncated UTF-8: skipped; duplicate: first wins; no final NUL: kept.
  EXPECT_EQ(env,
            (Env{{"CUDA_HOME", "/usr/local/cuda-\xc3\xa9"}, {"CUDA_VISIBLE_DEVICES", "0"}, {"NCCL_DEBUG", "INFO"}}));
  EXPECT_TRUE(parse_environ("").empty());
  EXPECT_TRUE(parse_environ(std::string(5000, '\0')).empty());
}

TEST(Environ, ListIsConsistent) {
  const auto& names = relevant_env_names();
  EXPECT_GE(names.size(), 30u);
  for (auto n : names) {
    EXPECT_TRUE(is_relevant_env(n));
    for (char c : n) EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') << n;
  }
  EXPECT_FALSE(is_relevant_env("PATH"));
  EXPECT_FALSE(is_relevant_env("cuda_visible_devices"));
}

TEST(ProcessCollect, BaremetalRoot) {
  ProcessFacts p;
  collect_process(FsRoot(root("baremetal")), p);
  EXPECT_EQ(*p.pid, 26231);
  EXPECT_EQ(p.pid.source, "/proc/self/status");
  EXPECT_EQ(*p.cpus_allowed_list, "0-7");
  EXPECT_EQ(*p.cpus_allowed, 8);
  EXPECT_EQ(*p.nofile_soft, 1024);
  EXPECT_EQ(*p.nofile_hard, 4096);
  EXPECT_EQ(*p.memlock_soft_bytes, 65536);
  EXPECT_EQ(*p.memlock_hard_bytes, 65536);
  EXPECT_EQ(p.memlock_soft_bytes.source, "/proc/self/limits");
  EXPECT_EQ(*p.env, (Env{{"CUDA_LAUNCH_BLOCKING", "1"}}));
  EXPECT_EQ(p.env.source, "/proc/self/environ");
}

TEST(ProcessCollect, DockerK8sHealthyRoots) {
  ProcessFacts d;
  collect_process(FsRoot(root("docker-v2")), d);
  EXPECT_EQ(*d.cpus_allowed_list, "0-63");
  EXPECT_EQ(*d.cpus_allowed, 64);
  EXPECT_EQ(*d.memlock_soft_bytes, 8 * 1024 * 1024);
  EXPECT_TRUE(d.env->empty());  // OMP_NUM_THREADS not set

  ProcessFacts k;
  collect_process(FsRoot(root("k8s-v1")), k);
  EXPECT_EQ(*k.pid, 26235);
  EXPECT_EQ(*k.cpus_allowed, 8);
  EXPECT_EQ(*k.env, (Env{{"KUBERNETES_SERVICE_HOST", "10.100.0.1"}, {"OMP_NUM_THREADS", "2"}}));

  ProcessFacts h;
  collect_process(FsRoot(root("healthy")), h);
  EXPECT_EQ(*h.cpus_allowed, 24);
  EXPECT_EQ(*h.memlock_soft_bytes, kUnlimited);
  EXPECT_EQ(*h.memlock_hard_bytes, kUnlimited);
  EXPECT_TRUE(h.env->empty());
}

TEST(ProcessCollect, OtherPidAndMissingFiles) {
  FsRoot fs(host("procfs"));
  fs.set_process("26232");  // only a limits file in the sample
  ProcessFacts p;
  collect_process(fs, p);
  EXPECT_EQ(*p.pid, 26232);
  EXPECT_EQ(p.pid.source, "--pid");
  EXPECT_FALSE(p.cpus_allowed_list);
  EXPECT_NE(p.cpus_allowed_list.unknown_why.find("/proc/26232/status"), std::string::npos);
  EXPECT_EQ(*p.memlock_soft_bytes, 65536);
  EXPECT_EQ(p.memlock_soft_bytes.source, "/proc/26232/limits");
  EXPECT_FALSE(p.env);
  EXPECT_NE(p.env.unknown_why.find("/proc/26232/environ"), std::string::npos);
}

TEST(ProcessCollect, LiveSelf) {
  ProcessFacts p;
  collect_process(FsRoot("/"), p);
  ASSERT_TRUE(p.pid);
  EXPECT_EQ(*p.pid, static_cast<int64_t>(::getpid()));
  EXPECT_TRUE(p.cpus_allowed);
  EXPECT_TRUE(p.nofile_soft);
  EXPECT_TRUE(p.env);
}

}  // namespace
}  // namespace infertune
