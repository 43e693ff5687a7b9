#pragma once
// FsRoot: the ONLY place that knows where /proc, /sys, /dev, /etc and /run live.
// Every collector reads the system through it, so tests and offline diagnosis can point it at a
// directory holding a copy of another machine's files (`--root DIR`, env INFERTUNE_ROOT).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace infertune {

// A path on the diagnosed system: `display` is how it is named in evidence ("/proc/meminfo"),
// `real` is where it is read from on this machine (root + display).
struct SysPath {
  std::string display;
  std::string real;
};

// A file read in bounded pieces at given offsets (pread), for files too large to read whole (a CUDA library
// can be a gigabyte). Owns the descriptor; movable, not copyable.
class FileReader {
 public:
  FileReader() = default;
  FileReader(int fd, uint64_t size, std::string display) : fd_(fd), size_(size), display_(std::move(display)) {}
  FileReader(FileReader&& o) noexcept;
  FileReader& operator=(FileReader&& o) noexcept;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;
  ~FileReader();

  uint64_t size() const { return size_; }
  const std::string& display() const { return display_; }
  // Reads up to n bytes at offset into buf; fewer only at the end of the file. Returns the count, or an
  // error naming the file.
  Result<size_t> read_at(uint64_t offset, void* buf, size_t n) const;

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string display_;
};

struct DirEntry {
  std::string name;
  bool is_dir = false;
};

class FsRoot {
 public:
  // `root` "/" (or empty) means this machine.
  explicit FsRoot(std::string root = "/");

  // The root from --root when given, else INFERTUNE_ROOT, else "/". Errors when the directory is absent.
  static Result<FsRoot> resolve(const std::string& flag_value);

  bool is_live() const { return root_.empty(); }
  const std::string& root() const { return root_; }

  SysPath proc(std::string_view rel) const { return make("/proc", rel); }
  SysPath sys(std::string_view rel) const { return make("/sys", rel); }
  SysPath dev(std::string_view rel) const { return make("/dev", rel); }
  SysPath etc(std::string_view rel) const { return make("/etc", rel); }
  SysPath run(std::string_view rel) const { return make("/run", rel); }
  // An absolute path of the diagnosed system taken from data (a mount point in mountinfo, a marker file).
  SysPath system(std::string_view absolute) const;
  // The process whose view is diagnosed: "self" by default, a pid with --pid (later issues).
  SysPath self(std::string_view rel) const;
  void set_process(std::string pid) { process_ = std::move(pid); }
  const std::string& process() const { return process_; }

  // Reads a whole file, at most max_bytes (files in /proc and /sys are small; this bounds garbage).
  // The error names the path and the reason ("cannot read /proc/meminfo: No such file or directory").
  Result<std::string> read(const SysPath& p, size_t max_bytes = 4u << 20) const;
  // Opens a regular file for bounded reads at offsets (FileReader). Errors name the path.
  Result<FileReader> open_reader(const SysPath& p) const;
  // Size of a regular file (following symbolic links), nullopt when it is absent or not a regular file.
  std::optional<uint64_t> file_size(const SysPath& p) const;
  bool exists(const SysPath& p) const;
  bool is_dir(const SysPath& p) const;
  Result<std::vector<DirEntry>> list(const SysPath& p) const;
  // The target of a symbolic link, as stored in the link ("../../../bus/pci/drivers/nvidia").
  Result<std::string> readlink(const SysPath& p) const;
  // Size of the file system holding p (statvfs), for tmpfs mounts such as /dev/shm on a live system.
  std::optional<uint64_t> fs_size_bytes(const SysPath& p) const;
  // Bytes in use on the file system holding p: (f_blocks - f_bfree) * f_frsize (statvfs).
  std::optional<uint64_t> fs_used_bytes(const SysPath& p) const;
  // Whether this process may open p for reading and writing (access(2) with R_OK|W_OK), as a GPU user must
  // open /dev/nvidia*. Meaningful on the live system only: under --root it tests the copy.
  bool can_open_rw(const SysPath& p) const;

 private:
  SysPath make(std::string_view top, std::string_view rel) const;
  std::string root_;  // "" for the live system, otherwise without trailing slash
  std::string process_ = "self";
};

// Reads a file the user named on the command line ("-" = stdin), at most max_bytes. `what` starts each error
// message ("nvidia-smi XML out.xml"): "<what>: cannot open: No such file or directory".
Result<std::string> read_user_file(const std::string& path, size_t max_bytes, const std::string& what);

// Opens a file the user named on the command line for bounded reads at offsets; errors start with `what`.
Result<FileReader> open_user_reader(const std::string& path, const std::string& what);

}  // namespace infertune
