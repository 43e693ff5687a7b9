// Fuzzes the trace reader (trace analyze FILE): any bytes, plain or gzip, must give a Trace or one error line,
// and what was read must go through the model and the analyses without crashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "trace/reader.h"
#include "trace/trace_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = infertune::trace::read_trace_bytes(bytes, "fuzz.json");
  if (r.ok()) {
    infertune::Report rep = infertune::trace::trace_report(*r, infertune::trace::TraceReportOptions{});
    if (rep.sections.empty()) __builtin_trap();
  } else if (r.error().message.find('\n') != std::string::npos) {
    __builtin_trap();
  }
  return 0;
}
