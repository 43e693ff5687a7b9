// Fuzzes the snapshot reader (doctor --from FILE): any bytes must give a Snapshot or one error line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "facts/snapshot_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = infertune::snapshot_from_text(text, "fuzz.json");
  if (r.ok()) {
    // What was read must write back and read again.
    std::string again = infertune::json_text(infertune::snapshot_to_json(*r));
    auto r2 = infertune::snapshot_from_text(again, "again.json");
    if (!r2.ok()) __builtin_trap();
  } else if (r.error().message.find('\n') != std::string::npos) {
    __builtin_trap();
  }
  return 0;
}
