#include "collect/psi.h"

#include "base/strings.h"

namespace infertune {

namespace {
std::optional<PsiLine> parse_line(const std::vector<std::string_view>& fields) {
  PsiLine l;
  int seen = 0;
  for (size_t i = 1; i < fields.size(); ++i) {
    auto eq = fields[i].find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    auto key = fields[i].substr(0, eq);
    auto val = fields[i].substr(eq + 1);
    if (key == "total") {
      auto v = str::parse_u64(val);
      if (!v) return std::nullopt;
      l.total_us = *v;
      continue;
    }
    auto d = str::parse_double(val);
    if (!d || *d < 0 || *d > 100) return std::nullopt;
    if (key == "avg10")
      l.avg10 = *d, seen |= 1;
    else if (key == "avg60")
      l.avg60 = *d, seen |= 2;
    else if (key == "avg300")
      l.avg300 = *d, seen |= 4;
  }
  if (seen != 7) return std::nullopt;
  return l;
}
}  // namespace

std::optional<PsiResource> parse_psi(std::string_view text) {
  PsiResource r;
  for (auto line : str::lines(text)) {
    auto f = str::split_ws(line);
    if (f.empty()) continue;
    if (f[0] == "some")
      r.some = parse_line(f);
    else if (f[0] == "full")
      r.full = parse_line(f);
  }
  if (!r.some && !r.full) return std::nullopt;
  return r;
}

void fill_psi(const char* resource, const Result<std::string>& text, const std::string& source, PsiFacts& out) {
  std::string res = resource;
  std::optional<PsiResource> parsed;
  std::string why;
  if (!text.ok()) {
    why = text.error().message;
  } else {
    parsed = parse_psi(*text);
    if (!parsed) why = source + ": no well-formed some/full line";
  }
  auto put = [&](Fact<double>& f, const std::optional<PsiLine>& line, double PsiLine::*field, const char* kind) {
    if (line) {
      f.set((*line).*field, source);
    } else if (parsed) {
      f.unknown(source + " has no \"" + kind + "\" line");
    } else {
      f.unknown(why);
    }
  };
  std::optional<PsiLine> none;
  if (res == "cpu") {
    put(out.cpu_some_avg10, parsed ? parsed->some : none, &PsiLine::avg10, "some");
    put(out.cpu_some_avg60, parsed ? parsed->some : none, &PsiLine::avg60, "some");
  } else if (res == "memory") {
    put(out.memory_some_avg60, parsed ? parsed->some : none, &PsiLine::avg60, "some");
    put(out.memory_full_avg60, parsed ? parsed->full : none, &PsiLine::avg60, "full");
  } else if (res == "io") {
    put(out.io_some_avg60, parsed ? parsed->some : none, &PsiLine::avg60, "some");
    put(out.io_full_avg60, parsed ? parsed->full : none, &PsiLine::avg60, "full");
  }
}

void collect_system_psi(const FsRoot& fs, PsiFacts& out) {
  collect_psi_files(
      fs, [&](const char* r) { return fs.proc(std::string("pressure/") + r); }, out);
}

}  // namespace infertune
