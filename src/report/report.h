#pragma once
// A Report is what every command produces: summary sections of facts, then ranked findings.
// Renderers (text, json, markdown) turn it into output; commands never format output themselves.

#include <optional>
#include <string>
#include <vector>

#include "report/finding.h"
#include "report/json_writer.h"

namespace infertune {

struct Row {
  std::string label;  // "CPU"
  std::string value;  // "AMD EPYC 7763 · 2 sockets, 128 cores"
};

struct Section {
  std::string title;  // "Host"
  std::vector<Row> rows;
};

struct Report {
  std::string command;       // "doctor"
  std::string tool_version;  // "0.1.0+0123456789ab", set by the command from the build
  std::string subject;       // what was examined: "host ip-10-0-0-7" or "snapshot s.json (host ...)"
  std::vector<Section> sections;
  std::vector<Finding> findings;      // ranked
  std::vector<std::string> unknowns;  // "host.cpu.governors: no cpufreq in sysfs" (shown with --verbose)
  std::vector<std::string> notes;
  std::optional<Json> data;  // machine-readable payload for --format json (the snapshot for doctor)
  double elapsed_s = 0;

  int count(Severity s) const;
};

}  // namespace infertune
