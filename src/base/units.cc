#include "base/units.h"

#include <cmath>
#include <cstdio>

namespace infertune::units {

std::string bytes(double b) {
  const char* unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int i = 0;
  double v = b;
  while (std::fabs(v) >= 1024.0 && i < 5) {
    v /= 1024.0;
    ++i;
  }
  char buf[64];
  if (i == 0) {
    std::snprintf(buf, sizeof buf, "%.0f B", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f %s", v, unit[i]);
  }
  return buf;
}

std::string percent(double fraction) {
  char buf[64];
  double p = fraction * 100.0;
  std::snprintf(buf, sizeof buf, p != 0.0 && std::fabs(p) < 1.0 ? "%.2f%%" : "%.1f%%", p);
  return buf;
}

std::string duration_s(double s) {
  char buf[64];
  if (s < 1.0) {
    std::snprintf(buf, sizeof buf, "%.0f ms", s * 1000.0);
  } else if (s < 60.0) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else if (s < 3600.0) {
    std::snprintf(buf, sizeof buf, "%dm %02ds", static_cast<int>(s / 60), static_cast<int>(std::fmod(s, 60.0)));
  } else if (s < 86400.0) {
    std::snprintf(buf, sizeof buf, "%dh %02dm", static_cast<int>(s / 3600),
                  static_cast<int>(std::fmod(s, 3600.0) / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%dd %dh", static_cast<int>(s / 86400),
                  static_cast<int>(std::fmod(s, 86400.0) / 3600));
  }
  return buf;
}

std::string number(double v, int max_decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", max_decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

}  // namespace infertune::units
