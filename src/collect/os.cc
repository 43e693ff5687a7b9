#include "collect/os.h"

#include <gnu/libc-version.h>
#include <sys/utsname.h>

#include <cmath>

#include "base/strings.h"

namespace infertune {

namespace {

bool is_key_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// Unquotes one os-release value. nullopt when a quote is not closed.
std::optional<std::string> unquote(std::string_view v) {
  std::string out;
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (c == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        char d = v[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < v.size()) {
          char e = v[i + 1];
          if (e == '"' || e == '\\' || e == '$' || e == '`') {
            out += e;
            i += 2;
            continue;
          }
        }
        out += d;
        ++i;
      }
      if (!closed) return std::nullopt;
    } else if (c == '\'') {
      size_t end = v.find('\'', i + 1);
      if (end == std::string_view::npos) return std::nullopt;
      out.append(v.substr(i + 1, end - i - 1));
      i = end + 1;
    } else if (c == '\\' && i + 1 < v.size()) {
      out += v[i + 1];
      i += 2;
    } else if (c == ' ' || c == '\t') {
      // Whitespace outside quotes: a trailing "# comment" ends the value; otherwise keep it (lenient with
      // unquoted values holding spaces, which os-release(5) forbids but some images ship).
      std::string_view rest = str::trim(v.substr(i));
      if (rest.empty() || rest.front() == '#') break;
      out += c;
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_os_release(std::string_view text) {
  std::map<std::string, std::string> out;
  for (std::string_view line : str::lines(text)) {
    line = str::trim(line);
    if (line.empty() || line.front() == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view key = line.substr(0, eq);
    bool ok = true;
    for (char c : key) ok = ok && is_key_char(c);
    if (!ok) continue;
    auto value = unquote(line.substr(eq + 1));
    if (!value) continue;
    out[std::string(key)] = std::move(*value);
  }
  return out;
}

std::optional<double> parse_uptime(std::string_view text) {
  auto f = str::split_ws(str::trim(text));
  if (f.empty() || f.size() > 2) return std::nullopt;
  auto v = str::parse_double(f[0]);
  if (!v || !std::isfinite(*v) || *v < 0) return std::nullopt;
  return v;
}

std::optional<std::string> parse_kernel_line(std::string_view text) {
  std::string_view t = str::trim(text);
  if (t.empty() || t.size() > 256) return std::nullopt;
  for (char c : t) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  }
  return std::string(t);
}

namespace {

void collect_os_release(const FsRoot& fs, OsFacts& out) {
  // /etc/os-release is usually a relative symlink to ../usr/lib/os-release. A copy under --root may hold an
  // absolute link, which would point at this machine's file: follow it inside the root instead.
  SysPath etc = fs.etc("os-release");
  if (!fs.is_live()) {
    auto target = fs.readlink(etc);
    if (target.ok() && !target->empty() && target->front() == '/') etc = fs.system(*target);
  }
  Result<std::string> text = fs.read(etc, 1 << 16);
  SysPath used = etc;
  if (!text.ok()) {
    SysPath lib = fs.system("/usr/lib/os-release");
    Result<std::string> fallback = fs.read(lib, 1 << 16);
    if (fallback.ok()) {
      text = std::move(fallback);
      used = lib;
    }
  }
  if (!text.ok()) {
    std::string why = text.error().message + " (and no /usr/lib/os-release)";
    out.pretty_name.unknown(why);
    out.id.unknown(why);
    out.version_id.unknown(why);
    return;
  }
  auto kv = parse_os_release(*text);
  auto put = [&](Fact<std::string>& f, const char* key) {
    auto it = kv.find(key);
    if (it != kv.end() && !it->second.empty()) {
      f.set(it->second, used.display);
    } else {
      f.unknown(used.display + " has no " + key);
    }
  };
  put(out.pretty_name, "PRETTY_NAME");
  put(out.id, "ID");
  put(out.version_id, "VERSION_ID");
}

void collect_kernel_line(const FsRoot& fs, const char* rel, Fact<std::string>& f) {
  SysPath p = fs.proc(rel);
  auto text = fs.read(p, 4096);
  if (!text.ok()) {
    f.unknown(text.error().message);
    return;
  }
  auto v = parse_kernel_line(*text);
  if (v) {
    f.set(std::move(*v), p.display);
  } else {
    f.unknown(p.display + ": not a single printable line");
  }
}

}  // namespace

void collect_os(const FsRoot& fs, OsFacts& out) {
  collect_os_release(fs, out);
  collect_kernel_line(fs, "sys/kernel/osrelease", out.kernel_release);
  collect_kernel_line(fs, "sys/kernel/hostname", out.hostname);

  SysPath up = fs.proc("uptime");
  auto text = fs.read(up, 4096);
  if (!text.ok()) {
    out.uptime_s.unknown(text.error().message);
  } else if (auto v = parse_uptime(*text)) {
    out.uptime_s.set(*v, up.display);
  } else {
    out.uptime_s.unknown(up.display + ": not \"<seconds> <idle seconds>\"");
  }

  if (fs.is_live()) {
    struct utsname u {};
    if (::uname(&u) == 0) {
      out.arch.set(u.machine, "uname(2)");
    } else {
      out.arch.unknown("uname(2) failed");
    }
    out.glibc_version.set(gnu_get_libc_version(), "gnu_get_libc_version()");
  } else {
    out.arch.unknown("not read from a --root copy");
    out.glibc_version.unknown("not read from a --root copy");
  }
}

}  // namespace infertune
