#pragma once
// What-if: put a planned install (--target torch==2.8.0+cu128, tensorflow==2.16.1, onnxruntime-gpu==1.20.1,
// cuda==12.8) or another machine's driver and GPU (--driver 550.54.14 --gpu "L4") into a Snapshot, so the
// same rules judge the plan. Errors name the flag and what is wrong.

#include <optional>
#include <string>

#include "base/result.h"
#include "compat/tables.h"
#include "facts/snapshot.h"

namespace infertune::compat {

struct Target {
  std::string name;     // "torch", "tensorflow", "onnxruntime-gpu", "cuda"
  std::string version;  // "2.8.0+cu128"
};

Result<Target> parse_target(const std::string& spec);
// Replaces (or adds) the package in the first Python environment; for cuda== sets the toolkit version.
std::optional<Error> apply_target(const Tables& t, const Target& target, Snapshot& s);
// Empty strings leave the machine's own facts alone.
std::optional<Error> apply_machine(const Tables& t, const std::string& driver, const std::string& gpu, Snapshot& s);

}  // namespace infertune::compat
