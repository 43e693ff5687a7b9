#include "compat/csv.h"

namespace infertune::compat {

Result<std::vector<CsvRecord>> parse_csv(std::string_view text, const std::string& what) {
  std::vector<CsvRecord> out;
  size_t i = 0;
  size_t line = 1;
  const size_t n = text.size();
  auto at = [&](size_t l) { return what + " line " + std::to_string(l) + ": "; };
  while (i < n) {
    // Blank line (or a lone CR) between records.
    if (text[i] == '\n') {
      ++i;
      ++line;
      continue;
    }
    if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') {
      i += 2;
      ++line;
      continue;
    }
    CsvRecord rec;
    rec.line = line;
    while (true) {
      std::string field;
      if (i < n && text[i] == '"') {
        size_t quote_line = line;
        ++i;
        bool closed = false;
        while (i < n) {
          char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n') ++line;
          field += c;
          ++i;
        }
        if (!closed) return input_error(at(quote_line) + "unterminated quoted field");
        if (i < n && text[i] != ',' && text[i] != '\n' && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
          return input_error(at(line) + "text after the closing quote of field " +
                             std::to_string(rec.fields.size() + 1));
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n') {
          if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') break;
          if (text[i] == '"') {
            return input_error(at(line) + "quote inside unquoted field " + std::to_string(rec.fields.size() + 1));
          }
          field += text[i];
          ++i;
        }
      }
      rec.fields.push_back(std::move(field));
      if (i < n && text[i] == ',') {
        ++i;
        continue;
      }
      break;  // end of record: newline or end of input
    }
    if (i < n && text[i] == '\r') ++i;
    if (i < n && text[i] == '\n') {
      ++i;
      ++line;
    }
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace infertune::compat
