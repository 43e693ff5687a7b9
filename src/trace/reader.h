#pragma once
// Reads a Kineto (PyTorch profiler) Chrome-trace JSON file, plain or gzip, streamed through the reader's own
// scanner (reader_json.h): memory is bounded by the events kept, never by the file. Unreadable, truncated or
// non-trace input is one input error that names the file; odd events inside a valid file are counted and skipped
// (ReadStats).

#include <string>
#include <string_view>

#include "base/result.h"
#include "trace/trace_data.h"

namespace infertune::trace {

Result<Trace> read_trace_file(const std::string& path);
// The same over bytes in memory (plain or gzip); `label` names the input in errors.
Result<Trace> read_trace_bytes(std::string_view bytes, const std::string& label);

}  // namespace infertune::trace
