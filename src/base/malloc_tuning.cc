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

bool wants_malloc_tuning(int argc, const char* const* argv) {
  if (argc < 2) return false;
  const std::string_view command = argv[1];
  if (command == "trace") return true;
  if (command != "doctor") return false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--trace" || a.rfind("--trace=", 0) == 0) return true;
  }
  return false;
}

bool restore_user_environment() {
  const char* mark = std::getenv(kMarker);
  if (mark == nullptr) return false;
  const std::string_view m = mark;
  if (m.size() > 0 && m[0] == '=') {
    setenv("GLIBC_TUNABLES", std::string(m.substr(1)).c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
  unsetenv(kMarker);
  return true;
}

void reexec_with_malloc_tuning(char** argv) {
#if defined(__linux__) && defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // Re-executed already: glibc read the tunables when this process started.
  if (restore_user_environment()) return;
  const char* current = std::getenv("GLIBC_TUNABLES");
  auto tunables = tuned_glibc_tunables(current);
  if (!tunables) return;
  // The marker keeps the user's own value ("=VALUE", or "1" when unset), so that it can be put back.
  const std::string mark = current != nullptr ? "=" + std::string(current) : std::string("1");
  if (setenv(kMarker, mark.c_str(), 1) != 0 || setenv("GLIBC_TUNABLES", tunables->c_str(), 1) != 0) {
    restore_user_environment();
    return;
  }
  std::string self = FsRoot("/").self("exe").real;
  execv(self.c_str(), argv);
  // Not re-executed (no /proc, say): go on as is, with the environment as it was.
  restore_user_environment();
#else
  (void)argv;
#endif
}

}  // namespace infertune
