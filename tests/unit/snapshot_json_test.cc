#include "facts/snapshot_json.h"

#include <gtest/gtest.h>

namespace infertune {
namespace {

Snapshot sample() {
  Snapshot s;
  s.tool_version = "0.1.0+test";
  s.collected_at = "2026-01-01T00:00:00Z";
  s.root = "/";
  s.host.memory.total_bytes.set(64LL << 30, "/proc/meminfo");
  s.host.memory.swap_total_bytes.unknown("cannot read /proc/meminfo: Permission denied");
  s.host.cpu.governors.set({"performance"}, "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor");
  s.cgroup.cpu_limit_cores.set(2.0, "/sys/fs/cgroup/cpu.max");
  s.process.env.set({{"OMP_NUM_THREADS", "4"}}, "/proc/self/environ");
  PciDeviceFacts gpu;
  gpu.address = "0000:3b:00.0";
  gpu.vendor_id = "0x10de";
  gpu.device_id = "0x2330";
  gpu.class_code = "0x030200";
  gpu.driver = "nvidia";
  gpu.name.set("GH100 [H100 SXM5 80GB]", "/usr/share/misc/pci.ids");
  gpu.current_link_width.unknown("cannot read link width");
  s.gpu.nvidia_pci_devices.set({gpu}, "/sys/bus/pci/devices");
  GpuDeviceFacts dev;
  dev.name.set("NVIDIA H100 80GB HBM3", "nvidia-smi -q -x smi.xml");
  dev.processes.set({GpuProcessFacts{42, "python3", "compute", {}, {}, {}}}, "nvidia-smi -q -x smi.xml");
  s.gpu.devices.set({dev}, "nvidia-smi -q -x smi.xml");
  s.container.in_container.set(true, "/.dockerenv");
  s.notes.push_back("a note");
  return s;
}

TEST(SnapshotJson, RoundTripKeepsValuesSourcesAndReasons) {
  Snapshot s = sample();
  std::string text = json_text(snapshot_to_json(s));
  auto back = snapshot_from_text(text, "t.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back->host.memory.total_bytes, 64LL << 30);
  EXPECT_EQ(back->host.memory.total_bytes.source, "/proc/meminfo");
  EXPECT_FALSE(back->host.memory.swap_total_bytes.known());
  EXPECT_EQ(back->host.memory.swap_total_bytes.unknown_why, "cannot read /proc/meminfo: Permission denied");
  EXPECT_DOUBLE_EQ(*back->cgroup.cpu_limit_cores, 2.0);
  EXPECT_EQ(back->process.env->at("OMP_NUM_THREADS"), "4");
  ASSERT_EQ(back->gpu.nvidia_pci_devices->size(), 1u);
  EXPECT_EQ(back->gpu.nvidia_pci_devices->at(0).driver, "nvidia");
  // Facts inside array elements keep their source and reason.
  EXPECT_EQ(back->gpu.nvidia_pci_devices->at(0).name.source, "/usr/share/misc/pci.ids");
  EXPECT_EQ(back->gpu.nvidia_pci_devices->at(0).current_link_width.unknown_why, "cannot read link width");
  ASSERT_TRUE(back->gpu.devices);
  EXPECT_EQ(back->gpu.devices->at(0).name.source, "nvidia-smi -q -x smi.xml");
  ASSERT_TRUE(back->gpu.devices->at(0).processes);
  EXPECT_EQ(back->gpu.devices->at(0).processes->at(0).pid, 42);
  EXPECT_TRUE(*back->container.in_container);
  EXPECT_EQ(back->notes, std::vector<std::string>{"a note"});
  EXPECT_EQ(json_text(snapshot_to_json(*back)), text);
}

TEST(SnapshotJson, MissingFieldsAreUnknownAndUnknownKeysIgnored) {
  auto s = snapshot_from_text(R"({"schema":"infertune.snapshot","schema_version":"1.7","future":{"x":1},
                                 "host":{"memory":{"total_bytes":1024,"new_field":3}}})",
                              "t.json");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s->host.memory.total_bytes, 1024);
  EXPECT_FALSE(s->host.cpu.model.known());
  EXPECT_FALSE(s->cgroup.cpu_limit_cores.known());
}

TEST(SnapshotJson, BadInputIsOneClearError) {
  struct Case {
    std::string text, expect;
  } cases[] = {
      {"", "file is empty"},
      {"   \n", "file is empty"},
      {R"({"schema":"infertune.snapshot","schema_ver)", "not valid JSON"},
      {"\x7f\x45\x4c\x46\x02\x01", "not valid JSON"},
      {"1E5454", "not valid JSON"},  // found by fuzz_snapshot: number overflow is not a parse_error
      {R"({"schema":"infertune.snapshot","schema_version":"1.0","host":{"os":{"uptime_s":1e999}}})", "not valid JSON"},
      {"[1,2]", "not an infertune snapshot"},
      {R"({"a":1})", "not an infertune snapshot"},
      {R"({"schema":"infertune.snapshot"})", "schema_version"},
      {R"({"schema":"infertune.snapshot","schema_version":"2.0"})", "newer than this infertune reads"},
      {R"({"schema":"infertune.snapshot","schema_version":"x"})", "is not a version"},
      {R"({"schema":"infertune.snapshot","schema_version":"1.0","host":{"memory":{"total_bytes":"big"}}})",
       "host.memory.total_bytes: expected an integer, found string"},
      {R"({"schema":"infertune.snapshot","schema_version":"1.0","host":{"memory":{"total_bytes":1.5}}})",
       "host.memory.total_bytes: expected an integer, found number"},
      {R"({"schema":"infertune.snapshot","schema_version":"1.0","container":{"in_container":1}})",
       "container.in_container: expected true or false"},
      {R"({"schema":"infertune.snapshot","schema_version":"1.0","host":[]})", "host: expected an object"},
      {R"({"schema":"infertune.snapshot","schema_version":"1.0","process":{"env":{"A":1}}})",
       "process.env.A: expected a string"},
      {R"({"schema":"infertune.snapshot","schema_version":"1.0","gpu":{"nvidia_pci_devices":[{"address":5}]}})",
       "gpu.nvidia_pci_devices[0].address: expected a string"},
      {R"({"schema":"infertune.snapshot","schema_version":"1.0","host":{"memory":{"total_bytes":18446744073709551615}}})",
       "out of range"},
  };
  for (const auto& c : cases) {
    auto r = snapshot_from_text(c.text, "bad.json");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message.find("snapshot bad.json: "), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << "one line: " << r.error().message;
  }
}

TEST(SnapshotJson, HugeInputRefusedBeforeParsing) {
  std::string huge(kMaxSnapshotBytes + 1, ' ');
  huge[0] = '{';
  auto r = snapshot_from_text(huge, "huge.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("too large"), std::string::npos) << r.error().message;
}

TEST(SnapshotJson, FieldPathsListEveryLeaf) {
  auto paths = snapshot_field_paths();
  auto has = [&](const std::string& p) { return std::find(paths.begin(), paths.end(), p) != paths.end(); };
  EXPECT_TRUE(has("host.memory.total_bytes"));
  EXPECT_TRUE(has("cgroup.psi.cpu_some_avg60"));
  EXPECT_TRUE(has("gpu.nvidia_pci_devices[].driver"));
  EXPECT_TRUE(has("process.env"));
}

}  // namespace
}  // namespace infertune
