// The target-process collector on fixture roots (tests/data/target-roots): PIDs across namespaces, CUDA
// libraries, /dev/nvidia* files, --pid / --process resolution and its errors.

#include "collect/target_process.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.h"

namespace infertune {
namespace {

FsRoot root(const std::string& name) { return FsRoot(test::data_path("target-roots/" + name)); }

TargetProcessFacts collect(const std::string& r, int64_t pid) {
  TargetProcessFacts t;
  collect_target_process(root(r), {pid, "--pid " + std::to_string(pid)}, t);
  return t;
}

std::vector<std::string> kinds(const TargetProcessFacts& t) {
  std::vector<std::string> out;
  for (const auto& l : *t.cuda_libraries) out.push_back(l.kind);
  return out;
}

TEST(TargetProcess, ParsesNspidAndCmdline) {
  EXPECT_EQ(parse_nspid("Name:\tpython3\nNSpid:\t4027538\t1\nThreads:\t4\n"), (std::vector<int64_t>{4027538, 1}));
  EXPECT_EQ(parse_nspid("NSpid:\t1\n"), (std::vector<int64_t>{1}));
  EXPECT_TRUE(parse_nspid("Name:\tx\nPid:\t5\n").empty());  // kernels before 4.1
  EXPECT_TRUE(parse_nspid("NSpid:\t12\tabc\n").empty());
  EXPECT_TRUE(parse_nspid("NSpid:\t-3\n").empty());
  EXPECT_TRUE(parse_nspid("NSpid:").empty());
  EXPECT_TRUE(parse_nspid(std::string("\0\0NSpid\xff", 8)).empty());
  EXPECT_EQ(parse_cmdline(std::string("python3\0-m\0vllm\0", 17)), (std::vector<std::string>{"python3", "-m", "vllm"}));
  EXPECT_TRUE(parse_cmdline(std::string("\0\0", 2)).empty());
  EXPECT_TRUE(parse_cmdline("").empty());
}

TEST(TargetProcess, ProcessNameMatching) {
  std::vector<std::string> vllm = {"python3", "-m", "vllm.entrypoints.openai.api_server", "--model", "m"};
  EXPECT_EQ(process_match("python3", "python3", vllm), "comm");
  EXPECT_EQ(process_match("vllm", "python3", vllm), "command");
  EXPECT_EQ(process_match("api_server", "python3", vllm), "command line");
  EXPECT_EQ(process_match("tritonserver", "tritonserver", {"/opt/tritonserver/bin/tritonserver"}), "comm");
  EXPECT_EQ(process_match("text-generation-launcher", "text-generation", {"/usr/local/bin/text-generation-launcher"}),
            "comm");
  EXPECT_EQ(process_match("uvicorn", "python", {"/venv/bin/uvicorn", "app:app"}), "command");
  EXPECT_EQ(process_match("nginx", "python3", vllm), "");
  EXPECT_EQ(process_match("kworker", "kworker/0:1", {}), "");  // kernel threads never match
}

TEST(TargetProcess, HostViewOfAContainerizedServer) {
  auto t = collect("host", 4027538);
  EXPECT_EQ(t.pid, 4027538);
  EXPECT_EQ(t.comm.value_or(""), "python3");
  EXPECT_EQ(t.cmdline.value_or(""), "python3 -m vllm.entrypoints.openai.api_server --model facebook/opt-125m");
  EXPECT_EQ(t.ns_pids.value_or({}), (std::vector<int64_t>{4027538, 1}));
  ASSERT_TRUE(t.host_pid) << t.host_pid.unknown_why;
  EXPECT_EQ(*t.host_pid, 4027538);
  EXPECT_NE(t.host_pid.source.find("host's PID namespace"), std::string::npos) << t.host_pid.source;
  EXPECT_EQ(t.container_pid.value_or(0), 1);
  EXPECT_EQ(t.pid_namespace.value_or(""), "pid:[4026532511]");
  ASSERT_TRUE(t.cuda_libraries);
  EXPECT_EQ(t.cuda_libraries.source, "/proc/4027538/maps");
  auto k = kinds(t);
  EXPECT_EQ(k.front(), "libc10_cuda");
  EXPECT_NE(std::find(k.begin(), k.end(), "libtorch_cuda"), k.end());
  EXPECT_NE(std::find(k.begin(), k.end(), "libcuda"), k.end());
  ASSERT_TRUE(t.gpu_device_files);
  EXPECT_EQ(*t.gpu_device_files, (std::vector<std::string>{"/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"}));
}

TEST(TargetProcess, CpuOnlyProcessHasNoCudaLibrariesNorDeviceFiles) {
  auto t = collect("host", 4100);
  ASSERT_TRUE(t.cuda_libraries);
  EXPECT_TRUE(t.cuda_libraries->empty());
  ASSERT_TRUE(t.gpu_device_files);
  EXPECT_TRUE(t.gpu_device_files->empty());
  EXPECT_EQ(t.host_pid.value_or(0), 4100);
}

TEST(TargetProcess, InsideTheContainerTheHostPidIsUnknownAndSaysWhy) {
  auto t = collect("container", 1);
  EXPECT_EQ(t.ns_pids.value_or({}), (std::vector<int64_t>{1}));
  EXPECT_EQ(t.container_pid.value_or(0), 1);
  EXPECT_FALSE(t.host_pid);
  EXPECT_NE(t.host_pid.unknown_why.find("pid:[4026532511]"), std::string::npos) << t.host_pid.unknown_why;
  EXPECT_NE(t.host_pid.unknown_why.find("--pid=host"), std::string::npos);
  EXPECT_FALSE(kinds(t).empty());
}

TEST(TargetProcess, MissingFilesAreUnknownNotErrors) {
  test::TempRoot r;
  r.write("proc/77/status", "Name:\tx\nPid:\t77\n");
  TargetProcessFacts t;
  collect_target_process(FsRoot(r.path()), {77, "--pid 77"}, t);
  EXPECT_FALSE(t.comm);
  EXPECT_FALSE(t.cuda_libraries);
  EXPECT_NE(t.cuda_libraries.unknown_why.find("/proc/77/maps"), std::string::npos);
  EXPECT_FALSE(t.gpu_device_files);
  EXPECT_FALSE(t.ns_pids);
  EXPECT_NE(t.ns_pids.unknown_why.find("NSpid"), std::string::npos);
  EXPECT_FALSE(t.host_pid);  // one level, and no /proc/self/ns/pid to tell whose namespace this is
}

TEST(TargetProcess, ResolvesPidAndExplainsBadOnes) {
  CollectOptions o;
  o.target_pid = 4100;
  auto ok = resolve_target(root("host"), o);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->pid, 4100);
  o.target_pid = 999999;
  auto missing = resolve_target(root("host"), o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kUsage);
  EXPECT_NE(missing.error().message.find("--pid 999999: no such process"), std::string::npos)
      << missing.error().message;
  o.target_pid = -5;
  EXPECT_FALSE(resolve_target(root("host"), o).ok());
}

TEST(TargetProcess, ResolvesProcessNames) {
  CollectOptions o;
  o.target_process = "vllm";
  auto v = resolve_target(root("host"), o);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->pid, 4027538);
  EXPECT_EQ(v->selected_by, "--process vllm (command)");
  o.target_process = "serve.py";
  auto s = resolve_target(root("host"), o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->pid, 4200);
  o.target_process = "python3";  // three python3 processes (infertune itself, /proc/self, is skipped)
  auto many = resolve_target(root("host"), o);
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().message.find("matches 3 processes: 4100 ("), std::string::npos) << many.error().message;
  EXPECT_NE(many.error().message.find("choose one with --pid"), std::string::npos);
  o.target_process = "infertune";  // only itself has that name
  auto self = resolve_target(root("host"), o);
  ASSERT_FALSE(self.ok());
  EXPECT_NE(self.error().message.find("no process has that name"), std::string::npos) << self.error().message;
}

}  // namespace
}  // namespace infertune
