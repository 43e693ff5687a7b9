#pragma once
// Pressure stall information (/proc/pressure/{cpu,memory,io} and cgroup v2 *.pressure files).
// Format (kernel Documentation/accounting/psi.rst):
//   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0

#include <optional>
#include <string>
#include <string_view>

#include "base/fs_root.h"
#include "facts/snapshot.h"

namespace infertune {

struct PsiLine {
  double avg10 = 0, avg60 = 0, avg300 = 0;
  unsigned long long total_us = 0;
};

struct PsiResource {
  std::optional<PsiLine> some;
  std::optional<PsiLine> full;  // absent for cpu on kernels before 5.13, and at system level for cpu
};

// nullopt when the text has neither a well-formed "some" nor "full" line.
std::optional<PsiResource> parse_psi(std::string_view text);

// Reads cpu/memory/io pressure files named by `path_of(resource)` into `out`.
// `path_of` receives "cpu", "memory" or "io" and returns the file to read.
template <class PathOf>
void collect_psi_files(const FsRoot& fs, PathOf path_of, PsiFacts& out);

// System-wide PSI from /proc/pressure.
void collect_system_psi(const FsRoot& fs, PsiFacts& out);
// Fills `out` from already-parsed resources (shared by the system and cgroup collectors).
void fill_psi(const char* resource, const Result<std::string>& text, const std::string& source, PsiFacts& out);

template <class PathOf>
void collect_psi_files(const FsRoot& fs, PathOf path_of, PsiFacts& out) {
  for (const char* r : {"cpu", "memory", "io"}) {
    SysPath p = path_of(r);
    fill_psi(r, fs.read(p, 1 << 16), p.display, out);
  }
}

}  // namespace infertune
