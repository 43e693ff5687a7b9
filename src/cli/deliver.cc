#include "cli/deliver.h"

#include <cstdio>

#include "base/build_info.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "collect/smi_xml.h"
#include "report/render.h"

namespace infertune::cli {

int fail(const std::string& command, const Error& e) {
  std::fprintf(stderr, "infertune %s: %s\n", command.c_str(), e.message.c_str());
  switch (e.kind) {
    case ErrorKind::kUsage:
    case ErrorKind::kInput: return exit_code::kUsage;
    case ErrorKind::kEnvironment:
    case ErrorKind::kInternal: return exit_code::kEnvironment;
  }
  return exit_code::kEnvironment;
}

int deliver(const std::string& command, Report& rep, const GlobalOptions& g,
            std::chrono::steady_clock::time_point started) {
  rep.tool_version = std::string(build::kVersion) + "+" + build::kGitHash;
  rep.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Format fmt = Format::kText;
  parse_format(g.format, fmt);
  Status st = emit(g.output, render(rep, fmt, render_options(g)), "--output");
  if (!st) return fail(command, st.error());
  Severity threshold = Severity::kError;
  parse_severity(g.fail_on, threshold);
  for (const auto& f : rep.findings) {
    if (f.severity >= threshold) return exit_code::kFindings;
  }
  return exit_code::kOk;
}

std::optional<Error> import_smi_xml_flag(const std::string& path, Snapshot& snap, std::string& subject) {
  auto imp = load_smi_xml_file(path);
  if (!imp) return imp.error();
  apply_smi_import(std::move(imp.value()), snap);
  subject += " + nvidia-smi -q -x " + path;
  return std::nullopt;
}

}  // namespace infertune::cli
