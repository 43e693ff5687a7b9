// FsRoot is the only place that reads the system: checked on the source tree, and its behaviour.

#include "base/fs_root.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "test_support.h"

namespace infertune {
namespace {

void walk(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    std::string p = dir + "/" + n;
    if (e->d_type == DT_DIR)
      walk(p, out);
    else if (n.size() > 3 && (n.substr(n.size() - 3) == ".cc" || n.substr(n.size() - 2) == ".h"))
      out.push_back(p);
  }
  closedir(d);
}

TEST(FsRoot, NoOtherSourceSpellsSystemPathsOrOpensFiles) {
  std::vector<std::string> files;
  walk(test::source_path("src"), files);
  ASSERT_GT(files.size(), 10u);
  std::regex literal(R"re("/(proc|sys|etc|run)(/|"))re");
  std::regex io(R"((\bifstream\b|\bfopen\s*\(|::open\s*\(|\bopendir\s*\(|::stat\s*\())");
  // The files allowed to do raw IO: FsRoot itself, and the readers/writers of files the user names.
  std::set<std::string> io_allowed = {"base/fs_root.cc", "cli/output.cc", "trace/input_stream.cc"};
  for (const auto& f : files) {
    std::string rel = f.substr(test::source_path("src/").size());
    std::string text = test::read_text(f);
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.find("//") != std::string::npos) line = line.substr(0, line.find("//"));
      if (rel != "base/fs_root.cc" && rel != "base/fs_root.h") {
        EXPECT_FALSE(std::regex_search(line, literal)) << rel << ":" << n << " spells a system path: " << line;
      }
      if (!io_allowed.count(rel)) {
        EXPECT_FALSE(std::regex_search(line, io)) << rel << ":" << n << " reads files itself: " << line;
      }
    }
  }
}

TEST(FsRoot, PathsAreJoinedUnderTheRootAndNamedAsOnTheSystem) {
  FsRoot fs("/tmp/x/");
  auto p = fs.proc("meminfo");
  EXPECT_EQ(p.display, "/proc/meminfo");
  EXPECT_EQ(p.real, "/tmp/x/proc/meminfo");
  EXPECT_EQ(fs.sys("/fs/cgroup/cpu.max").real, "/tmp/x/sys/fs/cgroup/cpu.max");
  EXPECT_EQ(fs.system("/.dockerenv").display, "/.dockerenv");
  EXPECT_EQ(fs.self("status").display, "/proc/self/status");
  FsRoot live("/");
  EXPECT_TRUE(live.is_live());
  EXPECT_EQ(live.proc("meminfo").real, "/proc/meminfo");
}

TEST(FsRoot, ReadErrorsNameThePath) {
  FsRoot fs(test::data_path("roots/does-not-exist"));
  auto r = fs.read(fs.proc("meminfo"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot read /proc/meminfo: No such file or directory");
  auto d = fs.read(FsRoot(test::data_path("")).system("/roots"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("is a directory"), std::string::npos);
}

TEST(FsRoot, ResolveRefusesAMissingDirectory) {
  auto r = FsRoot::resolve("/nonexistent-dir-for-test");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "--root /nonexistent-dir-for-test: not a directory");
  EXPECT_EQ(r.error().kind, ErrorKind::kUsage);
}

TEST(FsRoot, ReadIsBounded) {
  FsRoot fs("/");
  auto r = fs.read(fs.system(test::source_path("docs/snapshot.md")), 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("larger than 100 bytes"), std::string::npos);
}

}  // namespace
}  // namespace infertune
