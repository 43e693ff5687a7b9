#pragma once
// A small RFC 4180 CSV reader for the reference tables: comma-separated, fields optionally in double quotes
// (a quote inside is doubled, commas and newlines inside quotes are data), LF or CRLF line ends, blank lines
// skipped. Errors name the input and the line.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace infertune::compat {

struct CsvRecord {
  size_t line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

// `what` starts each error message ("pytorch.csv"): "pytorch.csv line 7: unterminated quoted field".
Result<std::vector<CsvRecord>> parse_csv(std::string_view text, const std::string& what);

}  // namespace infertune::compat
