// The CSV reader and the shipped reference tables (data/*.csv): every row parses, has a source, and the
// tables agree with each other where they must.

#include <gtest/gtest.h>

#include <set>

#include "compat/csv.h"
#include "compat/embedded_data.h"
#include "compat/judge.h"
#include "compat/tables.h"
#include "test_support.h"

namespace infertune::compat {
namespace {

TEST(Csv, QuotedFieldsEscapedQuotesAndNewlines) {
  auto r = parse_csv("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n\"multi\nline\",,end\r\n", "t.csv");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].fields, (std::vector<std::string>{"1", "x, y", "say \"hi\""}));
  EXPECT_EQ((*r)[2].fields, (std::vector<std::string>{"multi\nline", "", "end"}));
  EXPECT_EQ((*r)[2].line, 3u);
}

TEST(Csv, CrlfBlankLinesAndTrailingEmptyField) {
  auto r = parse_csv("a,b\r\n\r\n1,\r\n2,3", "t.csv");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].fields, (std::vector<std::string>{"1", ""}));
  EXPECT_EQ((*r)[1].line, 3u);
  EXPECT_EQ((*r)[2].fields, (std::vector<std::string>{"2", "3"}));
}

TEST(Csv, ErrorsNameFileAndLine) {
  auto a = parse_csv("a,b\n1,\"open\n2,3\n", "t.csv");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().message, "t.csv line 2: unterminated quoted field");
  auto b = parse_csv("a,b\n1,x\"y\n", "t.csv");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message, "t.csv line 2: quote inside unquoted field 2");
  auto c = parse_csv("a,b\n\"q\"x,1\n", "t.csv");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "t.csv line 2: text after the closing quote of field 1");
  auto empty = parse_csv("", "t.csv");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Csv, GarbageNeverCrashes) {
  std::string junk;
  for (int i = 0; i < 2000; ++i) junk += static_cast<char>((i * 7919) % 256);
  (void)parse_csv(junk, "junk");
  (void)parse_csv("\"", "junk");
  (void)parse_csv("\"\"\"", "junk");
  (void)parse_csv(",,,\n,,\r", "junk");
}

TEST(ShippedTables, EmbeddedFilesAreTheDataDirectory) {
  std::set<std::string> names;
  for (const auto& f : embedded_data_files()) {
    names.insert(f.name);
    EXPECT_EQ(std::string(f.bytes), test::read_text(test::source_path(std::string("data/") + f.name))) << f.name;
  }
  for (const auto& f : table_files()) EXPECT_TRUE(names.count(f)) << f << " is not embedded";
}

TEST(ShippedTables, LoadAndEveryRowHasASource) {
  auto t = load_builtin_tables();
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_GE(t->cuda_driver.size(), 50u);
  EXPECT_EQ(t->cuda_major.size(), 4u);
  EXPECT_GE(t->gpus.size(), 36u);
  EXPECT_GE(t->arch_support.size(), 23u);
  EXPECT_GE(t->torch.size(), 46u);
  EXPECT_GE(t->tensorflow.size(), 12u);
  EXPECT_GE(t->onnxruntime.size(), 15u);
  EXPECT_GE(t->tensorrt.size(), 35u);
  for (const auto& r : t->cuda_driver) EXPECT_FALSE(r.source.empty());
  for (const auto& r : t->gpus) EXPECT_FALSE(r.source.empty()) << r.gpu;
  for (const auto& r : t->torch) EXPECT_FALSE(r.source.empty()) << r.release;
  for (const auto& r : t->cudnn) EXPECT_FALSE(r.source.empty());
  for (const auto& r : t->cuda_images) EXPECT_FALSE(r.source.empty());
}

TEST(ShippedTables, DriverMinimumsGrowWithCuda) {
  const Tables& t = tables();
  // Within the table (newest first), a later CUDA release never needs an older driver.
  for (size_t i = 0; i + 1 < t.cuda_driver.size(); ++i) {
    const auto& newer = t.cuda_driver[i];
    const auto& older = t.cuda_driver[i + 1];
    EXPECT_TRUE(older.cuda < newer.cuda) << older.cuda.str() << " listed after " << newer.cuda.str();
    EXPECT_FALSE(newer.min_driver < older.min_driver) << newer.cuda.str();
  }
  // The minor-version-compatibility floor of a major is below what its newer releases ship with
  // (11.0 itself shipped with an older driver than the 11.x floor, as the release notes say).
  for (const auto& m : t.cuda_major) {
    if (!m.minor_compat_min_driver) continue;
    auto last = native_min_driver(t, *Version::parse(std::to_string(m.major) + ".1"));
    ASSERT_TRUE(last) << m.major;
    EXPECT_FALSE(*last < *m.minor_compat_min_driver) << m.major;
  }
  EXPECT_EQ(native_min_driver(t, *Version::parse("12.8"))->str(), "570.26");
  EXPECT_EQ(native_min_driver(t, *Version::parse("12.4"))->str(), "550.54.14");
  EXPECT_EQ(driver_text(*major_row(t, 12)->minor_compat_min_driver), "525.60.13");
  EXPECT_EQ(driver_text(*major_row(t, 13)->minor_compat_min_driver), "580.65.06");
  EXPECT_FALSE(major_row(t, 10)->minor_compat_min_driver);
}

