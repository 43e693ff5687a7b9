#pragma once
// Parser of the dynamic loader's cache (/etc/ld.so.cache, written by ldconfig): which shared library file
// each soname resolves to. Both layouts are read: the old "ld.so-1.7.0" one (optionally followed by the new
// one, the "compat" format) and the new "glibc-ld.so.cache1.1" one. Layout facts (header and entry
// structs, flag values) are from glibc's sysdeps/generic/dl-cache.h. Pure: bytes in, entries out.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace infertune {

struct LdCacheEntry {
  std::string soname;  // "libcudart.so.12"
  std::string path;    // "/usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12"
  int32_t flags = 0;   // FLAG_ELF_LIBC6 (3) | arch bits (0x0300 = x86-64, 0x0a00 = AArch64, ...)
};

struct LdCache {
  std::string format;                 // "new" (glibc-ld.so.cache1.1), "old" (ld.so-1.7.0), "old+new"
  std::vector<LdCacheEntry> entries;  // in cache order (the loader's preference order for equal sonames)
};

// Errors name `what` and say what is wrong (bad magic, counts beyond the file).
Result<LdCache> parse_ld_so_cache(std::string_view bytes, const std::string& what = "ld.so.cache");

// Whether an entry is a 64-bit library the loader of a 64-bit process can use (x86-64, AArch64, ppc64,
// s390x, ppc64, MIPS64 n64, RISC-V, LoongArch).
bool ld_cache_entry_is_64bit(int32_t flags);

}  // namespace infertune
