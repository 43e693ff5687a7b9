#pragma once
// Lists the GPU code inside a CUDA shared library without loading it: the SASS architectures (cubins) and
// PTX versions in the ELF `.nv_fatbin` (and `__nv_relfatbin`) sections. Layout: fatbinary container header
// (magic 0xBA55ED50, 16 bytes) followed by 64-byte entry headers, as described in NVIDIA's fatbinary.h and
// fatbinary_section.h (facts summarised in the project's reference notes on the fatbin format).
//
// Reads are bounded: the ELF and section headers, then the entry headers one by one; payloads are skipped,
// so a 1 GB library costs a few thousand small reads. Bad input never fails: it yields notes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/fs_root.h"
#include "base/result.h"
#include "facts/snapshot.h"

namespace infertune {

// Random access to the bytes of one file (or a buffer).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Copies up to n bytes at offset into buf; returns how many (fewer at the end, 0 on a read error).
  virtual size_t read_at(uint64_t offset, void* buf, size_t n) const = 0;
};

// One architecture as a name: sm_<arch> for machine code, compute_<arch> for PTX (75 -> "sm_75").
std::string sass_arch_name(uint32_t arch);
std::string ptx_arch_name(uint32_t arch);

// Scans an ELF file given as bytes. `path` is only used as FatbinFacts::path.
FatbinFacts scan_fatbin(const ByteSource& src, const std::string& path);
FatbinFacts scan_fatbin_bytes(std::string_view bytes, const std::string& path);
// A library of the diagnosed system (through FsRoot). An unreadable file gives unknown archs and a note.
FatbinFacts scan_fatbin_file(const FsRoot& fs, const SysPath& p);
// A library the user named (`compat --lib PATH`): an error only when the file cannot be opened.
Result<FatbinFacts> scan_fatbin_user_file(const std::string& path);

}  // namespace infertune
