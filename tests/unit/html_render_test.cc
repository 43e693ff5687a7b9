// The HTML report: escaping, structure, and the SVG charts (zero, one and many points, huge and non-finite
// values, long labels).

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <limits>
#include <string>

#include "report/chart.h"
#include "report/render.h"

namespace infertune {
namespace {

const std::string kNasty = "void k<float, 4>(A&B) \"q\" 'a' </script><b>";
const std::string kNastyEscaped = "void k&lt;float, 4&gt;(A&amp;B) &quot;q&quot; &#39;a&#39; &lt;/script&gt;&lt;b&gt;";

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// A number as the renderer writes coordinates: -?digits.digit
bool is_coord(const std::string& v) {
  size_t i = v.size() > 0 && v[0] == '-' ? 1 : 0, digits = 0;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i, ++digits;
  return digits > 0 && i + 2 == v.size() && v[i] == '.' && std::isdigit(static_cast<unsigned char>(v[i + 1]));
}

// The values of every ` name="…"` attribute in `html`.
std::vector<std::string> attr_values(const std::string& html, const std::string& name) {
  std::vector<std::string> out;
  const std::string key = " " + name + "=\"";
  for (size_t p = html.find(key); p != std::string::npos; p = html.find(key, p + 1)) {
    size_t start = p + key.size(), end = html.find('"', start);
    out.push_back(html.substr(start, end - start));
  }
  return out;
}

// Every numeric SVG attribute is a finite number with one decimal; every path is made of M/L/H/V and numbers.
// (No std::regex: its recursive matcher overflows the stack on long paths under ASan.)
void expect_clean_svg(const std::string& html) {
  size_t n = 0;
  for (const char* name : {"x", "y", "x1", "x2", "y1", "y2", "width", "height", "cx", "cy"}) {
    for (const std::string& v : attr_values(html, name)) {
      EXPECT_TRUE(is_coord(v)) << name << "=" << v;
      ++n;
    }
  }
  EXPECT_GT(n, 0u);
  for (const std::string& d : attr_values(html, "d")) {
    ASSERT_FALSE(d.empty());
    EXPECT_EQ(d[0], 'M') << d.substr(0, 200);
    std::string num;
    for (size_t i = 1; i <= d.size(); ++i) {
      char c = i < d.size() ? d[i] : ' ';
      if (c == 'L' || c == 'H' || c == 'V' || c == ' ') {
        EXPECT_TRUE(is_coord(num)) << "'" << num << "' in " << d.substr(0, 200);
        num.clear();
      } else {
        num += c;
      }
    }
  }
  std::string lower;
  for (char c : html) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower.find("nan"), std::string::npos);
  EXPECT_EQ(lower.find("inf"), std::string::npos);
  EXPECT_EQ(count(html, "<svg"), count(html, "</svg>"));
  EXPECT_EQ(count(html, "<figure"), count(html, "</figure>"));
}

std::string only_charts(const std::string& html) {
  size_t a = html.find("<section id=\"charts\">"), b = html.find("</section>", a);
  return a == std::string::npos ? std::string() : html.substr(a, b - a);
}

Chart bars(std::vector<std::string> labels, std::vector<double> values, std::string unit = "ns") {
  Chart c;
  c.kind = ChartKind::kBar;
  c.id = "bars";
  c.title = "Bars";
  c.unit = std::move(unit);
  c.labels = std::move(labels);
  c.values = std::move(values);
  return c;
}

Chart series(std::vector<ChartPoint> pts, std::string unit = "bytes") {
  Chart c;
  c.kind = ChartKind::kTimeSeries;
  c.id = "line";
  c.title = "Line";
  c.unit = std::move(unit);
  c.series.push_back({"s", std::move(pts), false});
  return c;
}

std::string html_of(const Report& r) { return render_html(r, RenderOptions{}); }

TEST(HtmlEscape, MarkupCharactersAndBadBytes) {
  EXPECT_EQ(html_escape(kNasty), kNastyEscaped);
  EXPECT_EQ(html_escape("µs → 😀 ok"), "µs → 😀 ok");  // valid UTF-8 untouched
  EXPECT_EQ(html_escape("a\xff"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");                                                                  // invalid byte
  EXPECT_EQ(html_escape("a\xC3"), "a\xEF\xBF\xBD");                                // truncated sequence
  EXPECT_EQ(html_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(html_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(html_escape(std::string("a\0b\x01\x7f", 5)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(html_escape("l1\r\nl2\tx"), "l1\nl2\tx");
}

TEST(HtmlReport, FormatParses) {
  Format f = Format::kText;
  ASSERT_TRUE(parse_format("html", f));
  EXPECT_EQ(f, Format::kHtml);
  Report r;
  r.command = "doctor";
  EXPECT_EQ(render(r, Format::kHtml, {}).rfind("<!DOCTYPE html>", 0), 0u);
}

TEST(HtmlReport, EmptyReportIsACompleteDocument) {
  Report r;
  std::string h = html_of(r);
  EXPECT_EQ(h.rfind("<!DOCTYPE html>\n<html lang=\"en\">", 0), 0u);
  EXPECT_NE(h.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(h.find("No findings."), std::string::npos);
  EXPECT_EQ(h.find("id=\"charts\""), std::string::npos);
  EXPECT_NE(h.find("</html>\n"), std::string::npos);
  // Self-contained: nothing fetched, nothing run.
  EXPECT_EQ(h.find("<script"), std::string::npos);
  EXPECT_EQ(h.find("<link"), std::string::npos);
  EXPECT_EQ(h.find("src="), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
  EXPECT_EQ(h.find("url("), std::string::npos);
  EXPECT_NE(h.find("prefers-color-scheme:dark"), std::string::npos);
}

TEST(HtmlReport, EveryTextIsEscaped) {
  Report r;
  r.command = "trace analyze";
  r.subject = kNasty;
  r.sections.push_back({kNasty, {{kNasty, kNasty + "\nsecond line"}}});
  Finding f;
  f.id = "TRACE-X";
  f.severity = Severity::kError;
  f.title = kNasty;
  f.evidence.push_back({kNasty, kNasty, kNasty});
  f.fix = kNasty;
  f.impact = kNasty;
  r.findings.push_back(f);
  r.notes.push_back(kNasty);
  r.unknowns.push_back(kNasty);
  Chart c = bars({kNasty}, {5});
  c.title = kNasty;
  c.caption = kNasty;
  r.charts.push_back(c);
  Chart s = series({{0, 1}, {10, 2}});
  s.series[0].name = kNasty;
  s.reference = 3;
  s.reference_label = kNasty;
  s.x_label = kNasty;
  r.charts.push_back(s);
  RenderOptions o;
  o.verbose = true;
  std::string h = render_html(r, o);
  EXPECT_EQ(h.find(kNasty), std::string::npos);
  EXPECT_EQ(h.find("<b>"), std::string::npos);
  EXPECT_EQ(h.find("</script>"), std::string::npos);
  EXPECT_EQ(h.find("'a'"), std::string::npos);
  // title, subject, section title, label, value, finding title, 3 evidence cells, impact, fix, note, unknown,
  // chart title (figcaption, aria-label x2), bar tooltip, caption, series legend and tooltip, reference x3, x label.
  EXPECT_GE(count(h, "void k&lt;float, 4&gt;(A&amp;B) &quot;q&quot; &#39;a&#39;"), 20u);
  EXPECT_NE(h.find("second line"), std::string::npos);
  EXPECT_NE(h.find("&gt;<br>second line"), std::string::npos);
  EXPECT_NE(h.find("class=\"finding error\""), std::string::npos);
  EXPECT_NE(h.find("class=\"badge error\">error</span>"), std::string::npos);
  expect_clean_svg(only_charts(h));
}

TEST(HtmlReport, FindingsRankedWithSeverityEvidenceAndAdvice) {
  Report r;
  for (auto [id, sev] :
       {std::pair{"A-ERR", Severity::kError}, {"B-WARN", Severity::kWarning}, {"C-INFO", Severity::kInfo}}) {
    Finding f;
    f.id = id;
    f.severity = sev;
    f.title = std::string("title ") + id;
    f.evidence.push_back({"fact", "value", "/proc/x"});
    f.fix = "do this";
    r.findings.push_back(f);
  }
  std::string h = html_of(r);
  size_t a = h.find("A-ERR"), b = h.find("B-WARN"), c = h.find("C-INFO");
  ASSERT_NE(a, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_NE(h.find("<span class=\"rank\">1.</span><span class=\"badge error\">"), std::string::npos);
  EXPECT_NE(h.find("<span class=\"rank\">3.</span><span class=\"badge info\">"), std::string::npos);
  EXPECT_NE(h.find("3 findings (1 error, 1 warning, 1 info)"), std::string::npos);
  EXPECT_NE(h.find("<code>/proc/x</code>"), std::string::npos);
  EXPECT_NE(h.find("<pre>do this</pre>"), std::string::npos);
  EXPECT_NE(h.find("docs/findings.md#a-err"), std::string::npos);
}

TEST(HtmlReport, QuietShowsFindingsOnly) {
  Report r;
  r.sections.push_back({"Host", {{"CPU", "x"}}});
  r.charts.push_back(bars({"a"}, {1}));
  r.notes.push_back("a note");
  RenderOptions o;
  o.quiet = true;
  std::string h = render_html(r, o);
  EXPECT_EQ(h.find("Host"), std::string::npos);
  EXPECT_EQ(h.find("<svg"), std::string::npos);
  EXPECT_EQ(h.find("a note"), std::string::npos);
  EXPECT_NE(h.find("id=\"findings\""), std::string::npos);
}

TEST(HtmlCharts, BarsWithLabelsTooltipsAndAxis) {
  Report r;
  std::string longname(120, 'k');
  r.charts.push_back(bars({"short", longname, "zero"}, {2.5e6, 1.2e6, 0}));
  std::string h = only_charts(html_of(r));
  EXPECT_EQ(count(h, "<g class=\"bar\">"), 3u);
  EXPECT_EQ(count(h, "<rect class=\"bar\""), 3u);
  EXPECT_NE(h.find("<title>short: 2.5 ms</title>"), std::string::npos);
  EXPECT_NE(h.find("<title>" + longname + ": 1.2 ms</title>"), std::string::npos);  // full label in the tooltip
  EXPECT_NE(h.find(">" + std::string(37, 'k') + "…</text>"), std::string::npos);    // shortened on the axis
  EXPECT_NE(h.find(">2.5 ms</text>"), std::string::npos);
  EXPECT_NE(h.find(">0 ns</text>"), std::string::npos);  // axis tick
  EXPECT_NE(h.find("id=\"chart-bars\""), std::string::npos);
  expect_clean_svg(h);
}

TEST(HtmlCharts, NegativeBarsForChanges) {
  Report r;
  r.charts.push_back(bars({"slower", "faster"}, {3e6, -1e6}));
  std::string h = only_charts(html_of(r));
  EXPECT_NE(h.find("class=\"bar up\""), std::string::npos);
  EXPECT_NE(h.find("class=\"bar down\""), std::string::npos);
  EXPECT_NE(h.find("faster: -1 ms"), std::string::npos);
  expect_clean_svg(h);
}

TEST(HtmlCharts, ZeroPointsSayNoData) {
  Report r;
  r.charts.push_back(bars({}, {}));
  r.charts.push_back(series({}));
  Chart none = series({});
  none.series.clear();
  r.charts.push_back(none);
  std::string h = only_charts(html_of(r));
  EXPECT_EQ(count(h, ">no data</text>"), 3u);
  EXPECT_EQ(h.find("<path"), std::string::npos);
}

TEST(HtmlCharts, OnePointIsAMarker) {
  Report r;
  r.charts.push_back(series({{1000, 5 * 1048576.0}}));
  std::string h = only_charts(html_of(r));
  EXPECT_EQ(count(h, "<path class=\"series s0\""), 1u);
  EXPECT_EQ(count(h, "<circle class=\"s0\""), 1u);
  EXPECT_NE(h.find("peak 5 MiB"), std::string::npos);
  expect_clean_svg(h);
}

TEST(HtmlCharts, ManyPointsAreDownsampledKeepingThePeak) {
  std::vector<ChartPoint> pts;
  for (int64_t i = 0; i < 200000; ++i) pts.push_back({i * 1000, static_cast<double>(i % 97) * 1e7});
  pts[123457].y = 3e9;  // one spike
  Report r;
  Chart c = series(pts);
  c.series[0].step = true;
  c.reference = 4e9;
  c.reference_label = "device memory";
  r.charts.push_back(c);
  std::string h = only_charts(html_of(r));
  size_t p = h.find(" d=\"");
  std::string d = h.substr(p, h.find('"', p + 4) - p);
  EXPECT_LE(count(d, "H"), 1001u);
  EXPECT_GE(count(d, "H"), 500u);
  EXPECT_NE(h.find("peak 2.79 GiB at 123 ms"), std::string::npos);  // 3e9 bytes at 123.457 ms
  EXPECT_NE(h.find("<line class=\"ref\""), std::string::npos);
  EXPECT_NE(h.find("<title>device memory</title>"), std::string::npos);
  expect_clean_svg(h);
}

TEST(HtmlCharts, HugeAndNonFiniteValuesStayFinite) {
  Report r;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  r.charts.push_back(bars({"huge", "neg", "n", "i", "max"}, {1e300, -1e300, nan, inf, 1.7e308}, "bytes"));
  r.charts.push_back(bars({"a", "b"}, {1e18, 1e18 + 1}, "count"));
  Chart s = series({{0, 1e300}, {1, nan}, {2, -inf}, {std::numeric_limits<int64_t>::max(), 5}}, "");
  s.reference = inf;
  r.charts.push_back(s);
  r.charts.push_back(series({{std::numeric_limits<int64_t>::min(), 1}, {std::numeric_limits<int64_t>::max(), 2}}, "%"));
  std::string h = only_charts(html_of(r));
  EXPECT_NE(h.find("n: n/a"), std::string::npos);
  expect_clean_svg(h);
}

TEST(ChartFormat, ValuesByUnit) {
  EXPECT_EQ(chart::format_value(0, "ns"), "0 ns");
  EXPECT_EQ(chart::format_value(999, "ns"), "999 ns");
  EXPECT_EQ(chart::format_value(1500, "ns"), "1.5 µs");
  EXPECT_EQ(chart::format_value(2.5e6, "ns"), "2.5 ms");
  EXPECT_EQ(chart::format_value(999999, "ns"), "1 ms");
  EXPECT_EQ(chart::format_value(12.345e9, "ns"), "12.3 s");
  EXPECT_EQ(chart::format_value(-3e6, "ns"), "-3 ms");
  EXPECT_EQ(chart::format_value(1536, "bytes"), "1.5 KiB");
  EXPECT_EQ(chart::format_value(80.0 * 1073741824, "bytes"), "80 GiB");
  EXPECT_EQ(chart::format_value(42.5, "%"), "42.5 %");
  EXPECT_EQ(chart::format_value(1234567, ""), "1.23 M");
  EXPECT_EQ(chart::format_value(12, "calls"), "12 calls");
  EXPECT_EQ(chart::format_value(std::nan(""), "ns"), "n/a");
  EXPECT_EQ(chart::format_value(1e300, "bytes").find("inf"), std::string::npos);
}

TEST(ChartAxis, NiceTicks) {
  chart::Axis a = chart::nice_axis(0, 100, "%");
  EXPECT_EQ(a.ticks, (std::vector<double>{0, 20, 40, 60, 80, 100}));
  chart::Axis b = chart::nice_axis(0, 3.0 * 1073741824, "bytes");
  EXPECT_EQ(b.step, 1073741824.0);  // whole GiB
  EXPECT_EQ(b.ticks.size(), 4u);
  chart::Axis c = chart::nice_axis(0, 7.3e6, "ns");
  EXPECT_EQ(c.step, 2e6);
  EXPECT_EQ(c.hi, 8e6);
  chart::Axis z = chart::nice_axis(0, 0, "ns");
  EXPECT_LT(z.lo, z.hi);
  chart::Axis d = chart::nice_axis(1e18, 1e18 + 1, "");
  EXPECT_LT(d.lo, d.hi);
  EXPECT_LE(d.ticks.size(), 41u);
  chart::Axis e = chart::nice_axis(-std::numeric_limits<double>::max(), std::numeric_limits<double>::infinity(), "");
  EXPECT_TRUE(std::isfinite(e.lo) && std::isfinite(e.hi) && e.lo < e.hi);
}

TEST(ChartDownsample, KeepsMinMaxEndsAndOrder) {
  std::vector<ChartPoint> pts;
  for (int64_t i = 0; i < 10000; ++i) pts.push_back({i, std::sin(static_cast<double>(i) / 50.0)});
  pts[5000].y = 7;
  pts[7000].y = -7;
  auto out = chart::downsample(pts, 1000);
  EXPECT_LE(out.size(), 1000u);
  EXPECT_EQ(out.front().x, 0);
  EXPECT_EQ(out.back().x, 9999);
  bool hi = false, lo = false;
  for (size_t i = 1; i < out.size(); ++i) EXPECT_LT(out[i - 1].x, out[i].x);
  for (const auto& p : out) {
    hi |= p.y == 7;
    lo |= p.y == -7;
  }
  EXPECT_TRUE(hi && lo);
  std::vector<ChartPoint> few = {{0, 1}, {5, 2}};
  EXPECT_EQ(chart::downsample(few, 1000).size(), 2u);
}

TEST(ChartLabels, ShortenCountsCodePoints) {
  EXPECT_EQ(chart::shorten("abc", 3), "abc");
  EXPECT_EQ(chart::shorten("abcd", 3), "ab…");
  EXPECT_EQ(chart::shorten("µµµµ", 3), "µµ…");
}

}  // namespace
}  // namespace infertune
