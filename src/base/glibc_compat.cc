// Keeps the portable binary's glibc floor low. Linked into the executable only (not the core library).
//
// libstdc++ 12 built against glibc >= 2.36 calls arc4random from std::random_device, which the static
// libstdc++ drags in through its locale code even though infertune never uses random_device. Defining the
// function here resolves that reference inside the binary, so it does not need GLIBC_2.36 at run time and
// runs on glibc 2.35 (Ubuntu 22.04, the base of most CUDA 12 images). Entropy comes from getrandom(2).

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

extern "C" uint32_t arc4random(void) noexcept {
  uint32_t v = 0;
  while (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
    if (errno != EINTR) std::abort();  // no entropy source at all: never reached on Linux >= 3.17
  }
  return v;
}
