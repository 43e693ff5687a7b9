#include "collect/memory.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace infertune {
namespace {

std::string host(const std::string& rel) { return test::data_path("host/" + rel); }
std::string root(const std::string& name) { return test::data_path("roots/" + name); }
constexpr int64_t kKiB = 1024;
constexpr int64_t kGiB = 1024 * 1024 * 1024;

TEST(Meminfo, ParsesNodeExporter) {
  auto m = parse_meminfo(test::read_text(host("node_exporter/proc/meminfo")));
  EXPECT_EQ(m["MemTotal"], 3742148 * kKiB);
  EXPECT_EQ(m.count("MemAvailable"), 0u);  // this kernel's file has none
  EXPECT_EQ(m["SwapTotal"], 4194300 * kKiB);
  EXPECT_EQ(m["SwapFree"], 3155360 * kKiB);
  EXPECT_EQ(m["Active(anon)"], 2020004 * kKiB);
  EXPECT_EQ(m["VmallocTotal"], 34359738367 * kKiB);
  EXPECT_EQ(m["HugePages_Total"], 0);  // a count, not kB
  EXPECT_EQ(m["Hugepagesize"], 2048 * kKiB);
}

TEST(Meminfo, ParsesProcfsAndGhw) {
  auto p = parse_meminfo(test::read_text(host("procfs/proc/meminfo")));
  EXPECT_EQ(p["MemTotal"], 15666184 * kKiB);
  EXPECT_EQ(p["Zswap"], 22414 * kKiB);
  EXPECT_EQ(p["SwapTotal"], 0);
  auto g = parse_meminfo(test::read_text(host("ghw-accel-nvidia/proc/meminfo")));
  EXPECT_EQ(g["MemAvailable"], 29987976 * kKiB);
  EXPECT_EQ(g["HugePages_Free"], 0);
}

TEST(Meminfo, TruncatedAndGarbage) {
  std::string text = test::read_text(host("node_exporter/proc/meminfo"));
  auto cut = parse_meminfo(text.substr(0, text.find("SwapFree:") + 14));  // "SwapFree:      " partial value
  EXPECT_EQ(cut.count("SwapTotal"), 1u);
  EXPECT_EQ(cut.count("SwapFree"), 0u);
  EXPECT_TRUE(parse_meminfo("").empty());
  EXPECT_TRUE(parse_meminfo("\x01\xff garbage\n: 12 kB\nMemTotal: abc kB\nMemFree: 12 MB\nX: -5 kB\n").empty());
  EXPECT_TRUE(parse_meminfo("MemTotal: 99999999999999999 kB\n").empty());  // overflows in bytes
  auto first = parse_meminfo("MemTotal: 1 kB\nMemTotal: 2 kB\n");
  EXPECT_EQ(first["MemTotal"], 1024);
}

TEST(Thp, ParsesSelectedMode) {
  EXPECT_EQ(parse_thp_enabled("always [madvise] never\n"), "madvise");
  EXPECT_EQ(parse_thp_enabled("[always] madvise never"), "always");
  EXPECT_EQ(parse_thp_enabled("always madvise [never]"), "never");
  EXPECT_FALSE(parse_thp_enabled("always madvise never"));
  EXPECT_FALSE(parse_thp_enabled("[always] [never]"));
  EXPECT_FALSE(parse_thp_enabled("[]"));
  EXPECT_FALSE(parse_thp_enabled(""));
}

TEST(MemoryCollect, BaremetalHasSwapInUse) {
  MemoryFacts m;
  collect_memory(FsRoot(root("baremetal")), m);
  EXPECT_EQ(*m.total_bytes, 3742148 * kKiB);
  EXPECT_EQ(m.total_bytes.source, "/proc/meminfo");
  EXPECT_EQ(*m.swap_total_bytes, 8 * kGiB);
  EXPECT_EQ(*m.swap_free_bytes, 5 * kGiB);
  EXPECT_FALSE(m.available_bytes);
  EXPECT_EQ(m.available_bytes.unknown_why, "/proc/meminfo has no well-formed MemAvailable line");
  EXPECT_EQ(*m.hugepages_total, 0);
  EXPECT_EQ(*m.hugepage_size_bytes, 2 * 1024 * kKiB);
  EXPECT_EQ(*m.thp_enabled, "madvise");
  EXPECT_EQ(m.thp_enabled.source, "/sys/kernel/mm/transparent_hugepage/enabled");
}

TEST(MemoryCollect, OtherRootsHaveNoSwap) {
  for (const char* r : {"docker-v2", "k8s-v1", "healthy"}) {
    MemoryFacts m;
    collect_memory(FsRoot(root(r)), m);
    EXPECT_EQ(m.swap_total_bytes.value_or(-1), 0) << r;
    EXPECT_GT(m.total_bytes.value_or(0), 0) << r;
    EXPECT_TRUE(m.thp_enabled) << r;
  }
  MemoryFacts k8s;
  collect_memory(FsRoot(root("k8s-v1")), k8s);
  EXPECT_EQ(*k8s.thp_enabled, "always");
  EXPECT_EQ(*k8s.available_bytes, 29987976 * kKiB);
}

TEST(MemoryCollect, MissingFiles) {
  MemoryFacts m;
  collect_memory(FsRoot(host("does-not-exist")), m);
  EXPECT_FALSE(m.total_bytes);
  EXPECT_NE(m.total_bytes.unknown_why.find("cannot read /proc/meminfo"), std::string::npos);
  EXPECT_FALSE(m.thp_enabled);
  EXPECT_NE(m.thp_enabled.unknown_why.find("transparent_hugepage"), std::string::npos);
}

}  // namespace
}  // namespace infertune
