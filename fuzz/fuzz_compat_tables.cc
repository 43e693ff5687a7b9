// Fuzzes the reference-table reader (compat --data-dir DIR): any bytes in place of one table give tables or one
// error line naming the file; tables that load can be used by the judgements without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "compat/chooser.h"
#include "compat/csv.h"
#include "compat/embedded_data.h"
#include "compat/tables.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace infertune::compat;
  if (size < 1) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  (void)parse_csv(text, "fuzz.csv");
  const auto& files = table_files();
  const std::string& victim = files[data[0] % files.size()];
  auto t = parse_tables(
      [&](const std::string& file) -> infertune::Result<std::string> {
        if (file == victim) return std::string(text);
        for (const auto& f : embedded_data_files()) {
          if (file == f.name) return std::string(f.bytes);
        }
        return infertune::input_error("missing");
      },
      "fuzz");
  if (!t.ok()) {
    if (t.error().message.find('\n') != std::string::npos) __builtin_trap();
    return 0;
  }
  Machine m;
  m.driver = infertune::Version::parse("535.104.05");
  m.cc = 90;
  (void)choose_torch(*t, m);
  (void)choose_cuda_images(*t, m);
  for (const auto& g : t->gpus) (void)find_gpu(*t, g.gpu);
  return 0;
}
