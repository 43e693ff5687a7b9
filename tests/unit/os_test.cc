#include "collect/os.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "test_support.h"

namespace infertune {
namespace {

std::string root(const std::string& name) { return test::data_path("roots/" + name); }

TEST(OsRelease, ParsesUbuntuWithQuotedAndBareValues) {
  auto kv = parse_os_release(test::read_text(root("baremetal") + "/etc/os-release"));
  EXPECT_EQ(kv["PRETTY_NAME"], "Ubuntu 18.04.3 LTS");
  EXPECT_EQ(kv["ID"], "ubuntu");  // unquoted
  EXPECT_EQ(kv["VERSION_ID"], "18.04");
  EXPECT_EQ(kv["VERSION"], "18.04.3 LTS (Bionic Beaver)");
  EXPECT_EQ(kv["UBUNTU_CODENAME"], "bionic");
}

TEST(OsRelease, ParsesAmazonLinux2WithQuotedId) {
  auto kv = parse_os_release(test::read_text(root("k8s-v1") + "/etc/os-release"));
  EXPECT_EQ(kv["ID"], "amzn");
  EXPECT_EQ(kv["ID_LIKE"], "centos rhel fedora");
  EXPECT_EQ(kv["VERSION_ID"], "2");
  EXPECT_EQ(kv["CPE_NAME"], "cpe:2.3:o:amazon:amazon_linux:2");
}

TEST(OsRelease, CommentsEscapesAndSingleQuotes) {
  auto kv = parse_os_release(
      "# This file is part of systemd.\n"
      "\n"
      "  # indented comment\n"
      "NAME='Fedora Linux'\n"
      "PRETTY_NAME=\"Say \\\"hi\\\" \\$HOME \\\\ done\"\n"
      "VARIANT=\"Server Edition\" # trailing comment\n"
      "VERSION_ID=42\r\n"
      "ID=fedora\n"
      "ID=override\n");
  EXPECT_EQ(kv["NAME"], "Fedora Linux");
  EXPECT_EQ(kv["PRETTY_NAME"], "Say \"hi\" $HOME \\ done");
  EXPECT_EQ(kv["VARIANT"], "Server Edition");
  EXPECT_EQ(kv["VERSION_ID"], "42");
  EXPECT_EQ(kv["ID"], "override");
  EXPECT_EQ(kv.size(), 5u);
}

TEST(OsRelease, MalformedLinesAreSkipped) {
  auto kv = parse_os_release(
      "no equals sign\n"
      "=novalue\n"
      "BAD KEY=1\n"
      "UNTERMINATED=\"open\n"
      "ALSO_BAD='open\n"
      "ID=debian\n"
      "\x01\x02\xff=\xfe\n");
  EXPECT_EQ(kv.size(), 1u);
  EXPECT_EQ(kv["ID"], "debian");
  EXPECT_TRUE(parse_os_release("").empty());
  // Truncated mid-value: the partial quoted value is dropped, earlier keys survive.
  std::string text = test::read_text(root("healthy") + "/etc/os-release");
  auto cut = parse_os_release(text.substr(0, text.find("VERSION=\"13") + 12));  // VERSION="13 (t
  EXPECT_EQ(cut.count("VERSION_ID"), 1u);
  EXPECT_EQ(cut.count("VERSION"), 0u);
}

TEST(Uptime, Parses) {
  EXPECT_DOUBLE_EQ(*parse_uptime("350735.47 234388.90\n"), 350735.47);
  EXPECT_DOUBLE_EQ(*parse_uptime("12.5"), 12.5);
  EXPECT_FALSE(parse_uptime(""));
  EXPECT_FALSE(parse_uptime("abc def"));
  EXPECT_FALSE(parse_uptime("-3 1"));
  EXPECT_FALSE(parse_uptime("nan 1"));
  EXPECT_FALSE(parse_uptime("inf 1"));
  EXPECT_FALSE(parse_uptime("1 2 3"));
}

TEST(KernelLine, Parses) {
  EXPECT_EQ(parse_kernel_line("5.4.0-120-generic\n"), "5.4.0-120-generic");
  EXPECT_FALSE(parse_kernel_line(""));
  EXPECT_FALSE(parse_kernel_line("\n"));
  EXPECT_FALSE(parse_kernel_line("a\nb\n"));
  EXPECT_FALSE(parse_kernel_line(std::string("x\0y", 3)));
  EXPECT_FALSE(parse_kernel_line(std::string(300, 'a')));
}

TEST(OsCollect, BaremetalRoot) {
  OsFacts os;
  collect_os(FsRoot(root("baremetal")), os);
  EXPECT_EQ(*os.pretty_name, "Ubuntu 18.04.3 LTS");
  EXPECT_EQ(os.pretty_name.source, "/etc/os-release");
  EXPECT_EQ(*os.id, "ubuntu");
  EXPECT_EQ(*os.version_id, "18.04");
  EXPECT_EQ(*os.kernel_release, "5.4.0-120-generic");
  EXPECT_EQ(os.kernel_release.source, "/proc/sys/kernel/osrelease");
  EXPECT_EQ(*os.hostname, "gpu-p100-01");
  EXPECT_DOUBLE_EQ(*os.uptime_s, 1843254.16);
  EXPECT_FALSE(os.arch);
  EXPECT_EQ(os.arch.unknown_why, "not read from a --root copy");
  EXPECT_EQ(os.glibc_version.unknown_why, "not read from a --root copy");
}

TEST(OsCollect, AllRoots) {
  struct Case {
    const char* root;
    const char* id;
    const char* version_id;
    const char* kernel;
  };
  for (const Case& c : {Case{"docker-v2", "ubuntu", "24.04", "5.15.0-185-generic"},
                        Case{"k8s-v1", "amzn", "2", "4.14.181-142.260.amzn2.x86_64"},
                        Case{"healthy", "debian", "13", "6.12.48+deb13-amd64"}}) {
    OsFacts os;
    collect_os(FsRoot(root(c.root)), os);
    EXPECT_EQ(os.id.value_or(""), c.id) << c.root;
    EXPECT_EQ(os.version_id.value_or(""), c.version_id) << c.root;
    EXPECT_EQ(os.kernel_release.value_or(""), c.kernel) << c.root;
    EXPECT_TRUE(os.hostname) << c.root;
    EXPECT_TRUE(os.uptime_s) << c.root;
  }
}

// A scratch root directory (mkdtemp: unique when ctest runs tests in parallel).
class TempRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "infertune-os-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void put(const std::string& rel, const std::string& text) {
    auto p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    test::write_text(p.string(), text);
  }
  std::filesystem::path dir_;
};

