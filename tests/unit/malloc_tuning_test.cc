#include "base/malloc_tuning.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <initializer_list>
#include <string>

#include "trace/pod_table.h"

namespace infertune {
namespace {

constexpr const char* kOurs =
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=33554432";

TEST(MallocTuning, AddsTheLargeTableTunablesToWhateverIsSet) {
  EXPECT_EQ(tuned_glibc_tunables(nullptr), kOurs);
  EXPECT_EQ(tuned_glibc_tunables(""), kOurs);
  EXPECT_EQ(tuned_glibc_tunables("glibc.malloc.check=3"), std::string("glibc.malloc.check=3:") + kOurs);
}

TEST(MallocTuning, LeavesTheUsersOwnChoiceAlone) {
  EXPECT_FALSE(tuned_glibc_tunables("glibc.malloc.hugetlb=0"));
  EXPECT_FALSE(tuned_glibc_tunables("glibc.malloc.check=1:glibc.malloc.mmap_threshold=4096"));
  EXPECT_FALSE(tuned_glibc_tunables("glibc.malloc.trim_threshold=0"));
}

struct Row {
  int64_t a;
  int32_t b;
};

TEST(MallocTuning, OnlyForCommandsThatReadATrace) {
  auto wants = [](std::initializer_list<const char*> args) {
    std::array<const char*, 8> argv{"infertune"};
    size_t n = 1;
    for (const char* a : args) argv.at(n++) = a;
    return wants_malloc_tuning(static_cast<int>(n), argv.data());
  };
  EXPECT_TRUE(wants({"trace", "analyze", "t.json"}));
  EXPECT_TRUE(wants({"trace", "diff", "a.json", "b.json"}));
  EXPECT_TRUE(wants({"doctor", "--trace", "t.json.gz"}));
  EXPECT_TRUE(wants({"doctor", "--format", "json", "--trace=t.json"}));
  EXPECT_FALSE(wants({"doctor"}));
  EXPECT_FALSE(wants({"doctor", "--", "--trace"}));
  EXPECT_FALSE(wants({"doctor", "--tracer"}));
  EXPECT_FALSE(wants({"gpu"}));
  EXPECT_FALSE(wants({"--trace", "t.json"}));
  EXPECT_FALSE(wants({}));
}

TEST(MallocTuning, ChildrenGetTheUsersOwnTunablesBack) {
  // What the re-executed process finds, for a user without GLIBC_TUNABLES and for one with a value.
  setenv("INFERTUNE_MALLOC_TUNED", "1", 1);
  setenv("GLIBC_TUNABLES", kOurs, 1);
  EXPECT_TRUE(restore_user_environment());
  EXPECT_EQ(std::getenv("GLIBC_TUNABLES"), nullptr);
  EXPECT_EQ(std::getenv("INFERTUNE_MALLOC_TUNED"), nullptr);

  setenv("INFERTUNE_MALLOC_TUNED", "=glibc.rtld.optional_static_tls=4096", 1);
  setenv("GLIBC_TUNABLES", (std::string("glibc.rtld.optional_static_tls=4096:") + kOurs).c_str(), 1);
  EXPECT_TRUE(restore_user_environment());
  ASSERT_NE(std::getenv("GLIBC_TUNABLES"), nullptr);
  EXPECT_STREQ(std::getenv("GLIBC_TUNABLES"), "glibc.rtld.optional_static_tls=4096");
  EXPECT_EQ(std::getenv("INFERTUNE_MALLOC_TUNED"), nullptr);

  EXPECT_FALSE(restore_user_environment());  // not re-executed: nothing touched
  EXPECT_STREQ(std::getenv("GLIBC_TUNABLES"), "glibc.rtld.optional_static_tls=4096");
  unsetenv("GLIBC_TUNABLES");
}

TEST(PodTable, GrowsPastTheMappingThresholdKeepingEveryRow) {
  trace::PodTable<Row> t;
  const size_t n = (size_t{9} << 20) / sizeof(Row);  // 9 MiB: malloc'd, then mapped, then remapped
  for (size_t i = 0; i < n; ++i) t.push_back(Row{static_cast<int64_t>(i) * 3, static_cast<int32_t>(i)});
  ASSERT_EQ(t.size(), n);
  EXPECT_GE(t.capacity(), n);
  for (size_t i = 0; i < n; i += 4093) {
    EXPECT_EQ(t[i].a, static_cast<int64_t>(i) * 3);
    EXPECT_EQ(t[i].b, static_cast<int32_t>(i));
  }
  EXPECT_EQ(t.back().b, static_cast<int32_t>(n - 1));
  trace::PodTable<Row> copy = t;
  trace::PodTable<Row> moved = std::move(t);
  EXPECT_TRUE(t.empty());  // NOLINT(bugprone-use-after-move): a moved-from table is empty
  ASSERT_EQ(copy.size(), n);
  ASSERT_EQ(moved.size(), n);
  EXPECT_EQ(copy[n / 2].a, moved[n / 2].a);
  copy.clear();
  EXPECT_TRUE(copy.empty());
  copy.push_back(Row{7, 8});
  EXPECT_EQ(copy.front().a, 7);
}

TEST(PodTable, SmallTablesAndResize) {
  trace::PodTable<Row> t{{1, 2}, {3, 4}};
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].a, 3);
  t.resize(5, Row{9, 9});
  EXPECT_EQ(t.size(), 5u);
  EXPECT_EQ(t[4].b, 9);
  t.pop_back();
  EXPECT_EQ(t.size(), 4u);
  size_t sum = 0;
  for (const Row& r : t) sum += static_cast<size_t>(r.a);
  EXPECT_EQ(sum, 1u + 3u + 9u + 9u);
}

}  // namespace
}  // namespace infertune
