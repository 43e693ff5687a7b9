// The fatbin scanner on libraries built with nvcc (tests/data/compat/fatbin, see its SOURCES.md), on
// corrupt and truncated copies of them, and on the real CUDA toolkit libraries when present.

#include "collect/fatbin.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "test_support.h"

namespace infertune {
namespace {

using Strings = std::vector<std::string>;

std::string lib(const std::string& name) { return test::read_text(test::data_path("compat/fatbin/" + name)); }

bool has_note(const FatbinFacts& f, const std::string& part) {
  if (!f.notes.known()) return false;
  for (const auto& n : *f.notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

// Offset and size of a named section, read with the same field offsets as the scanner uses (ELF64).
std::pair<uint64_t, uint64_t> section(const std::string& elf, const std::string& name) {
  auto u16 = [&](size_t at) {
    uint16_t v;
    std::memcpy(&v, elf.data() + at, 2);
    return v;
  };
  auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, elf.data() + at, 4);
    return v;
  };
  auto u64 = [&](size_t at) {
    uint64_t v;
    std::memcpy(&v, elf.data() + at, 8);
    return v;
  };
  uint64_t shoff = u64(0x28);
  uint16_t n = u16(0x3C), str = u16(0x3E);
  uint64_t stroff = u64(shoff + str * 64u + 0x18);
  for (uint16_t i = 0; i < n; ++i) {
    size_t sh = shoff + i * 64u;
    if (std::string(elf.c_str() + stroff + u32(sh)) == name) return {u64(sh + 0x18), u64(sh + 0x20)};
  }
  return {0, 0};
}

TEST(Fatbin, ListsSassAndPtxOfAnNvccBuild) {
  // -gencode arch=compute_75,code=sm_75 -gencode arch=compute_90,code=[sm_90,compute_90]
  auto f = scan_fatbin_bytes(lib("libtwoarch.so"), "libtwoarch.so");
  ASSERT_TRUE(f.sass_archs.known());
  EXPECT_EQ(*f.sass_archs, (Strings{"sm_75", "sm_90"}));
  EXPECT_EQ(*f.ptx_archs, (Strings{"compute_90"}));
  // CUDA 13's nvcc compresses the PTX by default (zstd flag); the cubins are stored plain.
  EXPECT_EQ(*f.notes, Strings{"1 of 5 entries are compressed; their architectures are read from the entry headers"});
  EXPECT_EQ(f.path, "libtwoarch.so");
}

TEST(Fatbin, PtxOnlyBuildHasNoSass) {
  auto f = scan_fatbin_bytes(lib("libptxonly.so"), "libptxonly.so");  // code=compute_120
  EXPECT_EQ(*f.sass_archs, Strings{});
  EXPECT_EQ(*f.ptx_archs, (Strings{"compute_120"}));
}

TEST(Fatbin, CompressedEntriesAreListedFromTheirHeadersWithANote) {
  auto f = scan_fatbin_bytes(lib("libcompressed.so"), "libcompressed.so");  // -Xfatbin -compress-all
  EXPECT_EQ(*f.sass_archs, (Strings{"sm_80", "sm_86"}));
  EXPECT_TRUE(has_note(f, "compressed")) << testing::PrintToString(*f.notes);
}

TEST(Fatbin, FileReaderGivesTheSameAnswerAsBytes) {
  FsRoot fs(test::data_path("compat"));
  auto f = scan_fatbin_file(fs, fs.system("/fatbin/libtwoarch.so"));
  EXPECT_EQ(f.path, "/fatbin/libtwoarch.so");
  EXPECT_EQ(*f.sass_archs, (Strings{"sm_75", "sm_90"}));
  auto missing = scan_fatbin_file(fs, fs.system("/fatbin/absent.so"));
  EXPECT_FALSE(missing.sass_archs.known());
  EXPECT_NE(missing.sass_archs.unknown_why.find("/fatbin/absent.so"), std::string::npos);
  auto user = scan_fatbin_user_file(test::data_path("compat/fatbin/libptxonly.so"));
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(*user->ptx_archs, (Strings{"compute_120"}));
  auto bad = scan_fatbin_user_file(test::data_path("compat/fatbin/nope.so"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("--lib"), std::string::npos);
  EXPECT_NE(bad.error().message.find("No such file"), std::string::npos);
}

TEST(Fatbin, NotElfAndNoFatbin) {
  auto a = scan_fatbin_bytes("#!/bin/sh\necho hi\n", "script");
  EXPECT_FALSE(a.sass_archs.known());
  EXPECT_EQ(a.sass_archs.unknown_why, "not an ELF file");
  EXPECT_TRUE(has_note(a, "not an ELF file"));
  EXPECT_FALSE(scan_fatbin_bytes("", "empty").sass_archs.known());
  // An ELF without .nv_fatbin: rename the section in a copy.
  std::string elf = lib("libtwoarch.so");
  size_t at = elf.find(".nv_fatbin");
  ASSERT_NE(at, std::string::npos);
  elf[at + 1] = 'X';
  auto none = scan_fatbin_bytes(elf, "plain");
  ASSERT_TRUE(none.sass_archs.known());
  EXPECT_TRUE(none.sass_archs->empty());
  EXPECT_TRUE(has_note(none, "no .nv_fatbin section"));
  // 32-bit ELF.
  std::string e32 = lib("libtwoarch.so");
  e32[4] = 1;
  EXPECT_FALSE(scan_fatbin_bytes(e32, "e32").sass_archs.known());
}

TEST(Fatbin, TruncatedCopiesNeverCrashAndSayWhy) {
  std::string elf = lib("libtwoarch.so");
  // Every cut point in the first 128 bytes and a spread of others: never a crash, a reason or a result.
  for (size_t cut = 0; cut < elf.size(); cut += (cut < 128 ? 1 : 97)) {
    auto f = scan_fatbin_bytes(std::string_view(elf).substr(0, cut), "cut");
    if (!f.sass_archs.known()) {
      EXPECT_FALSE(f.sass_archs.unknown_why.empty());
    }
  }
  // The second half of .nv_fatbin zeroed: the entries before it are still listed, the rest gets a note.
  auto [off, size] = section(elf, ".nv_fatbin");
  ASSERT_GT(size, 0u);
  std::string zeroed = elf;
  std::fill(zeroed.begin() + static_cast<long>(off + size / 2), zeroed.begin() + static_cast<long>(off + size), '\0');
  auto f = scan_fatbin_bytes(zeroed, "zeroed");
  ASSERT_TRUE(f.sass_archs.known());
  EXPECT_EQ(*f.sass_archs, (Strings{"sm_75", "sm_90"}));  // the first container is intact
  EXPECT_TRUE(has_note(f, "runs past the end of the section") || has_note(f, "header size 0"))
      << testing::PrintToString(*f.notes);
  // The section header claims more bytes than the file has.
  std::string longer = elf;
  uint64_t shoff;
  std::memcpy(&shoff, elf.data() + 0x28, 8);
  for (uint16_t i = 0; i < 64; ++i) {
    uint64_t o;
    std::memcpy(&o, elf.data() + shoff + i * 64u + 0x18, 8);
    if (o == off) {
      uint64_t big = elf.size();
      std::memcpy(longer.data() + shoff + i * 64u + 0x20, &big, 8);
      break;
    }
  }
  auto l = scan_fatbin_bytes(longer, "longer");
  EXPECT_TRUE(has_note(l, "runs past the end of the file")) << testing::PrintToString(*l.notes);
  EXPECT_FALSE(l.sass_archs->empty());
  // A section that claims to extend beyond the file.
  std::string shrunk = elf.substr(0, off + 64);
  auto g = scan_fatbin_bytes(shrunk, "shrunk");
  EXPECT_FALSE(g.sass_archs.known());  // section headers are gone
}

TEST(Fatbin, CorruptHeadersGiveNotes) {
  std::string elf = lib("libtwoarch.so");
  auto [off, size] = section(elf, ".nv_fatbin");
  ASSERT_GE(size, 16u + 64u);
  {
    std::string bad = elf;
    bad[off] = 0x11;  // container magic
    auto f = scan_fatbin_bytes(bad, "bad");
    EXPECT_TRUE(has_note(f, "unknown data")) << testing::PrintToString(*f.notes);
  }
  {
    std::string bad = elf;
    uint64_t huge = ~uint64_t{0} - 7;
    std::memcpy(bad.data() + off + 8, &huge, 8);  // fatSize beyond the section
    auto f = scan_fatbin_bytes(bad, "bad");
    EXPECT_TRUE(has_note(f, "runs past the end of the section"));
    EXPECT_FALSE(f.sass_archs->empty());
  }
  {
    std::string bad = elf;
    uint16_t big = 0xffff;
    std::memcpy(bad.data() + off + 6, &big, 2);  // container header size beyond the section
    auto f = scan_fatbin_bytes(bad, "bad");
    EXPECT_TRUE(has_note(f, "its header runs past the end of the section")) << testing::PrintToString(*f.notes);
  }
  {
    std::string bad = elf;
    uint32_t zero = 0;
    std::memcpy(bad.data() + off + 16 + 4, &zero, 4);  // first entry's header size
    auto f = scan_fatbin_bytes(bad, "bad");
    EXPECT_TRUE(has_note(f, "header size 0"));
  }
  {
    std::string bad = elf;
    uint64_t huge = ~uint64_t{0};
    std::memcpy(bad.data() + off + 16 + 8, &huge, 8);  // first entry's payload size wraps
    auto f = scan_fatbin_bytes(bad, "bad");
    EXPECT_TRUE(f.sass_archs.known());
  }
  {
    std::string bad = elf;
    uint16_t many = 0xffff;
    std::memcpy(bad.data() + 0x3C, &many, 2);  // section count beyond the file
    EXPECT_FALSE(scan_fatbin_bytes(bad, "bad").sass_archs.known());
  }
}

// The toolkit's libraries on this machine, when present: INFERTUNE_CUDA_LIB_DIR or /usr/local/cuda/lib64.
TEST(Fatbin, RealToolkitLibraries) {
  const char* env = std::getenv("INFERTUNE_CUDA_LIB_DIR");
  std::string dir = env != nullptr && *env ? env : "/usr/local/cuda/lib64";
  std::vector<std::string> found;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if ((n.rfind("libcublas.so.", 0) == 0 || n.rfind("libcudart.so.", 0) == 0 ||
           n.rfind("libcublasLt.so.", 0) == 0) &&
          std::count(n.begin(), n.end(), '.') == 2)
        found.push_back(dir + "/" + n);
    }
    closedir(d);
  }
  if (found.empty()) GTEST_SKIP() << "no CUDA toolkit libraries in " << dir;
  for (const auto& p : found) {
    auto t0 = std::chrono::steady_clock::now();
    auto f = scan_fatbin_user_file(p);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(f.ok()) << p;
    ASSERT_TRUE(f->sass_archs.known()) << p << ": " << f->sass_archs.unknown_why;
    std::string archs;
    for (const auto& a : *f->sass_archs) archs += a + " ";
    std::cout << p << ": " << archs << "ptx " << f->ptx_archs->size() << " in " << s << " s\n";
    if (p.find("libcudart") != std::string::npos) continue;  // the runtime holds little or no GPU code
    // Every CUDA 12/13 cuBLAS carries SASS for sm_80 and sm_90.
    EXPECT_NE(std::find(f->sass_archs->begin(), f->sass_archs->end(), "sm_80"), f->sass_archs->end()) << p;
    EXPECT_NE(std::find(f->sass_archs->begin(), f->sass_archs->end(), "sm_90"), f->sass_archs->end()) << p;
    EXPECT_LT(s, 10.0) << p;
  }
}

}  // namespace
}  // namespace infertune
