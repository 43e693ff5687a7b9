#include "collect/fatbin.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace infertune {

namespace {

// Constants from NVIDIA's fatbinary.h / fatbinary_section.h (values, not code).
constexpr uint32_t kFatbinMagic = 0xBA55ED50;
constexpr uint32_t kOldFatbinMagic = 0x1EE55A01;
constexpr size_t kContainerHeader = 16;
constexpr size_t kEntryHeader = 64;
constexpr uint16_t kKindPtx = 1;
constexpr uint16_t kKindElf = 2;
constexpr uint16_t kKindOldCubin = 4;
constexpr uint16_t kKindNvvmIr = 8;
constexpr uint16_t kKindElfAlt = 0x10;  // counted as a cubin by cuobjdump --list-elf
constexpr uint64_t kFlagsCompressed = 0x1000 | 0x2000 | 0x8000;

// Bounds against garbage: no real library comes near these.
constexpr uint64_t kMaxSections = 1u << 20;
constexpr uint64_t kMaxShstrtab = 16u << 20;
constexpr uint64_t kMaxEntries = 10'000'000;

uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
uint64_t le64(const uint8_t* p) { return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32); }

std::string hex(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

// Small reads through a window, so walking thousands of entry headers is not thousands of syscalls when
// they are close together.
class Window {
 public:
  explicit Window(const ByteSource& src) : src_(src), buf_(kSize) {}
  // Copies exactly n bytes at offset into out; false when the source ends first.
  bool get(uint64_t offset, size_t n, uint8_t* out) {
    if (n > kSize) return src_.read_at(offset, out, n) == n;
    if (offset < base_ || offset + n > base_ + have_) {
      base_ = offset;
      have_ = src_.read_at(offset, buf_.data(), kSize);
      if (have_ < n) return false;
    }
    std::memcpy(out, buf_.data() + (offset - base_), n);
    return true;
  }

 private:
  static constexpr size_t kSize = 8192;
  const ByteSource& src_;
  std::vector<uint8_t> buf_;
  uint64_t base_ = 0;
  size_t have_ = 0;
};

struct Section {
  std::string name;
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct Scan {
  std::set<uint32_t> sass, ptx;
  uint64_t entries = 0, compressed = 0, nvvm_ir = 0, old_cubin = 0;
  std::map<uint16_t, uint64_t> unknown_kinds;
  std::vector<std::string> notes;
};

// Walks the containers in one section [begin, end) of the file.
void walk_section(Window& w, const Section& sec, uint64_t file_size, Scan& scan) {
  uint64_t begin = sec.offset;
  uint64_t end = sec.offset + sec.size;
  if (sec.offset > file_size || sec.size > file_size - sec.offset) {
    scan.notes.push_back(sec.name + " runs past the end of the file (truncated file); scanned what is there");
    end = file_size;
  }
  uint64_t p = begin;
  while (p + kContainerHeader <= end) {
    std::array<uint8_t, kContainerHeader> h{};
    if (!w.get(p, h.size(), h.data())) {
      scan.notes.push_back("cannot read " + sec.name + " at offset " + std::to_string(p - begin));
      return;
    }
    uint32_t magic = le32(h.data());
    if (magic == 0) {  // zero padding between containers
      p += 8;
      continue;
    }
    if (magic != kFatbinMagic) {
      scan.notes.push_back(sec.name + " at offset " + std::to_string(p - begin) + ": " +
                           (magic == kOldFatbinMagic ? "old-style fat binary (before CUDA 4), not read"
                                                     : "unknown data (magic " + hex(magic) + ")") +
                           "; the rest of the section was not read");
      return;
    }
    uint16_t version = le16(h.data() + 4);
    uint16_t header_size = le16(h.data() + 6);
    uint64_t fat_size = le64(h.data() + 8);
    if (version != 1 || header_size < kContainerHeader) {
      scan.notes.push_back(sec.name + " at offset " + std::to_string(p - begin) + ": fat binary version " +
                           std::to_string(version) + ", header size " + std::to_string(header_size) +
                           " not understood; the rest of the section was not read");
      return;
    }
    if (header_size > end - p) {
      scan.notes.push_back("fat binary at offset " + std::to_string(p - begin) + " of " + sec.name +
                           ": its header runs past the end of the section (truncated)");
      return;
    }
    uint64_t cend = end;
    if (fat_size <= end - p - header_size) {
      cend = p + header_size + fat_size;
    } else {
      scan.notes.push_back("fat binary at offset " + std::to_string(p - begin) + " of " + sec.name +
                           " runs past the end of the section (truncated); scanned what is there");
    }
    uint64_t q = p + header_size;
    while (q + kEntryHeader <= cend) {
      if (scan.entries >= kMaxEntries) {
        scan.notes.push_back("more than " + std::to_string(kMaxEntries) + " fatbin entries; stopped counting");
        return;
      }
      std::array<uint8_t, kEntryHeader> e{};
      if (!w.get(q, e.size(), e.data())) {
        scan.notes.push_back("cannot read a fatbin entry header at offset " + std::to_string(q));
        return;
      }
      uint16_t kind = le16(e.data());
      uint32_t ehsize = le32(e.data() + 4);
      uint64_t size = le64(e.data() + 8);
      uint32_t arch = le32(e.data() + 0x1C);
      uint64_t flags = le64(e.data() + 0x28);
      if (ehsize < kEntryHeader) {
        scan.notes.push_back("fatbin entry at offset " + std::to_string(q) + " has header size " +
                             std::to_string(ehsize) + " (below 64); rest of its container skipped");
        break;
      }
      ++scan.entries;
      if (flags & kFlagsCompressed) ++scan.compressed;
      switch (kind) {
        case kKindPtx: scan.ptx.insert(arch); break;
        case kKindElf:
        case kKindElfAlt: scan.sass.insert(arch); break;
        case kKindOldCubin:
          ++scan.old_cubin;
          scan.sass.insert(arch);
          break;
        case kKindNvvmIr: ++scan.nvvm_ir; break;
        default: ++scan.unknown_kinds[kind];
      }
      if (ehsize > cend - q || size > cend - q - ehsize) break;  // the last entry runs past the container
      q += ehsize + size;
    }
    p = cend;
    p = (p + 7) & ~uint64_t{7};  // containers are 8-byte aligned
  }
}

std::vector<std::string> names(const std::set<uint32_t>& archs, std::string (*name)(uint32_t)) {
  std::vector<std::string> out;
  for (uint32_t a : archs) out.push_back(name(a));
  return out;
}

class BytesSource : public ByteSource {
 public:
  explicit BytesSource(std::string_view b) : b_(b) {}
  uint64_t size() const override { return b_.size(); }
  size_t read_at(uint64_t offset, void* buf, size_t n) const override {
    if (offset >= b_.size()) return 0;
    size_t k = std::min<uint64_t>(n, b_.size() - offset);
    std::memcpy(buf, b_.data() + offset, k);
    return k;
  }

 private:
  std::string_view b_;
};

class FileSource : public ByteSource {
 public:
  explicit FileSource(const FileReader& f) : f_(f) {}
  uint64_t size() const override { return f_.size(); }
  size_t read_at(uint64_t offset, void* buf, size_t n) const override {
    auto r = f_.read_at(offset, buf, n);
    return r.ok() ? *r : 0;
  }

 private:
  const FileReader& f_;
};

FatbinFacts unreadable(const std::string& path, const std::string& why) {
  FatbinFacts f;
  f.path = path;
  f.sass_archs.unknown(why);
  f.ptx_archs.unknown(why);
  f.notes.set({why}, path);
  return f;
}

}  // namespace

std::string sass_arch_name(uint32_t arch) { return "sm_" + std::to_string(arch); }
std::string ptx_arch_name(uint32_t arch) { return "compute_" + std::to_string(arch); }

FatbinFacts scan_fatbin(const ByteSource& src, const std::string& path) {
  const uint64_t file_size = src.size();
  std::array<uint8_t, 64> eh{};
  if (file_size < 4 || src.read_at(0, eh.data(), 4) < 4 ||
      std::memcmp(eh.data(),
                  "\x7f"
                  "ELF",
                  4) != 0) {
    return unreadable(path, "not an ELF file");
  }
  if (file_size < eh.size() || src.read_at(0, eh.data(), eh.size()) < eh.size()) {
    return unreadable(path, "truncated ELF file: shorter than its 64-byte header");
  }
  if (eh[4] != 2 || eh[5] != 1) {
    return unreadable(path, "not a 64-bit little-endian ELF file; only those are scanned");
  }
  uint64_t shoff = le64(eh.data() + 0x28);
  uint16_t shentsize = le16(eh.data() + 0x3A);
  uint64_t shnum = le16(eh.data() + 0x3C);
  uint32_t shstrndx = le16(eh.data() + 0x3E);
  if (shoff == 0)
    return unreadable(path, "ELF file without section headers (stripped of them); cannot find .nv_fatbin");
  if (shentsize < 64) return unreadable(path, "ELF section header size " + std::to_string(shentsize) + " is invalid");
  if (shoff >= file_size) {
    return unreadable(path, "truncated ELF file: section headers at offset " + std::to_string(shoff) +
                                " beyond its end (" + std::to_string(file_size) + " bytes)");
  }
  std::array<uint8_t, 64> sh{};
  if (shnum == 0 || shstrndx == 0xffff) {  // extended numbering: the real values are in section 0
    if (src.read_at(shoff, sh.data(), sh.size()) < sh.size()) {
      return unreadable(path, "truncated ELF file: section header 0 cut off");
    }
    if (shnum == 0) shnum = le64(sh.data() + 0x20);
    if (shstrndx == 0xffff) shstrndx = le32(sh.data() + 0x28);
  }
  if (shentsize > 1024) return unreadable(path, "ELF section header size " + std::to_string(shentsize) + " is invalid");
  if (shnum > kMaxSections || shnum * shentsize > file_size - shoff) {
    return unreadable(path, "truncated ELF file: " + std::to_string(shnum) + " section headers at offset " +
                                std::to_string(shoff) + " do not fit in " + std::to_string(file_size) + " bytes");
  }
  std::vector<uint8_t> table(shnum * shentsize);
  if (src.read_at(shoff, table.data(), table.size()) < table.size()) {
    return unreadable(path, "cannot read the ELF section headers");
  }
  std::vector<Section> sections(shnum);
  std::vector<uint32_t> name_offsets(shnum);
  for (uint64_t i = 0; i < shnum; ++i) {
    const uint8_t* s = table.data() + i * shentsize;
    name_offsets[i] = le32(s);
    sections[i].type = le32(s + 4);
    sections[i].offset = le64(s + 0x18);
    sections[i].size = le64(s + 0x20);
  }
  if (shstrndx >= shnum) return unreadable(path, "ELF section name table index is out of range");
  const Section& strtab = sections[shstrndx];
  if (strtab.size > kMaxShstrtab || strtab.offset > file_size || strtab.size > file_size - strtab.offset) {
    return unreadable(path, "ELF section name table is out of the file's bounds (truncated file)");
  }
  std::string names_blob(strtab.size, '\0');
  if (src.read_at(strtab.offset, names_blob.data(), names_blob.size()) < names_blob.size()) {
    return unreadable(path, "cannot read the ELF section name table");
  }
  for (uint64_t i = 0; i < shnum; ++i) {
    if (name_offsets[i] < names_blob.size()) {
      const char* n = names_blob.c_str() + name_offsets[i];
      sections[i].name = std::string(n, strnlen(n, names_blob.size() - name_offsets[i]));
    }
  }

  Scan scan;
  Window w(src);
  bool any = false;
  constexpr uint32_t kShtNobits = 8;
  for (const Section& sec : sections) {
    if (sec.name != ".nv_fatbin" && sec.name != "__nv_relfatbin") continue;
    if (sec.type == kShtNobits || sec.size == 0) continue;
    any = true;
    walk_section(w, sec, file_size, scan);
  }

  FatbinFacts f;
  f.path = path;
  std::string src_name = any ? "ELF .nv_fatbin" : "ELF section headers";
  f.sass_archs.set(names(scan.sass, sass_arch_name), src_name);
  f.ptx_archs.set(names(scan.ptx, ptx_arch_name), src_name);
  std::vector<std::string> notes;
  if (!any) notes.push_back("no .nv_fatbin section: the file holds no GPU code");
  if (any && scan.entries == 0 && scan.notes.empty()) notes.push_back(".nv_fatbin holds no entries");
  if (scan.compressed) {
    notes.push_back(std::to_string(scan.compressed) + " of " + std::to_string(scan.entries) +
                    " entries are compressed; their architectures are read from the entry headers");
  }
  if (scan.nvvm_ir) notes.push_back(std::to_string(scan.nvvm_ir) + " NVVM IR entries (not listed)");
  if (scan.old_cubin) notes.push_back(std::to_string(scan.old_cubin) + " old-style cubin entries (listed as SASS)");
  for (auto [kind, n] : scan.unknown_kinds) {
    notes.push_back(std::to_string(n) + " entries of unknown kind " + std::to_string(kind) + " (not listed)");
  }
  for (auto& n : scan.notes) notes.push_back(std::move(n));
  f.notes.set(std::move(notes), src_name);
  return f;
}

FatbinFacts scan_fatbin_bytes(std::string_view bytes, const std::string& path) {
  return scan_fatbin(BytesSource(bytes), path);
}

FatbinFacts scan_fatbin_file(const FsRoot& fs, const SysPath& p) {
  auto r = fs.open_reader(p);
  if (!r.ok()) return unreadable(p.display, r.error().message);
  return scan_fatbin(FileSource(*r), p.display);
}

Result<FatbinFacts> scan_fatbin_user_file(const std::string& path) {
  auto r = open_user_reader(path, "--lib " + path);
  if (!r.ok()) return r.error();
  return scan_fatbin(FileSource(*r), path);
}

}  // namespace infertune
