#include "collect/psi.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace infertune {
namespace {

std::string sample(const std::string& rel) { return test::read_text(test::data_path("host/" + rel)); }

TEST(Psi, ParsesNodeExporterCpuWithFullLine) {
  auto r = parse_psi(sample("node_exporter/proc/pressure/cpu"));
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->some);
  ASSERT_TRUE(r->full);  // kernels >= 5.13 print a (zero) "full" line for cpu too
  EXPECT_DOUBLE_EQ(r->some->avg60, 0.0);
  EXPECT_EQ(r->some->total_us, 14036781u);
}

TEST(Psi, ParsesNodeExporterIo) {
  auto r = parse_psi(sample("node_exporter/proc/pressure/io"));
  ASSERT_TRUE(r && r->some && r->full);
  EXPECT_DOUBLE_EQ(r->some->avg10, 0.18);
  EXPECT_DOUBLE_EQ(r->some->avg60, 0.34);
  EXPECT_DOUBLE_EQ(r->some->avg300, 0.10);
  EXPECT_EQ(r->some->total_us, 159886802u);
  EXPECT_EQ(r->full->total_us, 159229614u);
}

TEST(Psi, ParsesIrqWithOnlyFullAndNoTrailingNewline) {
  std::string text = sample("node_exporter/proc/pressure/irq");
  ASSERT_NE(text.back(), '\n');
  auto r = parse_psi(text);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->some);
  ASSERT_TRUE(r->full);
  EXPECT_EQ(r->full->total_us, 8494u);
}

TEST(Psi, ParsesProcfsCpuWithoutFullLine) {
  auto r = parse_psi(sample("procfs/proc/pressure/cpu"));
  ASSERT_TRUE(r && r->some);
  EXPECT_FALSE(r->full);  // kernels before 5.13
  EXPECT_DOUBLE_EQ(r->some->avg10, 0.10);
  EXPECT_DOUBLE_EQ(r->some->avg60, 2.00);
  EXPECT_DOUBLE_EQ(r->some->avg300, 3.85);
  auto m = parse_psi(sample("procfs/proc/pressure/memory"));
  ASSERT_TRUE(m && m->some && m->full);
  EXPECT_DOUBLE_EQ(m->full->avg60, 3.00);
}

TEST(Psi, TruncatedLinesAreRejected) {
  std::string full = sample("node_exporter/proc/pressure/io");
  // Cut inside the first line: no well-formed line at all.
  EXPECT_FALSE(parse_psi(full.substr(0, 30)));
  // Cut inside the second line: "some" survives, the partial "full" does not.
  size_t nl = full.find('\n');
  auto r = parse_psi(full.substr(0, nl + 25));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->some);
  EXPECT_FALSE(r->full);
  EXPECT_FALSE(parse_psi(""));
}

TEST(Psi, GarbageIsRejected) {
  EXPECT_FALSE(parse_psi("garbage\n\x01\x02\xff"));
  EXPECT_FALSE(parse_psi("some avg10=abc avg60=0.00 avg300=0.00 total=0\n"));
  EXPECT_FALSE(parse_psi("some avg10=0.00 avg60=0.00 total=0\n"));                // avg300 missing
  EXPECT_FALSE(parse_psi("some avg10=0.00 avg60=101.00 avg300=0.00 total=0\n"));  // not a percentage
  EXPECT_FALSE(parse_psi("some avg10=0.00 avg60=-1 avg300=0.00 total=0\n"));
  EXPECT_FALSE(parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=-5\n"));
  EXPECT_FALSE(parse_psi("some avg10 avg60 avg300 total\n"));
  EXPECT_FALSE(parse_psi(std::string(100000, 'x')));
}

TEST(Psi, SystemCollectorOnFixtureRoots) {
  PsiFacts bm;
  collect_system_psi(FsRoot(test::data_path("roots/baremetal")), bm);
  ASSERT_TRUE(bm.cpu_some_avg60);
  EXPECT_DOUBLE_EQ(*bm.cpu_some_avg60, 35.0);
  EXPECT_EQ(bm.cpu_some_avg60.source, "/proc/pressure/cpu");
  EXPECT_DOUBLE_EQ(*bm.memory_some_avg60, 12.0);
  EXPECT_DOUBLE_EQ(*bm.io_some_avg60, 0.34);

  PsiFacts dk;
  collect_system_psi(FsRoot(test::data_path("roots/docker-v2")), dk);
  EXPECT_DOUBLE_EQ(*dk.cpu_some_avg60, 2.0);
  EXPECT_DOUBLE_EQ(*dk.memory_full_avg60, 3.0);

  // Kernel 4.14 (Amazon Linux 2) has no PSI: every value unknown, with the reason.
  PsiFacts k8s;
  collect_system_psi(FsRoot(test::data_path("roots/k8s-v1")), k8s);
  EXPECT_FALSE(k8s.cpu_some_avg60);
  EXPECT_NE(k8s.cpu_some_avg60.unknown_why.find("/proc/pressure/cpu"), std::string::npos);
  EXPECT_FALSE(k8s.io_full_avg60);

  PsiFacts ok;
  collect_system_psi(FsRoot(test::data_path("roots/healthy")), ok);
  for (const Fact<double>* f : {&ok.cpu_some_avg10, &ok.cpu_some_avg60, &ok.memory_some_avg60, &ok.memory_full_avg60,
                                &ok.io_some_avg60, &ok.io_full_avg60}) {
    ASSERT_TRUE(*f);
    EXPECT_LT(**f, 1.0);
  }
}

}  // namespace
}  // namespace infertune
