#include "trace/pod_table.h"

#include "trace/trace_data.h"  // advise_huge_pages

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace infertune::trace::pod_table_detail {

namespace {
constexpr uintptr_t kHuge = uintptr_t{2} << 20;

#if defined(__linux__)
// A fresh mapping of `bytes` starting on a huge-page boundary (so the kernel can back it, and move it, in 2 MiB
// pages), with `prot`; nullptr on failure.
char* aligned_mapping(size_t bytes, int prot) {
  size_t len = bytes + kHuge;
  void* raw = mmap(nullptr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHuge - 1) & ~(kHuge - 1);
  if (aligned > start) munmap(raw, aligned - start);
  uintptr_t end = start + len;
  if (end > aligned + bytes) munmap(reinterpret_cast<void*>(aligned + bytes), end - (aligned + bytes));
  return reinterpret_cast<char*>(aligned);
}

#endif
}  // namespace

size_t round_mapping(size_t bytes) {
  if (bytes > SIZE_MAX - kHuge) return bytes;
  return (bytes + kHuge - 1) & ~(size_t{kHuge} - 1);
}

void* map(size_t bytes) {
#if defined(__linux__)
  char* p = aligned_mapping(bytes, PROT_READ | PROT_WRITE);
  if (p != nullptr) advise_huge_pages(p, bytes);
  return p;
#else
  (void)bytes;
  return nullptr;
#endif
}

void* remap(void* p, size_t old_bytes, size_t new_bytes) {
#if defined(__linux__) && defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED)
  // In place when the address space after the mapping is free (always when shrinking).
  void* q = mremap(p, old_bytes, new_bytes, 0);
  if (q == MAP_FAILED) {
    // Else onto a reserved, huge-page aligned range, which mremap replaces: the rows' pages move, none is copied.
    char* target = aligned_mapping(new_bytes, PROT_NONE);
    if (target == nullptr) return nullptr;
    q = mremap(p, old_bytes, new_bytes, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    if (q == MAP_FAILED) {
      munmap(target, new_bytes);
      return nullptr;
    }
  }
  advise_huge_pages(q, new_bytes);
  return q;
#else
  (void)p;
  (void)old_bytes;
  (void)new_bytes;
  return nullptr;
#endif
}

void unmap(void* p, size_t bytes) {
#if defined(__linux__)
  munmap(p, bytes);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace infertune::trace::pod_table_detail
