#pragma once
// Helpers shared by the unit tests: fixture paths, reading files, golden comparison.

#include <string>

namespace infertune::test {

// Absolute path of tests/data/<rel>.
std::string data_path(const std::string& rel);
// Absolute path of <source tree>/<rel>.
std::string source_path(const std::string& rel);
std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);
// A scratch directory for hand-made trees (fake roots); removed with everything in it when destroyed.
class TempRoot {
 public:
  TempRoot();
  ~TempRoot();
  TempRoot(const TempRoot&) = delete;
  TempRoot& operator=(const TempRoot&) = delete;
  const std::string& path() const { return path_; }
  // Writes `text` to <root>/<rel>, creating the directories on the way.
  void write(const std::string& rel, const std::string& text) const;
  void mkdir(const std::string& rel) const;

 private:
  std::string path_;
};

// Compares `actual` with tests/golden/<name>; with INFERTUNE_UPDATE_GOLDEN=1 rewrites the file instead.
// Returns "" on match, otherwise a description of the first difference.
std::string golden_diff(const std::string& name, const std::string& actual);

}  // namespace infertune::test
