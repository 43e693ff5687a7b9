// The HTML report: one self-contained HTML5 file (inline CSS and SVG; no script, no external resource), light
// and dark by prefers-color-scheme. Every text from the report is escaped (html_escape).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "base/units.h"
#include "report/chart.h"
#include "report/render.h"

namespace infertune {

namespace {

const char* kCss =
    R"(:root{color-scheme:light dark;--fg:#1d2330;--muted:#5c667a;--bg:#ffffff;--panel:#f5f7fa;--line:#d5dae3;
--grid:#e4e8ef;--bar:#3b6fd8;--neg:#2f9e62;--pos:#d8573b;--err:#c62828;--warn:#b86e00;--info:#1f6fb2;--ref:#c62828;
--s0:#3b6fd8;--s1:#d8573b;--s2:#2f9e62;--s3:#8e5bd0;--s4:#b8860b;--s5:#0e9aa7}
@media (prefers-color-scheme:dark){:root{--fg:#e3e7ee;--muted:#9aa4b5;--bg:#14171c;--panel:#1c2027;--line:#343b47;
--grid:#2a303a;--bar:#6f9bf2;--neg:#4fc48a;--pos:#f0826a;--err:#ff6b6b;--warn:#f0ad3c;--info:#5eb0ef;--ref:#ff6b6b;
--s0:#6f9bf2;--s1:#f0826a;--s2:#4fc48a;--s3:#b48cf0;--s4:#e0b84a;--s5:#3cc8d4}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:0 0 8px}
.subject{margin:0;color:var(--muted);word-break:break-all}.meta{margin:4px 0 0;color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;margin:0 0 8px}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
table.facts th{width:30%;font-weight:600}
.finding{border:1px solid var(--line);border-left:5px solid var(--info);border-radius:6px;padding:12px 14px;
margin:0 0 12px;background:var(--panel)}
.finding.error{border-left-color:var(--err)}.finding.warning{border-left-color:var(--warn)}
.badge{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;padding:1px 7px;
border-radius:9px;color:#fff;background:var(--info);margin-right:6px;vertical-align:1px}
.badge.error{background:var(--err)}.badge.warning{background:var(--warn)}
.rank{color:var(--muted);font-weight:400;margin-right:4px}.id{font-family:ui-monospace,Menlo,Consolas,monospace}
pre{background:var(--bg);border:1px solid var(--line);border-radius:4px;padding:8px;overflow-x:auto;white-space:pre-wrap;
margin:4px 0}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.label{color:var(--muted);font-weight:600;margin-right:6px}
figure{margin:0 0 20px;padding:12px;border:1px solid var(--line);border-radius:6px;background:var(--panel)}
figcaption{font-weight:600;margin-bottom:6px}.caption{color:var(--muted);font-size:12px;margin:4px 0 0}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{fill:var(--fg);font-size:12px;font-family:system-ui,sans-serif}
svg.chart text.tick{fill:var(--muted);font-size:11px}
svg.chart .grid{stroke:var(--grid);stroke-width:1}svg.chart .axis{stroke:var(--muted);stroke-width:1}
svg.chart rect.bar{fill:var(--bar)}svg.chart rect.bar.up{fill:var(--pos)}svg.chart rect.bar.down{fill:var(--neg)}
svg.chart path.series{fill:none;stroke-width:1.6;stroke-linejoin:round}
svg.chart .ref{stroke:var(--ref);stroke-width:1.2;stroke-dasharray:6 4}svg.chart text.ref-label{fill:var(--ref)}
.s0{stroke:var(--s0);fill:var(--s0)}.s1{stroke:var(--s1);fill:var(--s1)}.s2{stroke:var(--s2);fill:var(--s2)}
.s3{stroke:var(--s3);fill:var(--s3)}.s4{stroke:var(--s4);fill:var(--s4)}.s5{stroke:var(--s5);fill:var(--s5)}
ul.legend{list-style:none;margin:4px 0 0;padding:0;font-size:12px}ul.legend li{display:inline-block;margin-right:16px}
ul.legend .swatch{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:5px;border:0}
.swatch.s0{background:var(--s0)}.swatch.s1{background:var(--s1)}.swatch.s2{background:var(--s2)}
.swatch.s3{background:var(--s3)}.swatch.s4{background:var(--s4)}.swatch.s5{background:var(--s5)}
.swatch.ref{background:var(--ref)}
.empty{color:var(--muted);font-style:italic}
ul.notes{padding-left:20px;color:var(--muted)}
footer{margin-top:28px;color:var(--muted);font-size:12px})";

constexpr size_t kPalette = 6;

std::string esc(const std::string& s) { return html_escape(s); }

// Escaped, with line breaks kept.
std::string esc_lines(const std::string& s) {
  std::string e = esc(s), out;
  for (char c : e) {
    if (c == '\n')
      out += "<br>";
    else
      out += c;
  }
  return out;
}

// A coordinate: one decimal, always finite.
std::string coord(double v) {
  if (!std::isfinite(v)) v = 0;
  return fmt::format("{:.1f}", v);
}

std::string anchor(const std::string& s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    out += ok ? c : '-';
  }
  return out;
}

const char* sev_class(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kInfo: return "info";
  }
  return "info";
}

std::string no_data_svg(const std::string& what) {
  return "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 880 40\" role=\"img\">"
         "<text class=\"empty\" x=\"10\" y=\"25\">" +
         esc(what) + "</text></svg>\n";
}

std::string bar_chart_svg(const Chart& c) {
  size_t n = std::min(c.labels.size(), c.values.size());
  if (n == 0) return no_data_svg("no data");
  constexpr double kW = 880, kLabelW = 300, kValueW = 96, kRow = 24, kBar = 17, kTop = 8;
  const double left = kLabelW + 8, right = kW - kValueW;
  double lo = 0, hi = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(c.values[i])) continue;
    lo = std::min(lo, c.values[i]);
    hi = std::max(hi, c.values[i]);
  }
  chart::Axis ax = chart::nice_axis(lo, hi, c.unit);
  auto xpos = [&](double v) {
    v = std::clamp(v, ax.lo, ax.hi);
    return left + (v - ax.lo) / (ax.hi - ax.lo) * (right - left);
  };
  const double bottom = kTop + kRow * static_cast<double>(n);
  const double height = bottom + 26;
  std::string s = fmt::format(
      "<svg class=\"chart bar-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"{}\">\n",
      coord(kW), coord(height), esc(c.title));
  for (double t : ax.ticks) {
    std::string x = coord(xpos(t));
    s += "<line class=\"grid\" x1=\"" + x + "\" y1=\"" + coord(kTop - 4) + "\" x2=\"" + x + "\" y2=\"" + coord(bottom) +
         "\"/>";
    s += "<text class=\"tick\" x=\"" + x + "\" y=\"" + coord(bottom + 16) + "\" text-anchor=\"middle\">" +
         esc(chart::format_value(t, c.unit)) + "</text>\n";
  }
  std::string zero = coord(xpos(0));
  s += "<line class=\"axis\" x1=\"" + zero + "\" y1=\"" + coord(kTop - 4) + "\" x2=\"" + zero + "\" y2=\"" +
       coord(bottom) + "\"/>\n";
  for (size_t i = 0; i < n; ++i) {
    double v = c.values[i];
    bool finite = std::isfinite(v);
    if (!finite) v = 0;
    double y = kTop + kRow * static_cast<double>(i);
    double x0 = xpos(0), x1 = xpos(v);
    std::string value_text = chart::format_value(c.values[i], c.unit);
    std::string cls = "bar";
    if (ax.lo < 0) cls += v > 0 ? " up" : " down";  // a chart of changes: growth and shrinkage in two colours
    s += "<g class=\"bar\"><title>" + esc(c.labels[i]) + ": " + esc(value_text) + "</title>";
    s += "<text class=\"bar-label\" x=\"" + coord(kLabelW) + "\" y=\"" + coord(y + kBar - 4) +
         "\" text-anchor=\"end\">" + esc(chart::shorten(c.labels[i], 38)) + "</text>";
    s += "<rect class=\"" + cls + "\" x=\"" + coord(std::min(x0, x1)) + "\" y=\"" + coord(y) + "\" width=\"" +
         coord(std::max(std::fabs(x1 - x0), v != 0 ? 1.0 : 0.0)) + "\" height=\"" + coord(kBar) + "\"/>";
    s += "<text class=\"bar-value\" x=\"" + coord(right + 6) + "\" y=\"" + coord(y + kBar - 4) + "\">" +
         esc(value_text) + "</text></g>\n";
  }
  s += "</svg>\n";
  return s;
}

