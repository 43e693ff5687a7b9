// Keeps docs/ in step with the code: the findings catalogue and the snapshot schema.

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>

#include "facts/snapshot_json.h"
#include "rules/rule.h"
#include "test_support.h"
#include "trace/analyses/analyses.h"
#include "trace/memory_snapshot.h"

namespace infertune {
namespace {

TEST(Docs, FindingsCatalogueListsExactlyTheRuleIds) {
  std::string md = test::read_text(test::source_path("docs/findings.md"));
  ASSERT_FALSE(md.empty());
  std::set<std::string> documented;
  std::regex heading(R"(^### ([A-Z0-9][A-Z0-9-]+)\s*$)");
  std::istringstream in(md);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, heading)) documented.insert(m[1]);
  }
  std::set<std::string> in_code;
  for (const auto& r : all_rules()) in_code.insert(r.id);
  for (const auto& r : trace::trace_rule_ids()) in_code.insert(r.id);   // `infertune trace` findings
  for (const auto& r : trace::memory_rule_ids()) in_code.insert(r.id);  // `infertune trace memory` findings
  for (const auto& id : in_code) EXPECT_TRUE(documented.count(id)) << id << " is not in docs/findings.md";
  for (const auto& id : documented) EXPECT_TRUE(in_code.count(id)) << id << " is documented but no rule has it";
}

TEST(Docs, RuleIdsAreUniqueAndWellFormed) {
  std::set<std::string> seen;
  std::regex id_re("^[A-Z0-9]+(-[A-Z0-9]+)+$");
  for (const auto& r : all_rules()) {
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate id " << r.id;
    EXPECT_TRUE(std::regex_match(std::string(r.id), id_re)) << r.id;
  }
  for (const auto& r : trace::trace_rule_ids()) {
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate id " << r.id;
    EXPECT_TRUE(std::regex_match(std::string(r.id), id_re)) << r.id;
    EXPECT_EQ(std::string(r.id).rfind("TRACE-", 0), 0u) << r.id << ": trace finding ids start with TRACE-";
  }
  for (const auto& r : trace::memory_rule_ids()) {
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate id " << r.id;
    EXPECT_EQ(std::string(r.id).rfind("TRACE-MEM-", 0), 0u) << r.id << ": memory snapshot ids start with TRACE-MEM-";
  }
}

TEST(Docs, SnapshotSchemaDocumentsEveryFieldAndNoOther) {
  std::string md = test::read_text(test::source_path("docs/snapshot.md"));
  ASSERT_FALSE(md.empty());
  auto paths = snapshot_field_paths();
  std::set<std::string> code(paths.begin(), paths.end());
  for (const auto& p : paths) {
    EXPECT_NE(md.find("| `" + p + "` |"), std::string::npos) << p << " is not documented in docs/snapshot.md";
  }
  std::regex row(R"(^\| `([a-z_.\[\]0-9]+)` \|)");
  std::istringstream in(md);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      EXPECT_TRUE(code.count(m[1])) << m[1] << " is documented but not in the snapshot";
    }
  }
}

}  // namespace
}  // namespace infertune
