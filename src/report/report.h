#pragma once
// A Report is what every command produces: summary sections of facts, then ranked findings.
// Renderers (text, json, markdown, html) turn it into output; commands never format output themselves.

#include <cstdint>
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

// A chart for the HTML report (text, Markdown and JSON leave charts out: their numbers are in the sections and
// the JSON data). Values are in base units; `unit` picks the axis labels: "ns" (durations), "bytes", "%"
// (0..100), anything else is printed after the number ("" = plain number).
enum class ChartKind { kBar, kTimeSeries };

struct ChartPoint {
  int64_t x = 0;  // time-series x: a timestamp in ns
  double y = 0;
};

struct ChartSeries {
  std::string name;                // "GPU 0", "allocated"
  std::vector<ChartPoint> points;  // ascending x; long series are drawn downsampled (min and max of each bin)
  bool step = false;               // the value holds until the next point (a counter such as allocated bytes)
};

struct Chart {
  ChartKind kind = ChartKind::kBar;
  std::string id;       // stable, for anchors and tests: "trace-top-kernels"
  std::string title;    // "Top kernels by GPU time"
  std::string caption;  // one line under the chart: what is measured, what is left out ("" = none)
  std::string unit;     // of the values / y axis
  // kBar: one bar per label, in the order given (negative values extend left of zero).
  std::vector<std::string> labels;
  std::vector<double> values;
  // kTimeSeries: x axis labels are times relative to x_origin (the first x when not set).
  std::vector<ChartSeries> series;
  std::optional<int64_t> x_origin;
  std::string x_label;              // "time since the first event"
  std::optional<double> reference;  // a horizontal line at this y (e.g. the device's memory)
  std::string reference_label;      // "device memory 80 GiB"
};

struct Report {
  std::string command;       // "doctor"
  std::string tool_version;  // "0.1.0+0123456789ab", set by the command from the build
  std::string subject;       // what was examined: "host ip-10-0-0-7" or "snapshot s.json (host ...)"
  std::vector<Section> sections;
  std::vector<Finding> findings;      // ranked
  std::vector<std::string> unknowns;  // "host.cpu.governors: no cpufreq in sysfs" (shown with --verbose)
  std::vector<std::string> notes;
  std::vector<Chart> charts;  // drawn by the HTML renderer only
  std::optional<Json> data;   // machine-readable payload for --format json (the snapshot for doctor)
  double elapsed_s = 0;

  int count(Severity s) const;
};

}  // namespace infertune
