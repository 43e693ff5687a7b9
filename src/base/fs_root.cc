#include "base/fs_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace infertune {

namespace {
std::string normalise_root(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root == "/") root.clear();
  return root;
}
}  // namespace

FsRoot::FsRoot(std::string root) : root_(normalise_root(std::move(root))) {}

Result<FsRoot> FsRoot::resolve(const std::string& flag_value) {
  std::string root = flag_value;
  std::string origin = "--root";
  if (root.empty()) {
    const char* env = std::getenv("INFERTUNE_ROOT");
    if (env != nullptr && *env != '\0') {
      root = env;
      origin = "INFERTUNE_ROOT";
    }
  }
  if (root.empty()) return FsRoot("/");
  struct stat st {};
  if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return usage_error(origin + " " + root + ": not a directory");
  }
  return FsRoot(root);
}

SysPath FsRoot::make(std::string_view top, std::string_view rel) const {
  std::string display(top);
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  if (!rel.empty()) {
    display += '/';
    display += rel;
  }
  return {display, root_ + display};
}

SysPath FsRoot::system(std::string_view absolute) const {
  std::string display(absolute);
  if (display.empty() || display.front() != '/') display.insert(display.begin(), '/');
  return {display, root_ + display};
}

SysPath FsRoot::self(std::string_view rel) const {
  std::string r = process_;
  r += '/';
  r += rel;
  return proc(r);
}

Result<std::string> FsRoot::read(const SysPath& p, size_t max_bytes) const {
  int fd = ::open(p.real.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return input_error("cannot read " + p.display + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return input_error("cannot read " + p.display + ": is a directory");
  }
  std::string out;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return input_error("cannot read " + p.display + ": " + std::strerror(e));
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return input_error("cannot read " + p.display + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

FileReader::FileReader(FileReader&& o) noexcept : fd_(o.fd_), size_(o.size_), display_(std::move(o.display_)) {
  o.fd_ = -1;
}

FileReader& FileReader::operator=(FileReader&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    size_ = o.size_;
    display_ = std::move(o.display_);
    o.fd_ = -1;
  }
  return *this;
}

FileReader::~FileReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<size_t> FileReader::read_at(uint64_t offset, void* buf, size_t n) const {
  if (fd_ < 0) return input_error("cannot read " + display_ + ": not open");
  size_t done = 0;
  auto* out = static_cast<char*>(buf);
  while (done < n) {
    ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return input_error("cannot read " + display_ + ": " + std::strerror(errno));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

namespace {
Result<FileReader> open_reader_at(const std::string& real, const std::string& display, const std::string& prefix) {
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return input_error(prefix + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return input_error(prefix + "not a regular file");
  }
  return FileReader(fd, static_cast<uint64_t>(st.st_size), display);
}
}  // namespace

Result<FileReader> FsRoot::open_reader(const SysPath& p) const {
  return open_reader_at(p.real, p.display, "cannot read " + p.display + ": ");
}

Result<FileReader> open_user_reader(const std::string& path, const std::string& what) {
  return open_reader_at(path, path, what + ": cannot open: ");
}

std::optional<uint64_t> FsRoot::file_size(const SysPath& p) const {
  struct stat st {};
  if (::stat(p.real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

bool FsRoot::exists(const SysPath& p) const {
  struct stat st {};
  return ::stat(p.real.c_str(), &st) == 0;
}

bool FsRoot::is_dir(const SysPath& p) const {
  struct stat st {};
  return ::stat(p.real.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::vector<DirEntry>> FsRoot::list(const SysPath& p) const {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(p.real.c_str()), &::closedir);
  if (!dir) return input_error("cannot list " + p.display + ": " + std::strerror(errno));
  std::vector<DirEntry> out;
  while (dirent* e = ::readdir(dir.get())) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    bool d = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
      struct stat st {};
      std::string full = p.real + "/" + name;
      d = ::stat(full.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }
    out.push_back({std::move(name), d});
  }
  return out;
}

Result<std::string> FsRoot::readlink(const SysPath& p) const {
  char buf[4096];
  ssize_t n = ::readlink(p.real.c_str(), buf, sizeof buf);
  if (n < 0) return input_error("cannot read link " + p.display + ": " + std::strerror(errno));
  if (static_cast<size_t>(n) >= sizeof buf) return input_error("cannot read link " + p.display + ": target too long");
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<uint64_t> FsRoot::fs_size_bytes(const SysPath& p) const {
  struct statvfs sv {};
  if (::statvfs(p.real.c_str(), &sv) != 0) return std::nullopt;
  return static_cast<uint64_t>(sv.f_blocks) * sv.f_frsize;
}

std::optional<uint64_t> FsRoot::fs_used_bytes(const SysPath& p) const {
  struct statvfs sv {};
  if (::statvfs(p.real.c_str(), &sv) != 0) return std::nullopt;
  uint64_t blocks = sv.f_blocks, free_blocks = sv.f_bfree;
  return (blocks >= free_blocks ? blocks - free_blocks : 0) * sv.f_frsize;
}

bool FsRoot::can_open_rw(const SysPath& p) const { return ::access(p.real.c_str(), R_OK | W_OK) == 0; }

Result<std::string> read_user_file(const std::string& path, size_t max_bytes, const std::string& what) {
  int fd = path == "-" ? ::dup(0) : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return input_error(what + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return input_error(what + ": is a directory");
  }
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return input_error(what + ": cannot read: " + std::strerror(e));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return input_error(what + ": larger than " + std::to_string(max_bytes >> 20) + " MiB, too large");
    }
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace infertune
