#include "base/version.h"

#include <cctype>

namespace infertune {

std::optional<Version> Version::parse(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  if (i < s.size() && (s[i] == 'v' || s[i] == 'V')) ++i;
  Version v;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    long f = 0;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (++digits > 9) return std::nullopt;  // no real version field is this long
      f = f * 10 + (s[i] - '0');
      ++i;
    }
    v.fields_.push_back(f);
    if (i < s.size() && s[i] == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      ++i;
    } else {
      break;
    }
  }
  if (v.fields_.empty()) return std::nullopt;
  size_t plus = s.find('+', i);
  if (plus != std::string_view::npos) v.local_ = std::string(s.substr(plus + 1));
  return v;
}

std::string Version::str() const {
  std::string out;
  for (size_t k = 0; k < fields_.size(); ++k) {
    if (k) out += '.';
    out += std::to_string(fields_[k]);
  }
  if (!local_.empty()) out += "+" + local_;
  return out;
}

std::strong_ordering Version::operator<=>(const Version& o) const {
  size_t n = std::max(fields_.size(), o.fields_.size());
  for (size_t k = 0; k < n; ++k) {
    long a = k < fields_.size() ? fields_[k] : 0;
    long b = k < o.fields_.size() ? o.fields_[k] : 0;
    if (a != b) return a <=> b;
  }
  return std::strong_ordering::equal;
}

}  // namespace infertune
