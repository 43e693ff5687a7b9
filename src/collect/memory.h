#pragma once
// Host memory facts: /proc/meminfo and the transparent huge page mode.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

// /proc/meminfo: "MemTotal:  3742148 kB" -> {"MemTotal", 3831959552} (kB are converted to bytes);
// lines without a unit ("HugePages_Total:  0") are counts. Malformed lines and values that would overflow
// are skipped; the first occurrence of a key wins.
std::map<std::string, int64_t> parse_meminfo(std::string_view text);

// /sys/kernel/mm/transparent_hugepage/enabled: "always [madvise] never" -> "madvise"; nullopt when no
// single bracketed word.
std::optional<std::string> parse_thp_enabled(std::string_view text);

void collect_memory(const FsRoot& fs, MemoryFacts& out);

}  // namespace infertune
