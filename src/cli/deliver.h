#pragma once
// What every command does at its edges: turn an Error into one line and an exit code, and deliver a Report
// (render in the chosen format, write to stdout or --output, exit code from --fail-on).

#include <chrono>
#include <optional>
#include <string>

#include "base/result.h"
#include "cli/options.h"
#include "facts/snapshot.h"
#include "report/report.h"

namespace infertune::cli {

// Prints "infertune <command>: <message>" on stderr; returns 2 for usage/input errors, 3 otherwise.
int fail(const std::string& command, const Error& e);

// Stamps the tool version and run time on `rep`, renders and writes it; returns 0, 1 (findings at or above
// --fail-on) or the failure code when the output cannot be written.
int deliver(const std::string& command, Report& rep, const GlobalOptions& g,
            std::chrono::steady_clock::time_point started);

// --from-smi-xml FILE (gpu, doctor, compat): replaces the GPU state in `snap` with the nvidia-smi -q -x output
// and names the file in `subject`. An unreadable or invalid file is returned for fail().
std::optional<Error> import_smi_xml_flag(const std::string& path, Snapshot& snap, std::string& subject);

}  // namespace infertune::cli
