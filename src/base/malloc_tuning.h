#pragma once
// glibc malloc settings for commands that build tables of hundreds of MB (trace analysis).
//
// Every first touch of fresh memory costs a page fault that zeroes the page; in a virtual machine a 4 KiB
// fault costs microseconds. glibc's own tunables fix both halves: glibc.malloc.hugetlb=1 advises transparent
// huge pages for the heap and for mmapped blocks (one fault per 2 MiB instead of 512), and a fixed
// glibc.malloc.mmap_threshold of 32 MiB with a trim threshold of 32 MiB keeps the analyses' temporaries in the
// heap, where a freed block is reused instead of being given back and faulted in again.
// Tunables are read only when a process starts, so the process re-executes itself once with them set.

#include <optional>
#include <string>

namespace infertune {

// The GLIBC_TUNABLES value to run with, given the current one (nullptr: unset); nullopt when nothing is to be
// added (the user already chose a value for one of these tunables).
std::optional<std::string> tuned_glibc_tunables(const char* current);

// Whether the command line reads a trace (`trace …`, or `doctor` with `--trace FILE`): the commands that build
// large tables and are worth the re-execution.
bool wants_malloc_tuning(int argc, const char* const* argv);

// In the re-executed process: puts GLIBC_TUNABLES back as the user had it (and drops the marker), so that the
// programs this one runs (nvidia-smi, python, …) get the user's environment. False when there is nothing to
// restore (not re-executed).
bool restore_user_environment();

// Re-executes this program with tuned_glibc_tunables() in its environment, once (a marker variable stops a
// second time); returns (and the process goes on untuned) when that is not possible or not needed: other C
// libraries, sanitizer builds, tunables set by the user, or exec failing.
void reexec_with_malloc_tuning(char** argv);

}  // namespace infertune
