#include "collect/ld_so_cache.h"

#include <cstring>

namespace infertune {

namespace {

// glibc sysdeps/generic/dl-cache.h: CACHEMAGIC "ld.so-1.7.0", CACHEMAGIC_NEW "glibc-ld.so.cache",
// CACHE_VERSION "1.1". struct cache_file {char magic[11]; uint32 nlibs; file_entry libs[]} with
// file_entry {int32 flags; uint32 key, value} (12 bytes, header 16 bytes). struct cache_file_new
// {char magic[17]; char version[3]; uint32 nlibs, len_strings; uint8 flags; uint8 pad[3];
// uint32 extension_offset; uint32 unused[3]} (48 bytes) with file_entry_new {int32 flags; uint32 key,
// value; uint32 osversion_unused; uint64 hwcap} (24 bytes). Old-format string offsets count from the end
// of the entry array; new-format ones from the start of the new header.
constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";
constexpr size_t kOldHeader = 16, kOldEntry = 12;
constexpr size_t kNewHeader = 48, kNewEntry = 24;

uint32_t le32(std::string_view b, size_t at) {
  auto p = reinterpret_cast<const unsigned char*>(b.data() + at);
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

// A NUL-terminated string at `at` inside `b`; nullopt-like empty + false when out of bounds or unterminated.
bool string_at(std::string_view b, uint64_t at, std::string& out) {
  if (at >= b.size()) return false;
  size_t end = b.find('\0', static_cast<size_t>(at));
  if (end == std::string_view::npos) return false;
  out.assign(b.substr(static_cast<size_t>(at), end - static_cast<size_t>(at)));
  return true;
}

Result<std::vector<LdCacheEntry>> parse_new(std::string_view b, const std::string& what) {
  if (b.size() < kNewHeader) return input_error(what + ": truncated header of the glibc-ld.so.cache1.1 format");
  uint64_t nlibs = le32(b, 20);
  if (nlibs > (b.size() - kNewHeader) / kNewEntry) {
    return input_error(what + ": " + std::to_string(nlibs) + " entries do not fit in " + std::to_string(b.size()) +
                       " bytes (truncated or corrupt)");
  }
  std::vector<LdCacheEntry> out;
  out.reserve(nlibs);
  for (uint64_t i = 0; i < nlibs; ++i) {
    size_t at = kNewHeader + i * kNewEntry;
    LdCacheEntry e;
    e.flags = static_cast<int32_t>(le32(b, at));
    if (!string_at(b, le32(b, at + 4), e.soname) || !string_at(b, le32(b, at + 8), e.path)) continue;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<LdCache> parse_ld_so_cache(std::string_view b, const std::string& what) {
  LdCache cache;
  if (b.substr(0, kNewMagic.size()) == kNewMagic) {
    auto e = parse_new(b, what);
    if (!e.ok()) return e.error();
    cache.format = "new";
    cache.entries = std::move(*e);
    return cache;
  }
  if (b.substr(0, kOldMagic.size()) != kOldMagic) {
    return input_error(what + ": not a loader cache (no ld.so-1.7.0 or glibc-ld.so.cache1.1 magic)");
  }
  if (b.size() < kOldHeader) return input_error(what + ": truncated header of the ld.so-1.7.0 format");
  uint64_t nlibs = le32(b, 12);
  if (nlibs > (b.size() - kOldHeader) / kOldEntry) {
    return input_error(what + ": " + std::to_string(nlibs) + " entries do not fit in " + std::to_string(b.size()) +
                       " bytes (truncated or corrupt)");
  }
  size_t strings = kOldHeader + nlibs * kOldEntry;
  // The new format may follow the old entries, 8-byte aligned (ldconfig -c compat): prefer it.
  size_t next = (strings + 7) & ~size_t{7};
  if (next < b.size() && b.substr(next, kNewMagic.size()) == kNewMagic) {
    auto e = parse_new(b.substr(next), what);
    if (!e.ok()) return e.error();
    cache.format = "old+new";
    cache.entries = std::move(*e);
    return cache;
  }
  std::string_view table = b.substr(strings);
  for (uint64_t i = 0; i < nlibs; ++i) {
    size_t at = kOldHeader + i * kOldEntry;
    LdCacheEntry e;
    e.flags = static_cast<int32_t>(le32(b, at));
    if (!string_at(table, le32(b, at + 4), e.soname) || !string_at(table, le32(b, at + 8), e.path)) continue;
    cache.entries.push_back(std::move(e));
  }
  cache.format = "old";
  return cache;
}

bool ld_cache_entry_is_64bit(int32_t flags) {
  // FLAG_*_LIB64 and friends (dl-cache.h): 0x0100 SPARC64, 0x0200 IA64, 0x0300 x86-64, 0x0400 s390x,
  // 0x0500 ppc64, 0x0700/0x0e00 MIPS64 n64, 0x0a00 AArch64, 0x0f00/0x1000 RISC-V, 0x1100/0x1200 LoongArch.
  switch (flags & 0xff00) {
    case 0x0100:
    case 0x0200:
    case 0x0300:
    case 0x0400:
    case 0x0500:
    case 0x0700:
    case 0x0a00:
    case 0x0e00:
    case 0x0f00:
    case 0x1000:
    case 0x1100:
    case 0x1200: return true;
    default: return false;
  }
}

}  // namespace infertune
