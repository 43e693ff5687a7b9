#include "collect/mountinfo.h"

#include "base/strings.h"

namespace infertune {

namespace {

bool is_octal(char c) { return c >= '0' && c <= '7'; }

std::optional<MountInfo> parse_line(std::string_view line) {
  auto f = str::split_ws(line);
  // At least: id parent maj:min root mount-point options "-" fstype source super-options.
  if (f.size() < 10) return std::nullopt;
  MountInfo m;
  auto id = str::parse_i64(f[0]);
  auto parent = str::parse_i64(f[1]);
  if (!id || !parent || *id < 0 || *parent < 0) return std::nullopt;
  if (f[2].find(':') == std::string_view::npos) return std::nullopt;
  m.id = *id;
  m.parent_id = *parent;
  m.major_minor = std::string(f[2]);
  m.root = unescape_mount_field(f[3]);
  m.mount_point = unescape_mount_field(f[4]);
  m.options = std::string(f[5]);
  size_t i = 6;
  while (i < f.size() && f[i] != "-") m.optional_fields.emplace_back(f[i++]);
  // The separator must be followed by fstype, source and super options.
  if (i >= f.size() || f.size() - i < 4) return std::nullopt;
  m.fstype = std::string(f[i + 1]);
  m.source = unescape_mount_field(f[i + 2]);
  m.super_options = std::string(f[i + 3]);
  if (m.root.empty() || m.mount_point.empty() || m.mount_point.front() != '/') return std::nullopt;
  return m;
}

}  // namespace

std::string unescape_mount_field(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) && is_octal(s[i + 3])) {
      int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      if (v > 0 && v < 256) {
        out += static_cast<char>(v);
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::vector<MountInfo> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> out;
  for (auto line : str::lines(text)) {
    if (auto m = parse_line(line)) out.push_back(std::move(*m));
  }
  return out;
}

std::optional<std::string> mount_option_value(std::string_view options, std::string_view key) {
  for (auto opt : str::split(options, ',')) {
    auto eq = opt.find('=');
    if (eq != std::string_view::npos && opt.substr(0, eq) == key) return std::string(opt.substr(eq + 1));
  }
  return std::nullopt;
}

bool has_mount_option(std::string_view options, std::string_view flag) {
  for (auto opt : str::split(options, ',')) {
    if (opt == flag) return true;
  }
  return false;
}

const MountInfo* find_mount(const std::vector<MountInfo>& mounts, std::string_view mount_point) {
  const MountInfo* found = nullptr;
  for (const auto& m : mounts) {
    if (m.mount_point == mount_point) found = &m;
  }
  return found;
}

Result<std::vector<MountInfo>> read_mountinfo(const FsRoot& fs) {
  SysPath p = fs.self("mountinfo");
  auto text = fs.read(p);
  if (!text.ok()) return text.error();
  return parse_mountinfo(*text);
}

}  // namespace infertune
