#pragma once
// Renderers: the only code that formats a Report for people or programs.

#include <string>
#include <string_view>

#include "report/report.h"

namespace infertune {

enum class Format { kText, kJson, kMarkdown };
bool parse_format(std::string_view text, Format& out);

struct RenderOptions {
  bool color = false;    // ANSI colours (text only)
  bool quiet = false;    // findings only
  bool verbose = false;  // also unknown facts and notes
};

std::string render_text(const Report& r, const RenderOptions& o);
std::string render_markdown(const Report& r, const RenderOptions& o);
// JSON report schema "infertune.report" (docs/report-json.md).
Json report_to_json(const Report& r);
std::string render(const Report& r, Format f, const RenderOptions& o);

}  // namespace infertune
