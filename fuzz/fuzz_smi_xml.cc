// Fuzzes the nvidia-smi -q -x import (--from-smi-xml FILE): any bytes give devices or one error line, and what
// was imported always writes as a snapshot that reads back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collect/smi_xml.h"
#include "facts/snapshot_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = infertune::parse_smi_xml(text, "fuzz.xml");
  if (r.ok()) {
    infertune::Snapshot s;
    infertune::apply_smi_import(std::move(r.value()), s);
    std::string json = infertune::json_text(infertune::snapshot_to_json(s));
    if (!infertune::snapshot_from_text(json, "again.json").ok()) __builtin_trap();
  } else if (r.error().message.find('\n') != std::string::npos) {
    __builtin_trap();
  }
  return 0;
}