struct Drawn {
  std::string name;
  std::vector<ChartPoint> points;
  bool step = false;
};

std::string series_chart_svg(const Chart& c, std::string& legend) {
  std::vector<Drawn> drawn;
  bool any = false;
  int64_t xmin = std::numeric_limits<int64_t>::max(), xmax = std::numeric_limits<int64_t>::min();
  double ymin = 0, ymax = 0;
  for (const ChartSeries& sr : c.series) {
    Drawn d{sr.name, {}, sr.step};
    for (const ChartPoint& p : sr.points) {
      if (std::isfinite(p.y)) d.points.push_back(p);
    }
    std::sort(d.points.begin(), d.points.end(), [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
    d.points = chart::downsample(d.points, 1000);
    for (const ChartPoint& p : d.points) {
      any = true;
      xmin = std::min(xmin, p.x);
      xmax = std::max(xmax, p.x);
      ymin = std::min(ymin, p.y);
      ymax = std::max(ymax, p.y);
    }
    drawn.push_back(std::move(d));
  }
  if (!any) return no_data_svg("no data");
  bool ref = c.reference && std::isfinite(*c.reference);
  if (ref) ymax = std::max(ymax, *c.reference);
  constexpr double kW = 880, kH = 300, kLeft = 78, kRight = kW - 20, kTop = 14, kBottom = kH - 44;
  int64_t origin = c.x_origin ? *c.x_origin : xmin;
  double xlo = static_cast<double>(xmin) - static_cast<double>(origin);
  double xhi = static_cast<double>(xmax) - static_cast<double>(origin);
  if (!(xhi > xlo)) {  // one instant: centre it in a small window
    xlo -= 1;
    xhi += 1;
  }
  chart::Axis xa = chart::nice_axis(xlo, xhi, "ns", 8);
  chart::Axis ya = chart::nice_axis(ymin, ymax, c.unit);
  auto xpos = [&](int64_t x) {
    double v = static_cast<double>(x) - static_cast<double>(origin);
    return kLeft + (v - xlo) / (xhi - xlo) * (kRight - kLeft);
  };
  auto ypos = [&](double y) {
    y = std::clamp(y, ya.lo, ya.hi);
    return kBottom - (y - ya.lo) / (ya.hi - ya.lo) * (kBottom - kTop);
  };
  std::string s = fmt::format(
      "<svg class=\"chart series-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"{}\">\n",
      coord(kW), coord(kH), esc(c.title));
  for (double t : ya.ticks) {
    std::string y = coord(kBottom - (t - ya.lo) / (ya.hi - ya.lo) * (kBottom - kTop));
    s += "<line class=\"grid\" x1=\"" + coord(kLeft) + "\" y1=\"" + y + "\" x2=\"" + coord(kRight) + "\" y2=\"" + y +
         "\"/><text class=\"tick\" x=\"" + coord(kLeft - 6) + "\" y=\"" + y + "\" dy=\"4\" text-anchor=\"end\">" +
         esc(chart::format_value(t, c.unit)) + "</text>\n";
  }
  for (double t : xa.ticks) {
    if (t < xlo - 1e-9 * xa.step || t > xhi + 1e-9 * xa.step) continue;
    std::string x = coord(kLeft + (t - xlo) / (xhi - xlo) * (kRight - kLeft));
    s += "<line class=\"grid\" x1=\"" + x + "\" y1=\"" + coord(kTop) + "\" x2=\"" + x + "\" y2=\"" + coord(kBottom) +
         "\"/><text class=\"tick\" x=\"" + x + "\" y=\"" + coord(kBottom + 16) + "\" text-anchor=\"middle\">" +
         esc(chart::format_value(t, "ns")) + "</text>\n";
  }
  s += "<line class=\"axis\" x1=\"" + coord(kLeft) + "\" y1=\"" + coord(kBottom) + "\" x2=\"" + coord(kRight) +
       "\" y2=\"" + coord(kBottom) + "\"/><line class=\"axis\" x1=\"" + coord(kLeft) + "\" y1=\"" + coord(kTop) +
       "\" x2=\"" + coord(kLeft) + "\" y2=\"" + coord(kBottom) + "\"/>\n";
  if (!c.x_label.empty()) {
    s += "<text class=\"tick\" x=\"" + coord((kLeft + kRight) / 2) + "\" y=\"" + coord(kH - 6) +
         "\" text-anchor=\"middle\">" + esc(c.x_label) + "</text>\n";
  }
  for (size_t i = 0; i < drawn.size(); ++i) {
    const Drawn& d = drawn[i];
    std::string cls = "s" + std::to_string(i % kPalette);
    legend += "<li><span class=\"swatch " + cls + "\"></span>" + esc(d.name) + "</li>";
    if (d.points.empty()) continue;
    const ChartPoint* peak = &d.points.front();
    for (const ChartPoint& p : d.points) {
      if (p.y > peak->y) peak = &p;
    }
    std::string tip = fmt::format("{}: peak {} at {}; {} points drawn", d.name, chart::format_value(peak->y, c.unit),
                                  chart::format_value(static_cast<double>(peak->x) - static_cast<double>(origin), "ns"),
                                  d.points.size());
    std::string y_now = coord(ypos(d.points[0].y));
    std::string path = "M" + coord(xpos(d.points[0].x)) + " " + y_now, pending_h;
    for (size_t k = 1; k < d.points.size(); ++k) {
      std::string x = coord(xpos(d.points[k].x)), y = coord(ypos(d.points[k].y));
      if (!d.step) {
        path += "L" + x + " " + y;
      } else if (y == y_now) {
        pending_h = x;  // the level goes on: one H for the whole run
      } else {
        path += "H" + x + "V" + y;
        pending_h.clear();
        y_now = y;
      }
    }
    if (!pending_h.empty()) path += "H" + pending_h;
    s += "<path class=\"series " + cls + "\" d=\"" + path + "\"><title>" + esc(tip) + "</title></path>\n";
    if (d.points.size() == 1) {
      s += "<circle class=\"" + cls + "\" cx=\"" + coord(xpos(d.points[0].x)) + "\" cy=\"" +
           coord(ypos(d.points[0].y)) + "\" r=\"3\"><title>" + esc(tip) + "</title></circle>\n";
    }
  }
  if (ref) {
    std::string y = coord(ypos(*c.reference));
    std::string label = c.reference_label.empty() ? chart::format_value(*c.reference, c.unit) : c.reference_label;
    s += "<line class=\"ref\" x1=\"" + coord(kLeft) + "\" y1=\"" + y + "\" x2=\"" + coord(kRight) + "\" y2=\"" + y +
         "\"><title>" + esc(label) + "</title></line><text class=\"ref-label\" x=\"" + coord(kRight - 4) + "\" y=\"" +
         y + "\" dy=\"-4\" text-anchor=\"end\">" + esc(label) + "</text>\n";
    legend += "<li><span class=\"swatch ref\"></span>" + esc(label) + "</li>";
  }
  s += "</svg>\n";
  return s;
}

std::string chart_figure(const Chart& c, size_t index) {
  std::string id = c.id.empty() ? "chart-" + std::to_string(index + 1) : "chart-" + anchor(c.id);
  std::string out = "<figure class=\"chart\" id=\"" + esc(id) + "\"><figcaption>" + esc(c.title) + "</figcaption>\n";
  std::string legend;
  out += c.kind == ChartKind::kBar ? bar_chart_svg(c) : series_chart_svg(c, legend);
  if (!legend.empty()) out += "<ul class=\"legend\">" + legend + "</ul>\n";
  if (!c.caption.empty()) out += "<p class=\"caption\">" + esc(c.caption) + "</p>\n";
  out += "</figure>\n";
  return out;
}

std::string counts_text(const Report& r) {
  int e = r.count(Severity::kError), w = r.count(Severity::kWarning), i = r.count(Severity::kInfo);
  size_t total = r.findings.size();
  return fmt::format("{} {} ({} error{}, {} warning{}, {} info)", total, total == 1 ? "finding" : "findings", e,
                     e == 1 ? "" : "s", w, w == 1 ? "" : "s", i);
}

std::string finding_html(const Finding& f, size_t rank) {
  const char* sc = sev_class(f.severity);
  std::string out = std::string("<article class=\"finding ") + sc + "\">\n<h3><span class=\"rank\">" +
                    std::to_string(rank) + ".</span><span class=\"badge " + sc + "\">" + sc +
                    "</span><span class=\"id\">" + esc(f.id) + "</span> — " + esc(f.title) + "</h3>\n";
  if (!f.evidence.empty()) {
    out += "<table class=\"evidence\"><thead><tr><th>Evidence</th><th>Value</th><th>Source</th></tr></thead><tbody>\n";
    for (const Evidence& e : f.evidence) {
      out += "<tr><td>" + esc_lines(e.fact) + "</td><td>" + esc_lines(e.value) + "</td><td>" +
             (e.source.empty() ? std::string() : "<code>" + esc(e.source) + "</code>") + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  if (!f.impact.empty())
    out += "<p class=\"impact\"><span class=\"label\">Impact</span>" + esc_lines(f.impact) + "</p>\n";
  if (!f.fix.empty()) out += "<div class=\"fix\"><span class=\"label\">Fix</span><pre>" + esc(f.fix) + "</pre></div>\n";
  out += "<p class=\"docs\"><span class=\"label\">Docs</span><code>" + esc(f.docs_url()) + "</code></p>\n";
  out += "</article>\n";
  return out;
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        case '\t':
        case '\n': out += static_cast<char>(c); break;
        case '\r': break;
        default:
          if (c < 0x20 || c == 0x7F)
            out += kReplacement;  // control characters are not allowed in HTML text
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A well-formed UTF-8 sequence is copied; anything else becomes U+FFFD, one byte at a time.
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    bool ok = len > 0 && i + len <= s.size();
    uint32_t cp = 0;
    if (ok) {
      cp = len == 2 ? c & 0x1Fu : len == 3 ? c & 0x0Fu : c & 0x07u;
      for (size_t k = 1; k < len; ++k) {
        auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (cc & 0x3Fu);
      }
    }
    if (ok) {
      bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
      bool bad = cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F) ||
                 (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
      ok = !overlong && !bad;
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      ++i;
    }
  }
  return out;
}

std::string render_html(const Report& r, const RenderOptions& o) {
  std::string title = "infertune " + r.command + (r.subject.empty() ? "" : " — " + r.subject);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"infertune " +
      esc(r.tool_version) + "\">\n<title>" + esc(title) + "</title>\n<style>\n" + kCss +
      "\n</style>\n</head>\n<body>\n<header>\n<h1>infertune " + esc(r.command) + "</h1>\n";
  if (!r.subject.empty()) out += "<p class=\"subject\">" + esc(r.subject) + "</p>\n";
  out += "<p class=\"meta\">" + esc(counts_text(r));
  if (!r.tool_version.empty()) out += " · infertune " + esc(r.tool_version);
  out += "</p>\n</header>\n<main>\n";

  out += "<section id=\"findings\">\n<h2>Findings</h2>\n";
  if (r.findings.empty()) out += "<p class=\"empty\">No findings. Nothing checked here needs a change.</p>\n";
  for (size_t i = 0; i < r.findings.size(); ++i) out += finding_html(r.findings[i], i + 1);
  out += "</section>\n";

  if (!o.quiet) {
    if (!r.charts.empty()) {
      out += "<section id=\"charts\">\n<h2>Charts</h2>\n";
      for (size_t i = 0; i < r.charts.size(); ++i) out += chart_figure(r.charts[i], i);
      out += "</section>\n";
    }
    for (size_t i = 0; i < r.sections.size(); ++i) {
      const Section& sec = r.sections[i];
      out += "<section class=\"summary\" id=\"section-" + std::to_string(i + 1) + "\">\n<h2>" + esc(sec.title) +
             "</h2>\n<table class=\"facts\"><tbody>\n";
      for (const Row& row : sec.rows) {
        out += "<tr><th scope=\"row\">" + esc_lines(row.label) + "</th><td>" + esc_lines(row.value) + "</td></tr>\n";
      }
      out += "</tbody></table>\n</section>\n";
    }
  }
  if (o.verbose && !r.unknowns.empty()) {
    out += "<section id=\"unknowns\">\n<h2>Facts that could not be read</h2>\n<ul class=\"notes\">\n";
    for (const auto& u : r.unknowns) out += "<li>" + esc_lines(u) + "</li>\n";
    out += "</ul>\n</section>\n";
  }
  if (!o.quiet && !r.notes.empty()) {
    out += "<section id=\"notes\">\n<h2>Notes</h2>\n<ul class=\"notes\">\n";
    for (const auto& n : r.notes) out += "<li>" + esc_lines(n) + "</li>\n";
    out += "</ul>\n</section>\n";
  }
  out += "</main>\n<footer>Generated by infertune";
  if (!r.tool_version.empty()) out += " " + esc(r.tool_version);
  if (o.verbose && r.elapsed_s > 0) out += " in " + esc(units::duration_s(r.elapsed_s));
  out += ". Self-contained: no scripts, no external resources.</footer>\n</body>\n</html>\n";
  return out;
}

}  // namespace infertune
