#include "cli/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace infertune::cli {

namespace {
bool write_all(int fd, const std::string& text) {
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}
}  // namespace

Status write_file_atomically(const std::string& path, const std::string& text, const std::string& what) {
  std::string dir = ".";
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string tmpl = (dir == "/" ? std::string() : dir) + "/.infertune-XXXXXX";
  std::string tmp = tmpl;
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return env_error(what + " " + path + ": cannot create a file in " + dir + ": " + std::strerror(errno));
  bool ok = write_all(fd, text);
  int err = errno;
  if (ok && ::fsync(fd) != 0) {
    ok = false;
    err = errno;
  }
  ::fchmod(fd, 0644);
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (ok && ::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return env_error(what + " " + path + ": cannot write: " + std::strerror(err));
  }
  return ok_status();
}

Status emit(const std::string& path, const std::string& text, const std::string& what) {
  if (path.empty() || path == "-") {
    if (!write_all(STDOUT_FILENO, text)) {
      return env_error(std::string("cannot write to standard output: ") + std::strerror(errno));
    }
    return ok_status();
  }
  return write_file_atomically(path, text, what);
}

}  // namespace infertune::cli
