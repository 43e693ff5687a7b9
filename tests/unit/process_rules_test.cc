// PROCESS-* verdicts and GPU-SHARED-WITH-PROCESSES over hand-built snapshots: each fires in one and stays
// silent in the others; plus the collector + nvidia-smi import end to end on the fixture roots.

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "collect/collect_all.h"
#include "collect/smi_xml.h"
#include "rules/process_verdict.h"
#include "rules/rule.h"
#include "test_support.h"

namespace infertune {
namespace {

const char* kSmi = "nvidia-smi -q -x t.xml";

GpuProcessFacts gproc(int64_t pid, const std::string& name, int64_t mem_gib, std::optional<int64_t> sm) {
  GpuProcessFacts p;
  p.pid = pid;
  p.name = name;
  p.type = "compute";
  p.used_memory_bytes.set(mem_gib << 30, kSmi);
  if (sm) {
    p.sm_utilization_pct.set(*sm, "NVML");
  } else {
    p.sm_utilization_pct.unknown("nvidia-smi -q -x does not report per-process utilization");
  }
  return p;
}

// PID 1234 (host PID 91234 through NSpid) with PyTorch's CUDA stack mapped and /dev/nvidia0 open, on a GPU
// whose process list holds it with 12 GiB and SM 85%.
Snapshot on_gpu(std::optional<int64_t> sm = 85) {
  Snapshot s;
  TargetProcessFacts t;
  t.pid = 1234;
  t.selected_by = "--pid 1234";
  t.comm.set("python3", "/proc/1234/comm");
  t.ns_pids.set({91234, 1234}, "/proc/1234/status NSpid");
  t.host_pid.set(91234, "/proc/1234/status NSpid");
  t.cuda_libraries.set({{"libtorch_cuda", "/x/torch/lib/libtorch_cuda.so"},
                        {"libcudart", "/x/libcudart.so.12"},
                        {"libcuda", "/usr/lib/libcuda.so.1"}},
                       "/proc/1234/maps");
  t.gpu_device_files.set({"/dev/nvidia0", "/dev/nvidiactl"}, "/proc/1234/fd");
  s.target.set(t, "/proc/1234");
  GpuDeviceFacts d;
  d.index.set(0, kSmi);
  d.utilization_gpu_pct.set(90, kSmi);
  d.processes.set({gproc(91234, "python3", 12, sm)}, kSmi);
  s.gpu.devices.set({d}, kSmi);
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
int verdicts(const Snapshot& s) {
  int n = 0;
  for (const auto& id : ids(s)) n += id.rfind("PROCESS-", 0) == 0;
  return n;
}
GpuDeviceFacts& gpu0(Snapshot& s) { return s.gpu.devices.value->front(); }

const std::vector<std::string> kVerdictIds = {
    "PROCESS-ON-GPU-BUSY", "PROCESS-ON-GPU-STARVED",   "PROCESS-ON-GPU",           "PROCESS-NOT-ON-GPU",
    "PROCESS-NO-CUDA",     "PROCESS-GPU-UNDETERMINED", "GPU-SHARED-WITH-PROCESSES"};

TEST(ProcessRules, NoTargetNoVerdict) {
  Snapshot s = on_gpu();
  s.target = {};
  for (const auto& id : kVerdictIds) EXPECT_FALSE(fires(s, id)) << id;
  EXPECT_EQ(judge_target(s).state, TargetState::kNone);
}

TEST(ProcessRules, BusyOnGpu) {
  Snapshot s = on_gpu(85);
  EXPECT_TRUE(fires(s, "PROCESS-ON-GPU-BUSY"));
  EXPECT_EQ(verdicts(s), 1);
  EXPECT_FALSE(fires(s, "GPU-SHARED-WITH-PROCESSES"));
  auto v = judge_target(s);
  EXPECT_EQ(v.line, "on GPU and busy: GPU 0, 12.0 GiB, SM 85% over the sampling window");
  auto f = run_rules(s);
  const Finding* b = find(f, "PROCESS-ON-GPU-BUSY");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->severity, Severity::kInfo);
  bool libs = false;
  for (const auto& e : b->evidence)
    libs |= e.value == "libtorch_cuda, libcudart, libcuda" && e.source == "/proc/1234/maps";
  EXPECT_TRUE(libs);
}

TEST(ProcessRules, StarvedOnGpu) {
  Snapshot s = on_gpu(3);
  EXPECT_TRUE(fires(s, "PROCESS-ON-GPU-STARVED"));
  EXPECT_FALSE(fires(s, "PROCESS-ON-GPU-BUSY"));
  EXPECT_EQ(verdicts(s), 1);
  EXPECT_FALSE(fires(on_gpu(kStarvedSmPct), "PROCESS-ON-GPU-STARVED"));  // the threshold itself is busy
}

TEST(ProcessRules, OnGpuWithUnknownShareSaysSo) {
  Snapshot s = on_gpu(std::nullopt);
  EXPECT_TRUE(fires(s, "PROCESS-ON-GPU"));
  EXPECT_FALSE(fires(s, "PROCESS-ON-GPU-BUSY"));
  EXPECT_FALSE(fires(s, "PROCESS-ON-GPU-STARVED"));
  EXPECT_EQ(verdicts(s), 1);
  auto v = judge_target(s);
  EXPECT_NE(v.line.find("SM share is unknown"), std::string::npos) << v.line;
  EXPECT_NE(v.line.find("does not report per-process utilization"), std::string::npos) << v.line;
  EXPECT_FALSE(fires(on_gpu(85), "PROCESS-ON-GPU"));
}

TEST(ProcessRules, CudaLoadedButNoContext) {
  Snapshot s = on_gpu();
  gpu0(s).processes.value->front().pid = 5555;  // the driver lists another process only
  EXPECT_TRUE(fires(s, "PROCESS-NOT-ON-GPU"));
  EXPECT_EQ(verdicts(s), 1);
  auto f = run_rules(s);
  const Finding* n = find(f, "PROCESS-NOT-ON-GPU");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->severity, Severity::kError);
  EXPECT_EQ(f.front().id, "PROCESS-NOT-ON-GPU");  // ranked first
  bool listed = false;
  for (const auto& e : n->evidence) listed |= e.value == "GPU 0 pid 5555";
  EXPECT_TRUE(listed);
  EXPECT_FALSE(fires(on_gpu(), "PROCESS-NOT-ON-GPU"));
}

TEST(ProcessRules, NoContextFromOpenFilesWhenTheDriverListIsUnknown) {
  Snapshot s = on_gpu();
  s.gpu.devices = {};
  s.gpu.devices.unknown("NVML/CUDA probing is not part of this build yet");
  s.target.value->gpu_device_files.set({}, "/proc/1234/fd");
  EXPECT_TRUE(fires(s, "PROCESS-NOT-ON-GPU"));
  auto v = judge_target(s);
  EXPECT_NE(v.line.find("no /dev/nvidia* file is open"), std::string::npos) << v.line;
  EXPECT_NE(v.line.find("libcuda is loaded but the driver was never opened"), std::string::npos) << v.line;
}

TEST(ProcessRules, NoCudaAtAll) {
  Snapshot s = on_gpu();
  gpu0(s).processes.set({}, kSmi);
  s.target.value->cuda_libraries.set({{"libnvidia-ml", "/usr/lib/libnvidia-ml.so.1"}}, "/proc/1234/maps");
  s.target.value->gpu_device_files.set({}, "/proc/1234/fd");
  EXPECT_TRUE(fires(s, "PROCESS-NO-CUDA"));
  EXPECT_FALSE(fires(s, "PROCESS-NOT-ON-GPU"));
  EXPECT_EQ(verdicts(s), 1);
  EXPECT_FALSE(fires(on_gpu(), "PROCESS-NO-CUDA"));
}

TEST(ProcessRules, DriverListTrumpsMissingLibraries) {
  // A process the driver lists is on the GPU, whatever its maps show (a static or unusual loader).
  Snapshot s = on_gpu();
  s.target.value->cuda_libraries.set({}, "/proc/1234/maps");
  EXPECT_TRUE(fires(s, "PROCESS-ON-GPU-BUSY"));
  EXPECT_FALSE(fires(s, "PROCESS-NO-CUDA"));
}

TEST(ProcessRules, UndeterminedInsideAContainerSaysWhy) {
  Snapshot s = on_gpu();
  s.target.value->host_pid = {};
  s.target.value->host_pid.unknown("infertune runs in PID namespace pid:[4026532511], not the host's");
  EXPECT_TRUE(fires(s, "PROCESS-GPU-UNDETERMINED"));
  EXPECT_EQ(verdicts(s), 1);
  auto v = judge_target(s);
  EXPECT_NE(v.line.find("host PID of 1234 is unknown"), std::string::npos) << v.line;
  EXPECT_NE(v.line.find("pid:[4026532511]"), std::string::npos) << v.line;
  EXPECT_FALSE(fires(on_gpu(), "PROCESS-GPU-UNDETERMINED"));
}

TEST(ProcessRules, UndeterminedWhenProcessListsAreUnknown) {
  Snapshot s = on_gpu();
  gpu0(s).processes = {};
  gpu0(s).processes.unknown("NVML_ERROR_NO_PERMISSION");
  EXPECT_TRUE(fires(s, "PROCESS-GPU-UNDETERMINED"));
  EXPECT_NE(judge_target(s).line.find("NVML_ERROR_NO_PERMISSION"), std::string::npos);
}

TEST(ProcessRules, SharedGpuListsTheOthersWithTheirMemory) {
  Snapshot s = on_gpu();
  gpu0(s).processes.value->push_back(gproc(777, "trainer", 20, 60));
  gpu0(s).processes.value->push_back(gproc(778, "jupyter", 4, std::nullopt));
  GpuProcessFacts xorg = gproc(900, "Xorg", 0, std::nullopt);
  xorg.type = "graphics";
  gpu0(s).processes.value->push_back(xorg);
  auto f = run_rules(s);
  const Finding* sh = find(f, "GPU-SHARED-WITH-PROCESSES");
  ASSERT_NE(sh, nullptr);
  EXPECT_EQ(sh->title, "2 other compute processes share the GPU with PID 1234 (python3) (24.0 GiB of GPU memory)");
  ASSERT_EQ(sh->evidence.size(), 2u);
  EXPECT_EQ(sh->evidence[0].fact, "GPU 0 also runs pid 777 trainer");
  EXPECT_EQ(sh->evidence[0].value, "compute, 20.0 GiB, SM 60%");
  EXPECT_TRUE(fires(s, "PROCESS-ON-GPU-BUSY"));
  // Silent: alone on its GPU, or not on a GPU at all.
  EXPECT_FALSE(fires(on_gpu(), "GPU-SHARED-WITH-PROCESSES"));
  gpu0(s).processes.value->front().pid = 1;
  EXPECT_FALSE(fires(s, "GPU-SHARED-WITH-PROCESSES"));
}

TEST(ProcessRules, EveryFindingHasTitleEvidenceFixAndDocs) {
  Snapshot shared = on_gpu(3);
  shared.gpu.devices.value->front().processes.value->push_back(gproc(777, "trainer", 20, 60));
  Snapshot none = on_gpu();
  none.target.value->cuda_libraries.set({}, "/proc/1234/maps");
  none.gpu.devices.value->front().processes.set({}, kSmi);
  Snapshot undetermined = on_gpu();
  undetermined.target.value->host_pid.unknown("not visible");
  for (const Snapshot& s : {on_gpu(85), shared, on_gpu(std::nullopt), none, undetermined}) {
    for (const auto& f : run_rules(s)) {
      EXPECT_FALSE(f.title.empty()) << f.id;
      EXPECT_FALSE(f.evidence.empty()) << f.id;
      EXPECT_FALSE(f.fix.empty()) << f.id;
      EXPECT_EQ(f.docs_url().rfind("docs/findings.md#", 0), 0u) << f.id;
    }
  }
}

// Collector + nvidia-smi import: the V100 XML lists the server's host PID and three other workers.
TEST(ProcessRules, FixtureRootWithSmiImport) {
  FsRoot fs(test::data_path("target-roots/host"));
  CollectOptions o;
  o.target_pid = 4027538;
  Snapshot s = collect_snapshot(fs, o);
  auto imp = load_smi_xml_file(test::data_path("smi-xml/v100-pcie-32gb.xml"));
  ASSERT_TRUE(imp.ok());
  apply_smi_import(std::move(imp.value()), s);
  EXPECT_TRUE(fires(s, "PROCESS-ON-GPU"));
  EXPECT_TRUE(fires(s, "GPU-SHARED-WITH-PROCESSES"));
  EXPECT_EQ(judge_target(s).line.rfind("on GPU (GPU 0, 3.1 GiB, SM share unknown)", 0), 0u) << judge_target(s).line;

  o.target_pid = 4100;
  Snapshot cpu = collect_snapshot(fs, o);
  EXPECT_TRUE(fires(cpu, "PROCESS-NO-CUDA"));
  o.target_pid = 4200;
  Snapshot nodev = collect_snapshot(fs, o);
  EXPECT_TRUE(fires(nodev, "PROCESS-NOT-ON-GPU"));
  Snapshot inside = collect_snapshot(FsRoot(test::data_path("target-roots/container")), [] {
    CollectOptions c;
    c.target_pid = 1;
    return c;
  }());
  EXPECT_TRUE(fires(inside, "PROCESS-GPU-UNDETERMINED"));
}

}  // namespace
}  // namespace infertune