TEST(ShippedTables, EveryGpuArchIsKnownToSomeCudaRelease) {
  const Tables& t = tables();
  std::set<int> known;
  for (const auto& a : t.arch_support) {
    EXPECT_LE(a.min_cc, a.max_cc) << a.cuda.str();
    for (size_t i = 0; i < a.sass.size(); ++i) {
      EXPECT_GE(a.sass[i], a.min_cc) << a.cuda.str();
      EXPECT_LE(a.sass[i], a.max_cc) << a.cuda.str();
      if (i) {
        EXPECT_LT(a.sass[i - 1], a.sass[i]) << a.cuda.str() << " arch list not ascending";
      }
      known.insert(a.sass[i]);
    }
  }
  for (const auto& g : t.gpus) EXPECT_TRUE(known.count(g.cc)) << g.gpu << " " << cc_text(g.cc);
}

TEST(ShippedTables, TorchRowsAreConsistent) {
  const Tables& t = tables();
  std::map<std::string, int> defaults;
  for (const auto& r : t.torch) {
    EXPECT_FALSE(r.python_max < r.python_min) << r.release << " " << r.variant;
    EXPECT_EQ(r.index_url, "https://download.pytorch.org/whl/" + r.variant);
    EXPECT_EQ(variant_of_cuda(r.cuda), r.variant);
    for (size_t i = 1; i < r.sass.size(); ++i) EXPECT_LT(r.sass[i - 1], r.sass[i]) << r.release << " " << r.variant;
    if (r.default_variant) ++defaults[r.release];
    // Every torch CUDA major has a minor-version-compatibility row.
    EXPECT_NE(major_row(t, r.cuda.major()), nullptr) << r.variant;
    // The wheel's archs are ones its CUDA can build (the tables of NVIDIA and PyTorch agree).
    for (const auto& a : t.arch_support) {
      if (!same_minor(a.cuda, r.cuda)) continue;
      for (int cc : r.sass) {
        if (cc == 37 && r.cuda.major() == 11) continue;  // sm_37 kept in cu118 builds, dropped by CMake's list
        EXPECT_GE(cc, a.min_cc) << r.release << " " << r.variant << " " << cc;
      }
    }
  }
  for (const auto& [release, n] : defaults) EXPECT_EQ(n, 1) << release;
}

TEST(ShippedTables, OtherFrameworkTables) {
  const Tables& t = tables();
  for (const auto& r : t.tensorflow) EXPECT_FALSE(r.python_max < r.python_min) << r.version.str();
  for (size_t i = 0; i + 1 < t.tensorflow.size(); ++i) {
    EXPECT_TRUE(t.tensorflow[i + 1].version < t.tensorflow[i].version);
  }
  for (const auto& r : t.tensorrt) EXPECT_FALSE(r.max < r.min);
  for (const auto& r : t.cudnn) EXPECT_FALSE(r.max < r.min);
  for (const auto& r : t.onnxruntime) {
    if (r.max) {
      EXPECT_FALSE(*r.max < r.min);
    }
  }
  EXPECT_NE(find_tensorflow(t, *Version::parse("2.16.1")), nullptr);
  EXPECT_EQ(find_ort(t, *Version::parse("1.20.1"), std::nullopt)->cuda_major, 12);
  EXPECT_EQ(find_tensorrt(t, *Version::parse("10.13.3.9"))->cuda.size(), 2u);
}

class DataDir : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& f : table_files()) root.write(f, test::read_text(test::source_path("data/" + f)));
  }
  test::TempRoot root;
};

TEST_F(DataDir, CopyOfDataLoads) {
  auto t = load_tables_from_dir(root.path() + "/");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->torch.size(), tables().torch.size());
}

TEST_F(DataDir, BadCellNamesFileLineAndColumn) {
  root.write("pytorch.csv", test::read_text(test::source_path("data/pytorch.csv")) +
                                "2.99,cu999,9.9.9,,3.x,3.12,,8.0,no,no,https://download.pytorch.org/whl/cu999,x,src\n");
  auto t = load_tables_from_dir(root.path());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("/pytorch.csv line 48: column python_min: '3.x' is not a version"),
            std::string::npos)
      << t.error().message;
}

TEST_F(DataDir, MissingSourceFieldCountAndFileAreErrors) {
  root.write("gpus.csv", "gpu,aliases,compute_capability,segment,forward_compat,source\nX,X,9.0,datacenter,yes,\n");
  auto a = load_tables_from_dir(root.path());
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("gpus.csv line 2: column source: every row needs a source"), std::string::npos)
      << a.error().message;
  root.write("gpus.csv", "gpu,aliases,compute_capability,segment,forward_compat,source\nX,X,9.0\n");
  auto b = load_tables_from_dir(root.path());
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("gpus.csv line 2: 3 fields, the header has 6"), std::string::npos);
  auto c = load_tables_from_dir(root.path() + "/nowhere");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("--data-dir " + root.path() + "/nowhere: cuda_driver.csv: cannot open"),
            std::string::npos)
      << c.error().message;
}

TEST(ComputeCapability, ParseAndPrint) {
  EXPECT_EQ(parse_cc("9.0"), 90);
  EXPECT_EQ(parse_cc("12.1"), 121);
  EXPECT_EQ(parse_cc("10.3"), 103);
  EXPECT_FALSE(parse_cc("9"));
  EXPECT_FALSE(parse_cc("9.10"));
  EXPECT_FALSE(parse_cc("x.0"));
  EXPECT_EQ(cc_text(120), "12.0");
  EXPECT_EQ(sm_name(86), "sm_86");
}

}  // namespace
}  // namespace infertune::compat
