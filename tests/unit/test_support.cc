#include "test_support.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace infertune::test {

std::string data_path(const std::string& rel) { return std::string(INFERTUNE_TEST_DATA) + "/" + rel; }
std::string source_path(const std::string& rel) { return std::string(INFERTUNE_SOURCE_DIR) + "/" + rel; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TempRoot::TempRoot() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "infertune-test-XXXXXX").string();
  char* d = mkdtemp(tmpl.data());
  path_ = d != nullptr ? d : "";
}

TempRoot::~TempRoot() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void TempRoot::write(const std::string& rel, const std::string& text) const {
  std::filesystem::path p = std::filesystem::path(path_) / rel;
  std::filesystem::create_directories(p.parent_path());
  write_text(p.string(), text);
}

void TempRoot::mkdir(const std::string& rel) const {
  std::filesystem::create_directories(std::filesystem::path(path_) / rel);
}

std::string golden_diff(const std::string& name, const std::string& actual) {
  std::string path = source_path("tests/golden/" + name);
  const char* upd = std::getenv("INFERTUNE_UPDATE_GOLDEN");
  if (upd != nullptr && std::string(upd) == "1") {
    write_text(path, actual);
    return "";
  }
  std::string expected = read_text(path);
  if (expected == actual) return "";
  if (expected.empty()) return "golden file " + path + " is missing or empty (run with INFERTUNE_UPDATE_GOLDEN=1)";
  std::istringstream a(actual), e(expected);
  std::string la, le;
  int line = 0;
  while (true) {
    ++line;
    bool ga = static_cast<bool>(std::getline(a, la));
    bool ge = static_cast<bool>(std::getline(e, le));
    if (!ga && !ge) break;
    if (la != le || ga != ge) {
      return "golden " + name + " differs at line " + std::to_string(line) + ":\n  expected: " + le +
             "\n  actual:   " + la + "\n(INFERTUNE_UPDATE_GOLDEN=1 regenerates)";
    }
  }
  return "golden " + name + " differs (line endings or trailing bytes)";
}

}  // namespace infertune::test
