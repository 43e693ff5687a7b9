// The fixture roots end to end through collect -> rules -> renderers: expected findings per root, and golden
// outputs for each renderer (INFERTUNE_UPDATE_GOLDEN=1 regenerates them).

#include <gtest/gtest.h>

#include <algorithm>

#include "cli/doctor_report.h"
#include "collect/collect_all.h"
#include "facts/snapshot_json.h"
#include "report/render.h"
#include "test_support.h"

namespace infertune {
namespace {

Snapshot collect_root(const std::string& name) {
  Snapshot s = collect_snapshot(FsRoot(test::data_path("roots/" + name)));
  // Fields that change from run to run.
  s.collected_at = "2026-01-01T00:00:00Z";
  s.tool_version = "0.0.0+golden";
  s.root = "tests/data/roots/" + name;
  return s;
}

std::vector<std::string> finding_ids(const Snapshot& s) {
  std::vector<std::string> ids;
  for (const auto& f : cli::doctor_report(s, "x").findings) ids.push_back(f.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(FixtureRoots, HealthyHostHasNoFindings) {
  EXPECT_EQ(finding_ids(collect_root("healthy")), std::vector<std::string>{});
}

TEST(FixtureRoots, DockerTwoCpuContainer) {
  Snapshot s = collect_root("docker-v2");
  EXPECT_EQ(*s.cgroup.version, "v2");
  EXPECT_DOUBLE_EQ(*s.cgroup.cpu_limit_cores, 2.0);
  EXPECT_EQ(*s.container.shm_size_bytes, int64_t{64} << 20);
  EXPECT_TRUE(*s.container.in_container);
  EXPECT_EQ(*s.container.runtime, "docker");
  EXPECT_EQ(finding_ids(s), (std::vector<std::string>{"CPU-QUOTA-BELOW-THREADS", "CPU-THROTTLED", "DEV-SHM-SMALL",
                                                      "MEMLOCK-LIMIT-LOW"}));
}

TEST(FixtureRoots, KubernetesPodOnCgroupV1) {
  Snapshot s = collect_root("k8s-v1");
  EXPECT_EQ(*s.cgroup.version, "v1");
  EXPECT_TRUE(*s.container.in_container);
  EXPECT_EQ(*s.container.orchestrator, "kubernetes");
  EXPECT_EQ(finding_ids(s), (std::vector<std::string>{"MEMORY-LIMIT-NEAR", "OOM-KILLS-SEEN"}));
}

TEST(FixtureRoots, BareMetalHost) {
  Snapshot s = collect_root("baremetal");
  EXPECT_FALSE(*s.container.in_container);
  EXPECT_EQ(finding_ids(s),
            (std::vector<std::string>{"CPU-GOVERNOR-POWERSAVE", "CUDA-LAUNCH-BLOCKING-ON", "MEMLOCK-LIMIT-LOW",
                                      "PSI-CPU-HIGH", "PSI-MEMORY-HIGH", "SWAP-IN-USE"}));
}

TEST(FixtureRoots, SnapshotSurvivesSaveAndLoad) {
  for (const char* name : {"healthy", "docker-v2", "k8s-v1", "baremetal"}) {
    Snapshot s = collect_root(name);
    auto back = snapshot_from_text(json_text(snapshot_to_json(s)), name);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(finding_ids(*back), finding_ids(s)) << name;
    EXPECT_EQ(json_text(snapshot_to_json(*back)), json_text(snapshot_to_json(s))) << name;
  }
}

class Golden : public ::testing::TestWithParam<const char*> {};

TEST_P(Golden, RenderersMatchGoldenFiles) {
  std::string name = GetParam();
  Snapshot s = collect_root(name);
  Report r = cli::doctor_report(s, "root tests/data/roots/" + name);
  r.tool_version = "0.0.0+golden";
  RenderOptions plain;
  RenderOptions verbose;
  verbose.verbose = true;
  EXPECT_EQ(test::golden_diff(name + ".txt", render_text(r, plain)), "");
  EXPECT_EQ(test::golden_diff(name + ".verbose.txt", render_text(r, verbose)), "");
  EXPECT_EQ(test::golden_diff(name + ".md", render_markdown(r, plain)), "");
  EXPECT_EQ(test::golden_diff(name + ".json", json_text(report_to_json(r))), "");
}

INSTANTIATE_TEST_SUITE_P(Roots, Golden, ::testing::Values("healthy", "docker-v2", "k8s-v1", "baremetal"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(Renderers, ColourOnlyWhenAsked) {
  Report r = cli::doctor_report(collect_root("docker-v2"), "x");
  RenderOptions o;
  EXPECT_EQ(render_text(r, o).find("\x1b["), std::string::npos);
  o.color = true;
  EXPECT_NE(render_text(r, o).find("\x1b[1;33mWARNING"), std::string::npos);
}

TEST(Renderers, QuietPrintsFindingsOnly) {
  Report r = cli::doctor_report(collect_root("docker-v2"), "x");
  RenderOptions o;
  o.quiet = true;
  std::string t = render_text(r, o);
  EXPECT_EQ(t.find("Host\n"), std::string::npos);
  EXPECT_NE(t.find("CPU-QUOTA-BELOW-THREADS"), std::string::npos);
}

}  // namespace
}  // namespace infertune
