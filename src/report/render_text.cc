#include <algorithm>
#include <string>

#include "base/strings.h"
#include "base/units.h"
#include "report/render.h"

namespace infertune {

namespace {

struct Style {
  bool on;
  std::string wrap(const char* code, const std::string& s) const {
    if (!on) return s;
    return std::string("\x1b[") + code + "m" + s + "\x1b[0m";
  }
  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string dim(const std::string& s) const { return wrap("2", s); }
  std::string sev(Severity v, const std::string& s) const {
    switch (v) {
      case Severity::kError: return wrap("1;31", s);
      case Severity::kWarning: return wrap("1;33", s);
      case Severity::kInfo: return wrap("1;36", s);
    }
    return s;
  }
};

// Display width of UTF-8 text (counts code points; the tool prints no wide characters).
size_t width_of(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::string pad(const std::string& s, size_t w) {
  size_t n = width_of(s);
  return n >= w ? s : s + std::string(w - n, ' ');
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return out;
}

// Indents continuation lines of a multi-line value.
std::string indent_rest(const std::string& text, size_t indent) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += std::string(indent, ' ');
  }
  return out;
}

// Word-wraps prose to `width` columns, continuation lines indented by `indent`. Lines that start with a space
// are commands and stay whole.
std::string wrap(const std::string& text, size_t width, size_t indent) {
  std::string out;
  size_t start = 0;
  bool first_line = true;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!first_line) out += "\n" + std::string(indent, ' ');
    first_line = false;
    if (!line.empty() && line[0] == ' ') {
      out += line;
    } else {
      size_t col = 0;
      size_t i = 0;
      while (i < line.size()) {
        size_t sp = line.find(' ', i);
        std::string word = line.substr(i, sp == std::string::npos ? std::string::npos : sp - i);
        if (col > 0 && col + 1 + width_of(word) > width) {
          out += "\n" + std::string(indent, ' ');
          col = 0;
        } else if (col > 0) {
          out += ' ';
          ++col;
        }
        out += word;
        col += width_of(word);
        if (sp == std::string::npos) break;
        i = sp + 1;
      }
    }
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

std::string counts_line(const Report& r) {
  int e = r.count(Severity::kError), w = r.count(Severity::kWarning), i = r.count(Severity::kInfo);
  size_t total = r.findings.size();
  std::string s = std::to_string(total) + (total == 1 ? " finding" : " findings");
  std::vector<std::string> parts;
  if (e) parts.push_back(std::to_string(e) + (e == 1 ? " error" : " errors"));
  if (w) parts.push_back(std::to_string(w) + (w == 1 ? " warning" : " warnings"));
  if (i) parts.push_back(std::to_string(i) + " info");
  if (!parts.empty()) {
    s += " (";
    for (size_t k = 0; k < parts.size(); ++k) s += (k ? ", " : "") + parts[k];
    s += ")";
  }
  return s;
}

}  // namespace

std::string render_text(const Report& r, const RenderOptions& o) {
  Style st{o.color};
  std::string out;
  if (!o.quiet) {
    out += st.bold("infertune " + r.command) + (r.subject.empty() ? "" : "  " + r.subject) + "\n";
    for (const auto& sec : r.sections) {
      out += "\n" + st.bold(sec.title) + "\n";
      size_t lw = 0;
      for (const auto& row : sec.rows) lw = std::max(lw, width_of(row.label));
      for (const auto& row : sec.rows) {
        out += "  " + pad(row.label, lw) + "  " + indent_rest(row.value, lw + 4) + "\n";
      }
    }
    out += "\n";
  }
  if (r.findings.empty()) {
    out += st.bold("No findings.") + " Nothing checked here needs a change.\n";
  } else {
    out += st.bold(counts_line(r) + ", most important first:") + "\n";
    for (const auto& f : r.findings) {
      out += "\n" + st.sev(f.severity, pad(upper(severity_name(f.severity)), 7)) + " " + st.bold(f.id) + "  " +
             f.title + "\n";
      size_t fw = 0, vw = 0;
      for (const auto& e : f.evidence) {
        fw = std::max(fw, width_of(e.fact));
        vw = std::max(vw, width_of(e.value));
      }
      const std::string lead = "        ";
      bool first = true;
      for (const auto& e : f.evidence) {
        out += lead + (first ? "evidence  " : "          ") + pad(e.fact, fw) + "  " +
               (e.source.empty() ? e.value : pad(e.value, vw) + "  " + st.dim(e.source)) + "\n";
        first = false;
      }
      constexpr size_t kTextWidth = 100;
      const size_t body = lead.size() + 10;
      if (!f.impact.empty()) out += lead + "impact    " + wrap(f.impact, kTextWidth - body, body) + "\n";
      if (!f.fix.empty()) out += lead + "fix       " + wrap(f.fix, kTextWidth - body, body) + "\n";
      out += lead + "docs      " + st.dim(f.docs_url()) + "\n";
    }
  }
  if (o.verbose) {
    if (!r.unknowns.empty()) {
      out += "\n" + st.bold("Facts that could not be read") + "\n";
      for (const auto& u : r.unknowns) out += "  " + u + "\n";
    }
    if (r.elapsed_s > 0) out += "\n" + st.dim("finished in " + units::duration_s(r.elapsed_s)) + "\n";
  }
  if (!r.notes.empty() && !o.quiet) {
    out += "\n" + st.bold("Notes") + "\n";
    for (const auto& n : r.notes) out += "  " + n + "\n";
  }
  return out;
}

}  // namespace infertune
