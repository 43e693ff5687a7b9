#pragma once
// /proc/<pid>/mountinfo (kernel Documentation/filesystems/proc.rst, "3.5 /proc/<pid>/mountinfo"):
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   (1)(2) (3)   (4)   (5)      (6)        (7)  (8) (9)    (10)       (11)
// id, parent id, major:minor, root of the mount inside its file system, mount point, per-mount options,
// zero or more optional fields ("shared:N", "master:N", ...), a "-" separator, file system type, source,
// super block options. Paths escape space, tab, newline and backslash as octal (\040, \011, \012, \134).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs_root.h"
#include "base/result.h"

namespace infertune {

struct MountInfo {
  int64_t id = 0;
  int64_t parent_id = 0;
  std::string major_minor;  // "0:27"
  std::string root;         // unescaped; "/" or a path inside the file system ("/docker/<id>", "/../..")
  std::string mount_point;  // unescaped
  std::string options;      // per-mount options, "rw,nosuid,nodev"
  std::vector<std::string> optional_fields;  // "shared:4", "master:1"
  std::string fstype;                        // "cgroup2", "tmpfs", "overlay"
  std::string source;                        // unescaped; "shm", "/dev/sda1", "overlay"
  std::string super_options;                 // "rw,size=65536k"
};

// Parses every well-formed line; malformed lines (too few fields, no "-" separator, non-numeric ids) are skipped.
std::vector<MountInfo> parse_mountinfo(std::string_view text);

// Undoes the kernel's octal escapes ("\040" -> ' '); anything that is not a valid 3-digit octal escape is kept.
std::string unescape_mount_field(std::string_view s);

// The value of `key=value` in a comma-separated option list ("size" in "rw,size=65536k" -> "65536k").
std::optional<std::string> mount_option_value(std::string_view options, std::string_view key);
// Whether a bare flag ("rw", "cpu", "nsdelegate") is in a comma-separated option list.
bool has_mount_option(std::string_view options, std::string_view flag);

// The mount visible at `mount_point` (the last one listed wins: later mounts cover earlier ones); null if none.
const MountInfo* find_mount(const std::vector<MountInfo>& mounts, std::string_view mount_point);

// Reads and parses fs.self("mountinfo"); the error names the file.
Result<std::vector<MountInfo>> read_mountinfo(const FsRoot& fs);

}  // namespace infertune
