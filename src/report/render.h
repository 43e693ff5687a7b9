#pragma once
// Renderers: the only code that formats a Report for people or programs. Charts (Report::charts) are drawn
// by the HTML renderer only.

#include <string>
#include <string_view>

#include "report/report.h"

namespace infertune {

enum class Format { kText, kJson, kMarkdown, kHtml };
bool parse_format(std::string_view text, Format& out);

struct RenderOptions {
  bool color = false;    // ANSI colours (text only)
  bool quiet = false;    // findings only
  bool verbose = false;  // also unknown facts and notes
};

std::string render_text(const Report& r, const RenderOptions& o);
std::string render_markdown(const Report& r, const RenderOptions& o);
// One self-contained HTML5 file: inline CSS, charts as inline SVG, no script, nothing fetched (docs/cli.md).
std::string render_html(const Report& r, const RenderOptions& o);
// Text for HTML content and attribute values: & < > " ' escaped; invalid UTF-8, control characters and
// noncharacters replaced by U+FFFD; CR dropped.
std::string html_escape(std::string_view s);
// JSON report schema "infertune.report" (docs/report-json.md).
Json report_to_json(const Report& r);
std::string render(const Report& r, Format f, const RenderOptions& o);

}  // namespace infertune
