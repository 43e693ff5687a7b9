#pragma once
// The reference tables of data/*.csv, embedded in the binary at build time (cmake/embed_data.cmake).

#include <string_view>
#include <vector>

namespace infertune::compat {

struct EmbeddedFile {
  const char* name;        // "pytorch.csv"
  std::string_view bytes;  // the file's content
};

// Every data/*.csv of the source tree, sorted by name.
const std::vector<EmbeddedFile>& embedded_data_files();

}  // namespace infertune::compat
