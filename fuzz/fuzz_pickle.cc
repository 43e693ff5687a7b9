// Fuzzes the safe pickle reader and the memory-snapshot model (trace memory SNAPSHOT): any bytes, plain or
// gzip, must give a snapshot or one error line, and what was read must go through the analyses and every
// renderer without crashing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "report/render.h"
#include "trace/memory_snapshot.h"
#include "trace/pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto doc = infertune::pickle::parse(bytes);
  if (!doc.ok() && doc.error().message.find('\n') != std::string::npos) __builtin_trap();
  auto r = infertune::trace::read_memory_snapshot_bytes(bytes, "fuzz.pickle");
  if (r.ok()) {
    infertune::Report rep = infertune::trace::memory_snapshot_report(*r, 5);
    if (rep.sections.empty()) __builtin_trap();
    infertune::render(rep, infertune::Format::kText, infertune::RenderOptions{});
    infertune::render(rep, infertune::Format::kJson, infertune::RenderOptions{});
  } else if (r.error().message.find('\n') != std::string::npos) {
    __builtin_trap();
  }
  return 0;
}