using OsCollectTemp = TempRoot;

TEST_F(OsCollectTemp, FallsBackToUsrLibOsRelease) {
  put("usr/lib/os-release", "ID=fedora\nVERSION_ID=42\nPRETTY_NAME=\"Fedora Linux 42 (Server Edition)\"\n");
  OsFacts os;
  collect_os(FsRoot(dir_.string()), os);
  EXPECT_EQ(*os.id, "fedora");
  EXPECT_EQ(os.id.source, "/usr/lib/os-release");
}

TEST_F(OsCollectTemp, FollowsAbsoluteSymlinkInsideTheRoot) {
  put("usr/lib/os-release", "ID=debian\n");
  std::filesystem::create_directories(dir_ / "etc");
  std::filesystem::create_symlink("/usr/lib/os-release", dir_ / "etc/os-release");
  OsFacts os;
  collect_os(FsRoot(dir_.string()), os);
  EXPECT_EQ(*os.id, "debian");
  EXPECT_EQ(os.id.source, "/usr/lib/os-release");
  EXPECT_EQ(os.version_id.unknown_why, "/usr/lib/os-release has no VERSION_ID");
}

TEST_F(OsCollectTemp, EmptyRootGivesReasonsNotErrors) {
  OsFacts os;
  collect_os(FsRoot(dir_.string()), os);
  EXPECT_FALSE(os.pretty_name);
  EXPECT_NE(os.pretty_name.unknown_why.find("/etc/os-release"), std::string::npos);
  EXPECT_NE(os.kernel_release.unknown_why.find("/proc/sys/kernel/osrelease"), std::string::npos);
  EXPECT_FALSE(os.hostname);
  EXPECT_FALSE(os.uptime_s);
}

TEST_F(OsCollectTemp, GarbageFiles) {
  put("etc/os-release", std::string("\xff\xfe\x00garbage", 10));
  put("proc/sys/kernel/osrelease", "");
  put("proc/sys/kernel/hostname", "a\nb\n");
  put("proc/uptime", "x y\n");
  OsFacts os;
  collect_os(FsRoot(dir_.string()), os);
  EXPECT_EQ(os.id.unknown_why, "/etc/os-release has no ID");
  EXPECT_FALSE(os.kernel_release);
  EXPECT_FALSE(os.hostname);
  EXPECT_FALSE(os.uptime_s);
}

TEST(OsCollect, LiveSystemReadsArchAndGlibc) {
  OsFacts os;
  collect_os(FsRoot("/"), os);
  ASSERT_TRUE(os.arch);
  EXPECT_FALSE(os.arch->empty());
  ASSERT_TRUE(os.glibc_version);
  EXPECT_EQ(os.glibc_version->substr(0, 2), "2.");
}

}  // namespace
}  // namespace infertune
