#pragma once
// Operating system facts: /etc/os-release (os-release(5)), the kernel release and hostname from
// /proc/sys/kernel, /proc/uptime, and, on the live system only, the machine architecture and glibc version.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

// os-release(5): KEY=VALUE lines; values may be double- or single-quoted (backslash escapes inside double
// quotes and unquoted values); blank lines and lines starting with '#' are ignored. Malformed lines (no '=',
// a key that is not [A-Za-z0-9_]+, an unterminated quote) are skipped. Later keys override earlier ones.
std::map<std::string, std::string> parse_os_release(std::string_view text);

// /proc/uptime: "350735.47 234388.90" -> 350735.47 (seconds since boot); nullopt when malformed.
std::optional<double> parse_uptime(std::string_view text);

// A one-line kernel string file (/proc/sys/kernel/osrelease, hostname): the trimmed line; nullopt when
// empty, longer than one line or holding control characters.
std::optional<std::string> parse_kernel_line(std::string_view text);

void collect_os(const FsRoot& fs, OsFacts& out);

}  // namespace infertune
