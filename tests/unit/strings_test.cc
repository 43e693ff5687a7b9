#include "base/strings.h"

#include <gtest/gtest.h>

#include "base/version.h"

namespace infertune {
namespace {

TEST(Strings, ParseCpuList) {
  auto v = str::parse_cpu_list("0-3,8,10-11\n");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_TRUE(str::parse_cpu_list("")->empty());
  EXPECT_FALSE(str::parse_cpu_list("3-1"));
  EXPECT_FALSE(str::parse_cpu_list("a-b"));
  EXPECT_FALSE(str::parse_cpu_list("0-99999999"));
  EXPECT_FALSE(str::parse_cpu_list("1,,2"));
}

TEST(Strings, ParseNumbersAreWholeString) {
  EXPECT_EQ(str::parse_i64(" 42\n"), 42);
  EXPECT_EQ(str::parse_i64("-1"), -1);
  EXPECT_FALSE(str::parse_i64("42abc"));
  EXPECT_FALSE(str::parse_i64(""));
  EXPECT_FALSE(str::parse_u64("-1"));
  EXPECT_FALSE(str::parse_i64("99999999999999999999"));
  EXPECT_DOUBLE_EQ(*str::parse_double("0.25"), 0.25);
  EXPECT_FALSE(str::parse_double("x"));
}

TEST(Strings, ClosestSuggestsTyposOnly) {
  std::vector<std::string> cmds = {"doctor", "gpu", "bench", "compat", "image", "monitor", "exporter", "trace"};
  EXPECT_EQ(str::closest("docter", cmds), "doctor");
  EXPECT_EQ(str::closest("moniter", cmds), "monitor");
  EXPECT_EQ(str::closest("expo", cmds), "exporter");
  EXPECT_FALSE(str::closest("kubernetes", cmds));
}

TEST(Version, ComparesFieldByField) {
  EXPECT_GT(*Version::parse("12.10"), *Version::parse("12.9"));
  EXPECT_EQ(*Version::parse("12.4"), *Version::parse("12.4.0"));
  EXPECT_LT(*Version::parse("550.54.14"), *Version::parse("550.54.15"));
  auto t = Version::parse("2.8.0+cu128");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->local(), "cu128");
  EXPECT_EQ(t->str(), "2.8.0+cu128");
  EXPECT_FALSE(Version::parse("abc"));
}

}  // namespace
}  // namespace infertune
