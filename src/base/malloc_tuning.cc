#include "base/malloc_tuning.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "base/fs_root.h"

namespace infertune {

namespace {
constexpr const char* kMarker = "INFERTUNE_MALLOC_TUNED";
constexpr std::string_view kTunables =
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=33554432";
}  // namespace

std::optional<std::string> tuned_glibc_tunables(const char* current) {
  std::string_view now = current != nullptr ? current : "";
  if (now.find("glibc.malloc.hugetlb") != std::string_view::npos ||
      now.find("glibc.malloc.mmap_threshold") != std::string_view::npos ||
      now.find("glibc.malloc.trim_threshold") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out(now);
  if (!out.empty()) out += ':';
  out += kTunables;
  return out;
}

void reexec_with_malloc_tuning(char** argv) {
#if defined(__linux__) && defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  if (std::getenv(kMarker) != nullptr) return;
  auto tunables = tuned_glibc_tunables(std::getenv("GLIBC_TUNABLES"));
  if (!tunables) return;
  if (setenv(kMarker, "1", 1) != 0 || setenv("GLIBC_TUNABLES", tunables->c_str(), 1) != 0) return;
  std::string self = FsRoot("/").self("exe").real;
  execv(self.c_str(), argv);
  // Not re-executed (no /proc, say): go on as is. The marker stays, so nothing tries again.
#else
  (void)argv;
#endif
}

}  // namespace infertune
