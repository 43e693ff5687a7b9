#include <string>

#include "report/render.h"

namespace infertune {

namespace {
// Escapes characters that would break a table cell or start markup: operator and kernel names are full of
// them ("__call__", "void at::native::(anonymous namespace)::foo<float, 4>", "a*b", "[[8, 3]]"). Backticks are
// left alone: the tool's own texts use them for code.
std::string cell(const std::string& s) {
  std::string out;
  bool code = false;  // inside a `code span`: backslash escapes would show literally there
  for (char c : s) {
    switch (c) {
      case '|': out += "\\|"; break;
      case '\n': out += "<br>"; break;
      case '<': out += code ? "<" : "&lt;"; break;
      case '>': out += code ? ">" : "&gt;"; break;
      case '`':
        code = !code;
        out += c;
        break;
      case '\\':
      case '*':
      case '_':
      case '[':
      case ']':
        if (!code) out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}
// Inside a code span only the table's own pipes and line breaks need care (backslash escapes are literal there).
std::string code_cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else if (c == '`')
      out += '\'';
    else
      out += c;
  }
  return out;
}
const char* badge(Severity s) {
  switch (s) {
    case Severity::kError: return "🔴 error";
    case Severity::kWarning: return "🟠 warning";
    case Severity::kInfo: return "🔵 info";
  }
  return "";
}
}  // namespace

std::string render_markdown(const Report& r, const RenderOptions& o) {
  std::string out = "# infertune " + r.command + "\n\n";
  if (!r.subject.empty()) out += r.subject + "\n\n";
  if (!o.quiet) {
    for (const auto& sec : r.sections) {
      out += "## " + sec.title + "\n\n| | |\n|---|---|\n";
      for (const auto& row : sec.rows) out += "| " + cell(row.label) + " | " + cell(row.value) + " |\n";
      out += "\n";
    }
  }
  out += "## Findings\n\n";
  if (r.findings.empty()) out += "No findings. Nothing checked here needs a change.\n";
  for (const auto& f : r.findings) {
    out += "### " + f.id + " — " + f.title + "\n\n";
    out += std::string("**Severity:** ") + badge(f.severity) + "\n\n";
    if (!f.evidence.empty()) {
      out += "| Evidence | Value | Source |\n|---|---|---|\n";
      for (const auto& e : f.evidence) {
        out += "| " + cell(e.fact) + " | " + cell(e.value) + " | " +
               (e.source.empty() ? "" : "`" + code_cell(e.source) + "`") + " |\n";
      }
      out += "\n";
    }
    if (!f.impact.empty()) out += "**Impact:** " + f.impact + "\n\n";
    if (!f.fix.empty()) out += "**Fix:**\n\n```\n" + f.fix + "\n```\n\n";
    out += "Docs: [" + f.docs_url() + "](" + f.docs_url() + ")\n\n";
  }
  if (o.verbose && !r.unknowns.empty()) {
    out += "## Facts that could not be read\n\n";
    for (const auto& u : r.unknowns) out += "- " + cell(u) + "\n";
    out += "\n";
  }
  if (!r.notes.empty()) {
    out += "## Notes\n\n";
    for (const auto& n : r.notes) out += "- " + cell(n) + "\n";
  }
  return out;
}

}  // namespace infertune
