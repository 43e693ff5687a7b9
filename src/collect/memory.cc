#include "collect/memory.h"

#include <limits>

#include "base/strings.h"

namespace infertune {

std::map<std::string, int64_t> parse_meminfo(std::string_view text) {
  std::map<std::string, int64_t> out;
  for (std::string_view line : str::lines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string key(str::trim(line.substr(0, colon)));
    auto f = str::split_ws(str::trim(line.substr(colon + 1)));
    if (key.empty() || f.empty() || f.size() > 2) continue;
    auto v = str::parse_i64(f[0]);
    if (!v || *v < 0) continue;
    int64_t value = *v;
    if (f.size() == 2) {
      if (f[1] != "kB") continue;
      if (value > std::numeric_limits<int64_t>::max() / 1024) continue;
      value *= 1024;
    }
    out.emplace(std::move(key), value);
  }
  return out;
}

std::optional<std::string> parse_thp_enabled(std::string_view text) {
  std::optional<std::string> selected;
  for (std::string_view w : str::split_ws(str::trim(text))) {
    if (w.size() > 2 && w.front() == '[' && w.back() == ']') {
      if (selected) return std::nullopt;  // two selections: not this file's format
      selected = std::string(w.substr(1, w.size() - 2));
    }
  }
  return selected;
}

void collect_memory(const FsRoot& fs, MemoryFacts& out) {
  SysPath p = fs.proc("meminfo");
  auto text = fs.read(p, 1 << 16);
  std::map<std::string, int64_t> kv;
  if (text.ok()) kv = parse_meminfo(*text);
  auto put = [&](Fact<int64_t>& f, const char* key) {
    if (!text.ok()) {
      f.unknown(text.error().message);
      return;
    }
    auto it = kv.find(key);
    if (it != kv.end()) {
      f.set(it->second, p.display);
    } else {
      f.unknown(p.display + " has no well-formed " + key + " line");
    }
  };
  put(out.total_bytes, "MemTotal");
  put(out.available_bytes, "MemAvailable");  // kernels before 3.14 lack it
  put(out.swap_total_bytes, "SwapTotal");
  put(out.swap_free_bytes, "SwapFree");
  put(out.hugepages_total, "HugePages_Total");
  put(out.hugepages_free, "HugePages_Free");
  put(out.hugepage_size_bytes, "Hugepagesize");

  SysPath thp = fs.sys("kernel/mm/transparent_hugepage/enabled");
  auto thp_text = fs.read(thp, 4096);
  if (!thp_text.ok()) {
    out.thp_enabled.unknown(thp_text.error().message + " (kernel without transparent huge pages?)");
  } else if (auto mode = parse_thp_enabled(*thp_text)) {
    out.thp_enabled.set(*mode, thp.display);
  } else {
    out.thp_enabled.unknown(thp.display + ": no [selected] mode");
  }
}

}  // namespace infertune
