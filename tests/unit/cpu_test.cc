#include "collect/cpu.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.h"

namespace infertune {
namespace {

std::string host(const std::string& rel) { return test::data_path("host/" + rel); }
std::string root(const std::string& name) { return test::data_path("roots/" + name); }
using Flags = std::vector<std::string>;

TEST(CpuInfo, ParsesNodeExporterLaptop) {
  auto info = parse_cpuinfo(test::read_text(host("node_exporter/proc/cpuinfo")));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->model, "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz");
  EXPECT_EQ(info->vendor, "GenuineIntel");
  EXPECT_EQ(info->processors, 8);
  EXPECT_EQ(info->sockets, 1);
  EXPECT_EQ(info->cores, 4);
  EXPECT_EQ(cpu_flags_of_interest(info->flags), (Flags{"avx", "avx2", "fma"}));
}

TEST(CpuInfo, ParsesTwoSocketXeonWithSparseCoreIds) {
  // Westmere-EP: core ids 0,1,2,8,9,10 per socket, processor 0 on physical id 1.
  auto info = parse_cpuinfo(test::read_text(root("healthy") + "/proc/cpuinfo"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->model, "Intel(R) Xeon(R) CPU           L5640  @ 2.27GHz");
  EXPECT_EQ(info->processors, 24);
  EXPECT_EQ(info->sockets, 2);
  EXPECT_EQ(info->cores, 12);
  EXPECT_TRUE(cpu_flags_of_interest(info->flags).empty());  // pre-AVX
}

TEST(CpuInfo, ParsesVmWithEightVcpus) {
  auto info = parse_cpuinfo(test::read_text(host("ghw-accel-nvidia/proc/cpuinfo")));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->model, "Intel(R) Xeon(R) CPU E5-2695 v4 @ 2.10GHz");
  EXPECT_EQ(info->processors, 8);
  EXPECT_EQ(info->sockets, 1);
  EXPECT_EQ(info->cores, 8);
}

TEST(CpuInfo, ParsesAarch64WithoutPhysicalId) {
  auto info = parse_cpuinfo(test::read_text(host("ghw-arm64/proc/cpuinfo")));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->vendor, "ARM");
  EXPECT_EQ(info->model, "Neoverse-N1");
  EXPECT_EQ(info->processors, 1);
  EXPECT_FALSE(info->sockets);
  EXPECT_FALSE(info->cores);
  EXPECT_TRUE(cpu_flags_of_interest(info->flags).empty());
  EXPECT_NE(std::find(info->flags.begin(), info->flags.end(), "asimd"), info->flags.end());
}

TEST(CpuInfo, UnknownArmPartIsNamedByCode) {
  auto info = parse_cpuinfo("processor\t: 0\nCPU implementer\t: 0x51\nCPU part\t: 0x801\n");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->vendor, "Qualcomm");
  EXPECT_EQ(info->model, "implementer 0x51 part 0x801");
}

