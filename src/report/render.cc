#include "report/render.h"

namespace infertune {

bool parse_format(std::string_view text, Format& out) {
  if (text == "text")
    out = Format::kText;
  else if (text == "json")
    out = Format::kJson;
  else if (text == "markdown" || text == "md")
    out = Format::kMarkdown;
  else if (text == "html")
    out = Format::kHtml;
  else
    return false;
  return true;
}

Json report_to_json(const Report& r) {
  Json j = Json::object();
  j["schema"] = "infertune.report";
  j["schema_version"] = "1.0";
  j["tool_version"] = r.tool_version;
  j["command"] = r.command;
  j["subject"] = r.subject;
  j["counts"] = {{"error", r.count(Severity::kError)},
                 {"warning", r.count(Severity::kWarning)},
                 {"info", r.count(Severity::kInfo)}};
  Json findings = Json::array();
  for (const auto& f : r.findings) {
    Json ev = Json::array();
    for (const auto& e : f.evidence) ev.push_back({{"fact", e.fact}, {"value", e.value}, {"source", e.source}});
    findings.push_back({{"id", f.id},
                        {"severity", std::string(severity_name(f.severity))},
                        {"title", f.title},
                        {"evidence", ev},
                        {"fix", f.fix},
                        {"impact", f.impact.empty() ? Json(nullptr) : Json(f.impact)},
                        {"docs", f.docs_url()}});
  }
  j["findings"] = findings;
  Json sections = Json::array();
  for (const auto& s : r.sections) {
    Json rows = Json::array();
    for (const auto& row : s.rows) rows.push_back({{"label", row.label}, {"value", row.value}});
    sections.push_back({{"title", s.title}, {"rows", rows}});
  }
  j["summary"] = sections;
  j["notes"] = r.notes;
  if (r.data) j["data"] = *r.data;
  return j;
}

std::string render(const Report& r, Format f, const RenderOptions& o) {
  switch (f) {
    case Format::kText: return render_text(r, o);
    case Format::kMarkdown: return render_markdown(r, o);
    case Format::kHtml: return render_html(r, o);
    case Format::kJson: return json_text(report_to_json(r));
  }
  return {};
}

}  // namespace infertune
