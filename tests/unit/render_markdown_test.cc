// The Markdown renderer: names full of markup characters stay literal text inside table cells.

#include <gtest/gtest.h>

#include <string>

#include "report/render.h"

namespace infertune {
namespace {

Report report_with(const std::string& label, const std::string& value) {
  Report r;
  r.command = "trace";
  r.sections.push_back({"Ops", {{label, value}}});
  return r;
}

TEST(RenderMarkdown, EscapesEmphasisLinksAndPipesInCells) {
  Report r = report_with("__call__", "a*b | [[8, 3]] \\ x_y <T>\nnext");
  std::string md = render_markdown(r, RenderOptions{});
  EXPECT_NE(md.find("| \\_\\_call\\_\\_ | a\\*b \\| \\[\\[8, 3\\]\\] \\\\ x\\_y &lt;T&gt;<br>next |"),
            std::string::npos)
      << md;
}

TEST(RenderMarkdown, LeavesBackticksAndPlainTextAlone) {
  Report r = report_with("note", "profile with `record_shapes=True` (12.5 ms, 3 calls)");
  std::string md = render_markdown(r, RenderOptions{});
  EXPECT_NE(md.find("| note | profile with `record_shapes=True` (12.5 ms, 3 calls) |"), std::string::npos) << md;
}

TEST(RenderMarkdown, EvidenceSourceIsACodeSpanWithoutBackslashEscapes) {
  Report r;
  r.command = "doctor";
  Finding f;
  f.id = "X-Y";
  f.title = "t";
  f.evidence.push_back({"fact", "v", "cpu.max|x"});
  r.findings.push_back(f);
  std::string md = render_markdown(r, RenderOptions{});
  EXPECT_NE(md.find("`cpu.max\\|x`"), std::string::npos) << md;
}

}  // namespace
}  // namespace infertune