TEST(CpuInfo, SapphireRapidsFlags) {
  // The flags line of a 2x56-core Sapphire Rapids host (lscpu in pytorch/pytorch#97229's collect_env).
  std::string text = test::read_text(host("collect_env-97229-flags.txt"));
  auto info = parse_cpuinfo("processor\t: 0\nflags\t\t: " + text);
  ASSERT_TRUE(info);
  EXPECT_EQ(cpu_flags_of_interest(info->flags),
            (Flags{"avx", "avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "fma"}));
}

TEST(CpuInfo, TruncatedAndGarbage) {
  std::string text = test::read_text(host("node_exporter/proc/cpuinfo"));
  // Cut in the middle of the third processor's block: two full blocks and one partial.
  size_t third = text.find("processor\t: 2");
  auto cut = parse_cpuinfo(text.substr(0, third + 40));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->processors, 3);
  EXPECT_EQ(cut->sockets, 1);
  EXPECT_EQ(cut->cores, 2);

  EXPECT_FALSE(parse_cpuinfo(""));
  EXPECT_FALSE(parse_cpuinfo("\x01\x02garbage\xff\n::::\n"));
  EXPECT_FALSE(parse_cpuinfo("processor\t: x\n"));
  auto odd = parse_cpuinfo("processor\t: 0\nphysical id\t: abc\ncore id\t: 1\n");
  ASSERT_TRUE(odd);
  EXPECT_FALSE(odd->sockets);
  EXPECT_EQ(odd->model, "");
}

TEST(CpuFreq, Parses) {
  EXPECT_DOUBLE_EQ(*parse_cpufreq_khz_as_mhz("3300000\n"), 3300.0);
  EXPECT_DOUBLE_EQ(*parse_cpufreq_khz_as_mhz("2268000"), 2268.0);
  EXPECT_FALSE(parse_cpufreq_khz_as_mhz("0"));
  EXPECT_FALSE(parse_cpufreq_khz_as_mhz("<unsupported>"));
  EXPECT_FALSE(parse_cpufreq_khz_as_mhz("-1"));
  EXPECT_FALSE(parse_cpufreq_khz_as_mhz("99999999999"));
  EXPECT_EQ(parse_governor("powersave\n"), "powersave");
  EXPECT_EQ(parse_governor("schedutil"), "schedutil");
  EXPECT_FALSE(parse_governor(""));
  EXPECT_FALSE(parse_governor("<unsupported>"));
  EXPECT_FALSE(parse_governor("two words"));
}

TEST(CpuCollect, NodeExporterSysfs) {
  // node_exporter's sys.ttar: 4 CPUs on 2 packages, 3 NUMA nodes, intel_pstate powersave, no cpuinfo_max_freq.
  CpuFacts cpu;
  collect_cpu(FsRoot(host("node_exporter")), cpu);
  EXPECT_EQ(*cpu.online_list, "0-3");
  EXPECT_EQ(*cpu.logical_cpus, 4);
  EXPECT_EQ(*cpu.numa_nodes, 3);
  EXPECT_EQ(*cpu.governors, Flags{"powersave"});
  EXPECT_EQ(cpu.governors.source, "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor");
  EXPECT_FALSE(cpu.max_mhz);
  EXPECT_EQ(*cpu.sockets, 1);  // from /proc/cpuinfo, which wins over sysfs topology
  EXPECT_EQ(cpu.sockets.source, "/proc/cpuinfo");
}

TEST(CpuCollect, ProcfsPolicySymlinkLayout) {
  // prometheus/procfs: cpu0/cpufreq -> ../cpufreq/policy0 (2.4 GHz), cpu1/cpufreq a directory (3.3 GHz).
  CpuFacts cpu;
  collect_cpu(FsRoot(host("procfs")), cpu);
  EXPECT_EQ(*cpu.governors, Flags{"powersave"});
  EXPECT_DOUBLE_EQ(*cpu.max_mhz, 3300.0);
  EXPECT_FALSE(cpu.model);  // no /proc/cpuinfo in this sample
  EXPECT_FALSE(cpu.online_list);
  EXPECT_FALSE(cpu.logical_cpus);
}

TEST(CpuCollect, Aarch64TakesSocketsFromSysfs) {
  CpuFacts cpu;
  collect_cpu(FsRoot(host("ghw-arm64")), cpu);
  EXPECT_EQ(*cpu.vendor, "ARM");
  EXPECT_EQ(*cpu.model, "Neoverse-N1");
  EXPECT_EQ(*cpu.sockets, 1);
  EXPECT_EQ(cpu.sockets.source, "/sys/devices/system/cpu/cpu*/topology/physical_package_id");
  EXPECT_EQ(*cpu.cores, 1);
  EXPECT_EQ(*cpu.logical_cpus, 1);  // no online file: counted from /proc/cpuinfo
  EXPECT_EQ(cpu.logical_cpus.source, "/proc/cpuinfo");
  EXPECT_EQ(*cpu.numa_nodes, 1);
  EXPECT_EQ(cpu.governors.unknown_why, "no cpufreq in sysfs (virtual machine or driver not loaded)");
  EXPECT_TRUE(cpu.flags_of_interest->empty());
}

TEST(CpuCollect, BaremetalRoot) {
  CpuFacts cpu;
  collect_cpu(FsRoot(root("baremetal")), cpu);
  EXPECT_EQ(*cpu.model, "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz");
  EXPECT_EQ(*cpu.logical_cpus, 8);
  EXPECT_EQ(*cpu.sockets, 1);
  EXPECT_EQ(*cpu.cores, 4);
  EXPECT_EQ(*cpu.numa_nodes, 1);
  EXPECT_EQ(*cpu.governors, Flags{"powersave"});
  EXPECT_DOUBLE_EQ(*cpu.max_mhz, 3300.0);
}

TEST(CpuCollect, DockerV2Root) {
  CpuFacts cpu;
  collect_cpu(FsRoot(root("docker-v2")), cpu);
  EXPECT_EQ(*cpu.model, "Intel(R) Xeon(R) Gold 5218R CPU @ 2.10GHz");
  EXPECT_EQ(*cpu.online_list, "0-63");
  EXPECT_EQ(*cpu.logical_cpus, 64);
  EXPECT_EQ(*cpu.sockets, 2);
  EXPECT_EQ(*cpu.cores, 32);
  EXPECT_EQ(*cpu.numa_nodes, 2);
  EXPECT_EQ(cpu.governors.unknown_why, "no cpufreq in sysfs (virtual machine or driver not loaded)");
  EXPECT_FALSE(cpu.max_mhz);
  EXPECT_EQ(*cpu.flags_of_interest, (Flags{"avx", "avx2", "avx512f", "fma"}));
}

TEST(CpuCollect, K8sAndHealthyRoots) {
  CpuFacts k8s;
  collect_cpu(FsRoot(root("k8s-v1")), k8s);
  EXPECT_EQ(*k8s.logical_cpus, 8);
  EXPECT_EQ(*k8s.sockets, 1);
  EXPECT_EQ(*k8s.numa_nodes, 1);
  EXPECT_FALSE(k8s.governors);

  CpuFacts ok;
  collect_cpu(FsRoot(root("healthy")), ok);
  EXPECT_EQ(*ok.logical_cpus, 24);
  EXPECT_EQ(*ok.sockets, 2);
  EXPECT_EQ(*ok.cores, 12);
  EXPECT_EQ(*ok.numa_nodes, 2);
  EXPECT_EQ(*ok.governors, Flags{"performance"});
  EXPECT_DOUBLE_EQ(*ok.max_mhz, 2268.0);
}

TEST(CpuCollect, MissingEverything) {
  CpuFacts cpu;
  collect_cpu(FsRoot(test::data_path("host/does-not-exist")), cpu);
  EXPECT_FALSE(cpu.model);
  EXPECT_NE(cpu.model.unknown_why.find("/proc/cpuinfo"), std::string::npos);
  EXPECT_FALSE(cpu.sockets);
  EXPECT_FALSE(cpu.logical_cpus);
  EXPECT_FALSE(cpu.numa_nodes);
  EXPECT_FALSE(cpu.governors);
  EXPECT_FALSE(cpu.flags_of_interest);
}

}  // namespace
}  // namespace infertune
