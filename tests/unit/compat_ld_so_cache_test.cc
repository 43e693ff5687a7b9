// The loader-cache parser on a real glibc-ld.so.cache1.1 file (Debian with a CUDA 13 toolkit configured),
// on old and old+new layouts written by tests/data/compat/make_ld_so_cache.py, and on damaged input.

#include <gtest/gtest.h>

#include "collect/ld_so_cache.h"
#include "test_support.h"

namespace infertune {
namespace {

std::string cache(const std::string& name) { return test::read_text(test::data_path("compat/ld-so-cache/" + name)); }

const LdCacheEntry* find(const LdCache& c, const std::string& soname) {
  for (const auto& e : c.entries)
    if (e.soname == soname) return &e;
  return nullptr;
}

TEST(LdSoCache, RealNewFormat) {
  auto c = parse_ld_so_cache(cache("debian-cuda13-new.cache"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->format, "new");
  EXPECT_GT(c->entries.size(), 500u);
  const auto* cudart = find(*c, "libcudart.so.13");
  ASSERT_NE(cudart, nullptr);
  EXPECT_EQ(cudart->path, "/usr/local/cuda-13.0/lib/libcudart.so.13");
  EXPECT_TRUE(ld_cache_entry_is_64bit(cudart->flags));
  EXPECT_EQ(cudart->flags, 0x0303);  // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
  const auto* libc = find(*c, "libc.so.6");
  ASSERT_NE(libc, nullptr);
  EXPECT_EQ(libc->path, "/lib/x86_64-linux-gnu/libc.so.6");
}

TEST(LdSoCache, OldAndCompatFormats) {
  auto o = parse_ld_so_cache(cache("old.cache"));
  ASSERT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(o->format, "old");
  ASSERT_EQ(o->entries.size(), 2u);
  EXPECT_EQ(o->entries[0].soname, "libcudart.so.11.0");
  EXPECT_EQ(o->entries[0].path, "/usr/local/cuda-11.8/lib64/libcudart.so.11.0");
  auto on = parse_ld_so_cache(cache("old-new.cache"));
  ASSERT_TRUE(on.ok()) << on.error().message;
  EXPECT_EQ(on->format, "old+new");
  ASSERT_EQ(on->entries.size(), 2u);
  EXPECT_EQ(on->entries[0].path, "/usr/lib/x86_64-linux-gnu/libcudnn.so.8");
}

TEST(LdSoCache, DamagedInput) {
  auto bad = parse_ld_so_cache("hello world, not a cache", "/etc/ld.so.cache");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "/etc/ld.so.cache: not a loader cache (no ld.so-1.7.0 or glibc-ld.so.cache1.1 magic)");
  EXPECT_FALSE(parse_ld_so_cache("").ok());
  std::string real = cache("debian-cuda13-new.cache");
  // Truncation anywhere: an error, or fewer entries whose strings are all inside the file; never a crash.
  for (size_t cut = 0; cut < real.size(); cut += (cut < 256 ? 1 : 509)) {
    auto c = parse_ld_so_cache(std::string_view(real).substr(0, cut));
    if (c.ok()) {
      for (const auto& e : c->entries) EXPECT_FALSE(e.soname.empty() && e.path.empty());
    }
  }
  auto cut = parse_ld_so_cache(std::string_view(real).substr(0, 1000));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("do not fit"), std::string::npos);
  // String offsets pointing outside the file drop the entry, not the cache.
  std::string broken = real;
  broken[48 + 4] = '\xff';
  broken[48 + 5] = '\xff';
  broken[48 + 6] = '\xff';
  auto b = parse_ld_so_cache(broken);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->entries.size() + 1, parse_ld_so_cache(real)->entries.size());
  std::string old = cache("old.cache");
  EXPECT_FALSE(parse_ld_so_cache(old.substr(0, 14)).ok());
}

TEST(LdSoCache, SixtyFourBitFlags) {
  EXPECT_TRUE(ld_cache_entry_is_64bit(0x0303));   // x86-64
  EXPECT_TRUE(ld_cache_entry_is_64bit(0x0a03));   // AArch64
  EXPECT_FALSE(ld_cache_entry_is_64bit(0x0003));  // i386 libc6
  EXPECT_FALSE(ld_cache_entry_is_64bit(0x0803));  // x32
}

}  // namespace
}  // namespace infertune
