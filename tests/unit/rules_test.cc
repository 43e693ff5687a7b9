// Each rule: a snapshot where it fires and one where it must stay silent.

#include <gtest/gtest.h>

#include <algorithm>

#include "rules/rule.h"

namespace infertune {
namespace {

PciDeviceFacts pci_gpu(const std::string& address, const std::string& driver) {
  PciDeviceFacts d;
  d.address = address;
  d.vendor_id = "0x10de";
  d.device_id = "0x2330";
  d.class_code = "0x030200";
  d.driver = driver;
  return d;
}

// A healthy bare-metal host: no rule may fire.
Snapshot healthy() {
  Snapshot s;
  s.host.cpu.cores.set(32, "/proc/cpuinfo");
  s.host.cpu.logical_cpus.set(64, "/sys/devices/system/cpu/online");
  s.host.cpu.governors.set({"performance"}, "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor");
  s.host.memory.total_bytes.set(int64_t{256} << 30, "/proc/meminfo");
  s.host.memory.available_bytes.set(int64_t{200} << 30, "/proc/meminfo");
  s.host.memory.swap_total_bytes.set(0, "/proc/meminfo");
  s.host.memory.swap_free_bytes.set(0, "/proc/meminfo");
  s.host.psi.cpu_some_avg60.set(0.5, "/proc/pressure/cpu");
  s.host.psi.memory_some_avg60.set(0.0, "/proc/pressure/memory");
  s.host.psi.memory_full_avg60.set(0.0, "/proc/pressure/memory");
  s.host.psi.io_some_avg60.set(1.0, "/proc/pressure/io");
  s.host.psi.io_full_avg60.set(0.5, "/proc/pressure/io");
  s.container.in_container.set(false, "no container signs");
  s.cgroup.cpu_limit_cores.set(-1, "/sys/fs/cgroup/cpu.max");
  s.cgroup.memory_limit_bytes.set(-1, "/sys/fs/cgroup/memory.max");
  s.cgroup.memory_usage_bytes.set(int64_t{4} << 30, "/sys/fs/cgroup/memory.current");
  s.cgroup.cpu_nr_periods.set(0, "/sys/fs/cgroup/cpu.stat");
  s.cgroup.cpu_nr_throttled.set(0, "/sys/fs/cgroup/cpu.stat");
  s.cgroup.memory_oom_kills.set(0, "/sys/fs/cgroup/memory.events");
  s.process.memlock_soft_bytes.set(-1, "/proc/self/limits");
  s.process.cpus_allowed.set(64, "/proc/self/status");
  s.process.env.set({}, "/proc/self/environ");
  s.gpu.nvidia_pci_devices.set({pci_gpu("0000:3b:00.0", "nvidia")}, "/sys/bus/pci/devices");
  return s;
}

std::vector<std::string> ids(const Snapshot& s) {
  std::vector<std::string> out;
  for (const auto& f : run_rules(s)) out.push_back(f.id);
  return out;
}

bool fires(const Snapshot& s, const std::string& id) {
  auto v = ids(s);
  return std::find(v.begin(), v.end(), id) != v.end();
}

const Finding* find(const std::vector<Finding>& fs, const std::string& id) {
  for (const auto& f : fs) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

TEST(Rules, HealthyHostHasNoFindings) { EXPECT_TRUE(ids(healthy()).empty()); }

TEST(Rules, EmptySnapshotHasNoFindings) {
  // Unknown facts never produce a finding.
  EXPECT_TRUE(ids(Snapshot{}).empty());
}

TEST(Rules, QuotaBelowThreadsFiresWhenOmpUnsetInSmallContainer) {
  Snapshot s = healthy();
  s.container.in_container.set(true, "/.dockerenv");
  s.cgroup.cpu_limit_cores.set(2.0, "/sys/fs/cgroup/cpu.max");
  auto fs = run_rules(s);
  const Finding* f = find(fs, "CPU-QUOTA-BELOW-THREADS");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->title.find("32 threads"), std::string::npos) << f->title;
  EXPECT_NE(f->fix.find("OMP_NUM_THREADS=2"), std::string::npos) << f->fix;
  bool has_source = std::any_of(f->evidence.begin(), f->evidence.end(),
                                [](const Evidence& e) { return e.source == "/sys/fs/cgroup/cpu.max"; });
  EXPECT_TRUE(has_source);
}

TEST(Rules, QuotaBelowThreadsSilentWhenThreadsCapped) {
  Snapshot s = healthy();
  s.cgroup.cpu_limit_cores.set(2.0, "/sys/fs/cgroup/cpu.max");
  s.process.env.set({{"OMP_NUM_THREADS", "2"}}, "/proc/self/environ");
  EXPECT_FALSE(fires(s, "CPU-QUOTA-BELOW-THREADS"));
  s = healthy();  // no limit at all
  EXPECT_FALSE(fires(s, "CPU-QUOTA-BELOW-THREADS"));
  s.cgroup.cpu_limit_cores.set(24.0, "/sys/fs/cgroup/cpu.max");  // 32 threads on 24 CPUs: tolerable
  EXPECT_FALSE(fires(s, "CPU-QUOTA-BELOW-THREADS"));
}

TEST(Rules, QuotaBelowThreadsFiresWhenOmpSetTooHigh) {
  Snapshot s = healthy();
  s.cgroup.cpu_limit_cores.set(4.0, "/sys/fs/cgroup/cpu.max");
  s.process.env.set({{"OMP_NUM_THREADS", "16"}}, "/proc/self/environ");
  EXPECT_TRUE(fires(s, "CPU-QUOTA-BELOW-THREADS"));
}

TEST(Rules, ThrottledFiresAboveFivePercentAndEscalates) {
  Snapshot s = healthy();
  s.cgroup.cpu_nr_periods.set(10000, "/sys/fs/cgroup/cpu.stat");
  s.cgroup.cpu_nr_throttled.set(600, "/sys/fs/cgroup/cpu.stat");
  auto fs = run_rules(s);
  ASSERT_NE(find(fs, "CPU-THROTTLED"), nullptr);
  EXPECT_EQ(find(fs, "CPU-THROTTLED")->severity, Severity::kWarning);
  s.cgroup.cpu_nr_throttled.set(3000, "/sys/fs/cgroup/cpu.stat");
  fs = run_rules(s);
  EXPECT_EQ(find(fs, "CPU-THROTTLED")->severity, Severity::kError);
}

TEST(Rules, ThrottledSilentBelowThresholdOrTooFewPeriods) {
  Snapshot s = healthy();
  s.cgroup.cpu_nr_periods.set(10000, "/sys/fs/cgroup/cpu.stat");
  s.cgroup.cpu_nr_throttled.set(100, "/sys/fs/cgroup/cpu.stat");
  EXPECT_FALSE(fires(s, "CPU-THROTTLED"));
  s.cgroup.cpu_nr_periods.set(50, "/sys/fs/cgroup/cpu.stat");
  s.cgroup.cpu_nr_throttled.set(50, "/sys/fs/cgroup/cpu.stat");
  EXPECT_FALSE(fires(s, "CPU-THROTTLED"));
}

TEST(Rules, GovernorPowersave) {
  Snapshot s = healthy();
  s.host.cpu.governors.set({"powersave"}, "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor");
  EXPECT_TRUE(fires(s, "CPU-GOVERNOR-POWERSAVE"));
  s.host.cpu.governors.set({"performance", "schedutil"}, "x");
  EXPECT_FALSE(fires(s, "CPU-GOVERNOR-POWERSAVE"));
}

TEST(Rules, MemoryLimitNearCountsOnlyNonReclaimableUse) {
  Snapshot s = healthy();
  s.cgroup.memory_limit_bytes.set(int64_t{8} << 30, "/sys/fs/cgroup/memory.max");
  s.cgroup.memory_usage_bytes.set((int64_t{8} << 30) - (int64_t{100} << 20), "/sys/fs/cgroup/memory.current");
  EXPECT_TRUE(fires(s, "MEMORY-LIMIT-NEAR"));
  s.cgroup.memory_inactive_file_bytes.set(int64_t{3} << 30, "/sys/fs/cgroup/memory.stat");
  EXPECT_FALSE(fires(s, "MEMORY-LIMIT-NEAR"));  // 3 GiB of it is page cache
  s = healthy();
  s.cgroup.memory_limit_bytes.set(int64_t{8} << 30, "/sys/fs/cgroup/memory.max");
  s.cgroup.memory_usage_bytes.set(int64_t{4} << 30, "/sys/fs/cgroup/memory.current");
  EXPECT_FALSE(fires(s, "MEMORY-LIMIT-NEAR"));
}

TEST(Rules, OomKills) {
  Snapshot s = healthy();
  s.cgroup.memory_oom_kills.set(3, "/sys/fs/cgroup/memory.events");
  auto fs = run_rules(s);
  ASSERT_NE(find(fs, "OOM-KILLS-SEEN"), nullptr);
  EXPECT_EQ(find(fs, "OOM-KILLS-SEEN")->severity, Severity::kError);
  EXPECT_EQ(fs.front().id, "OOM-KILLS-SEEN");  // the only error ranks first
  s.cgroup.memory_oom_kills.set(0, "/sys/fs/cgroup/memory.events");
  EXPECT_FALSE(fires(s, "OOM-KILLS-SEEN"));
}

TEST(Rules, SmallShmOnlyInContainers) {
  Snapshot s = healthy();
  s.container.shm_size_bytes.set(int64_t{64} << 20, "/proc/self/mountinfo");
  EXPECT_FALSE(fires(s, "DEV-SHM-SMALL"));  // host: /dev/shm is sized by the admin
  s.container.in_container.set(true, "/.dockerenv");
  EXPECT_TRUE(fires(s, "DEV-SHM-SMALL"));
  s.container.shm_size_bytes.set(int64_t{8} << 30, "/proc/self/mountinfo");
  EXPECT_FALSE(fires(s, "DEV-SHM-SMALL"));
}

TEST(Rules, LaunchBlocking) {
  Snapshot s = healthy();
  s.process.env.set({{"CUDA_LAUNCH_BLOCKING", "1"}}, "/proc/self/environ");
  EXPECT_TRUE(fires(s, "CUDA-LAUNCH-BLOCKING-ON"));
  s.process.env.set({{"CUDA_LAUNCH_BLOCKING", "0"}}, "/proc/self/environ");
  EXPECT_FALSE(fires(s, "CUDA-LAUNCH-BLOCKING-ON"));
  s.process.env.set({{"CUDA_LAUNCH_BLOCKING", ""}}, "/proc/self/environ");
  EXPECT_FALSE(fires(s, "CUDA-LAUNCH-BLOCKING-ON"));
}

TEST(Rules, SwapInUse) {
  Snapshot s = healthy();
  s.host.memory.swap_total_bytes.set(int64_t{8} << 30, "/proc/meminfo");
  s.host.memory.swap_free_bytes.set(int64_t{5} << 30, "/proc/meminfo");
  EXPECT_TRUE(fires(s, "SWAP-IN-USE"));
  s.host.memory.swap_free_bytes.set((int64_t{8} << 30) - (int64_t{1} << 20), "/proc/meminfo");
  EXPECT_FALSE(fires(s, "SWAP-IN-USE"));  // 1 MiB is noise
}

TEST(Rules, MemlockLow) {
  Snapshot s = healthy();
  s.process.memlock_soft_bytes.set(65536, "/proc/self/limits");
  EXPECT_TRUE(fires(s, "MEMLOCK-LIMIT-LOW"));
  s.process.memlock_soft_bytes.set(int64_t{1} << 30, "/proc/self/limits");
  EXPECT_FALSE(fires(s, "MEMLOCK-LIMIT-LOW"));
}

TEST(Rules, PressurePrefersContainerAndEscalatesOnFull) {
  Snapshot s = healthy();
  s.host.psi.cpu_some_avg60.set(35.0, "/proc/pressure/cpu");
  EXPECT_TRUE(fires(s, "PSI-CPU-HIGH"));
  s.cgroup.psi.cpu_some_avg60.set(2.0, "/sys/fs/cgroup/cpu.pressure");
  EXPECT_TRUE(fires(s, "PSI-CPU-HIGH"));  // not in a container: the host's pressure is what counts
  s.container.in_container.set(true, "/.dockerenv");
  EXPECT_FALSE(fires(s, "PSI-CPU-HIGH"));  // in a container that itself is not starved
  s.cgroup.psi.cpu_some_avg60.set(40.0, "/sys/fs/cgroup/cpu.pressure");
  s.host.psi.cpu_some_avg60.set(1.0, "/proc/pressure/cpu");
  EXPECT_TRUE(fires(s, "PSI-CPU-HIGH"));  // the container starves on a calm host: its own quota

  s = healthy();
  s.host.psi.memory_some_avg60.set(12.0, "/proc/pressure/memory");
  auto fs = run_rules(s);
  ASSERT_NE(find(fs, "PSI-MEMORY-HIGH"), nullptr);
  EXPECT_EQ(find(fs, "PSI-MEMORY-HIGH")->severity, Severity::kWarning);
  s.host.psi.memory_full_avg60.set(6.0, "/proc/pressure/memory");
  fs = run_rules(s);
  EXPECT_EQ(find(fs, "PSI-MEMORY-HIGH")->severity, Severity::kError);

  s = healthy();
  s.host.psi.io_some_avg60.set(25.0, "/proc/pressure/io");
  EXPECT_TRUE(fires(s, "PSI-IO-HIGH"));
  s.host.psi.io_some_avg60.set(5.0, "/proc/pressure/io");
  EXPECT_FALSE(fires(s, "PSI-IO-HIGH"));
}

TEST(Rules, NoGpuVisible) {
  Snapshot s = healthy();
  s.gpu.nvidia_pci_devices.set({}, "/sys/bus/pci/devices");
  auto fs = run_rules(s);
  ASSERT_NE(find(fs, "GPU-NONE-VISIBLE"), nullptr);
  EXPECT_EQ(find(fs, "GPU-NONE-VISIBLE")->severity, Severity::kError);
  s.gpu.nvidia_pci_devices.unknown("cannot list /sys/bus/pci/devices: Permission denied");
  EXPECT_FALSE(fires(s, "GPU-NONE-VISIBLE"));  // unknown is not "none"
}

TEST(Rules, RankingPutsErrorsFirstThenWeight) {
  Snapshot s = healthy();
  s.host.cpu.governors.set({"powersave"}, "x");
  s.cgroup.memory_oom_kills.set(1, "y");
  s.process.memlock_soft_bytes.set(65536, "z");
  auto fs = run_rules(s);
  ASSERT_EQ(fs.size(), 3u);
  EXPECT_EQ(fs[0].id, "OOM-KILLS-SEEN");
  EXPECT_EQ(fs[1].id, "CPU-GOVERNOR-POWERSAVE");  // weight 0.3 > 0.2
  EXPECT_EQ(fs[2].id, "MEMLOCK-LIMIT-LOW");
}

TEST(Rules, EveryFindingHasEvidenceFixAndDocs) {
  Snapshot s = healthy();
  s.container.in_container.set(true, "/.dockerenv");
  s.container.shm_size_bytes.set(int64_t{64} << 20, "m");
  s.cgroup.cpu_limit_cores.set(2.0, "c");
  s.cgroup.cpu_nr_periods.set(1000, "c");
  s.cgroup.cpu_nr_throttled.set(900, "c");
  s.cgroup.memory_limit_bytes.set(100, "m");
  s.cgroup.memory_usage_bytes.set(100, "m");
  s.cgroup.memory_oom_kills.set(2, "m");
  s.host.cpu.governors.set({"powersave"}, "g");
  s.host.memory.swap_total_bytes.set(int64_t{1} << 30, "s");
  s.host.memory.swap_free_bytes.set(0, "s");
  s.process.memlock_soft_bytes.set(1024, "l");
  s.process.env.set({{"CUDA_LAUNCH_BLOCKING", "1"}}, "e");
  s.host.psi.cpu_some_avg60.set(90, "p");
  s.host.psi.memory_some_avg60.set(90, "p");
  s.host.psi.io_some_avg60.set(90, "p");
  s.gpu.nvidia_pci_devices.set({}, "pci");
  auto fs = run_rules(s);
  // The GPU rules (gpu_rules_test.cc) need GPUs on the bus, this snapshot has none: they fire there; the
  // serving-process rules need --pid (process_rules_test.cc); the NVML/CUDA probe rules fire in nvml_test.cc and
  // cuda_driver_test.cc. The compat rules need an installed stack: compat_rules_test.cc checks their findings
  // the same way.
  EXPECT_EQ(fs.size() + gpu_rules().size() + process_rules().size() + gpu_nvml_rules().size() + compat_rules().size(),
            all_rules().size())
      << "every other rule fires on this snapshot";
  for (const auto& f : fs) {
    EXPECT_FALSE(f.title.empty()) << f.id;
    EXPECT_FALSE(f.evidence.empty()) << f.id;
    EXPECT_FALSE(f.fix.empty()) << f.id;
    EXPECT_EQ(f.docs_url().rfind("docs/findings.md#", 0), 0u) << f.id;
    EXPECT_EQ(f.title.find('\n'), std::string::npos) << f.id;
  }
}

}  // namespace
}  // namespace infertune
