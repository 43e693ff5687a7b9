#pragma once
// Writing results: stdout, or a file replaced atomically (never a partial file left as if complete).

#include <string>

#include "base/result.h"

namespace infertune::cli {

// Writes `text` to `path` through a temporary file in the same directory and rename(2).
// `what` names the flag in errors ("--output", "--save").
Status write_file_atomically(const std::string& path, const std::string& text, const std::string& what);
// Writes to stdout when path is empty.
Status emit(const std::string& path, const std::string& text, const std::string& what);

}  // namespace infertune::cli
