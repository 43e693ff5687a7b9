#pragma once
// Import of `nvidia-smi -q -x` output (DTD v10 to v13, Linux and Windows, MIG, vGPU) onto the Snapshot's GPU
// facts: the same fields NVML fills, each with the source "nvidia-smi -q -x FILE". Parsed with pugixml.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "facts/snapshot.h"

namespace infertune {

inline constexpr size_t kMaxSmiXmlBytes = 32u << 20;

struct SmiXmlImport {
  std::vector<GpuDeviceFacts> devices;
  Fact<std::string> driver_version;       // <driver_version>
  Fact<std::string> cuda_driver_version;  // <cuda_version>
  std::string source;                     // "nvidia-smi -q -x FILE"
};

// `name` is how the input is named in errors and sources (the file path). Errors are one line:
// "nvidia-smi XML FILE: not valid XML (...)", "... root element is <x>, expected <nvidia_smi_log>".
Result<SmiXmlImport> parse_smi_xml(std::string_view text, const std::string& name);
Result<SmiXmlImport> load_smi_xml_file(const std::string& path);

// Puts an import into the snapshot: gpu.devices and the driver versions (notes say where they came from).
void apply_smi_import(SmiXmlImport imp, Snapshot& s);

// Value helpers, public for tests. "81920 MiB" -> bytes; "67.03 W" -> mW; "16x" -> 16. nullopt for "N/A",
// "[Not Supported]", garbage or a different unit.
std::optional<int64_t> smi_bytes(std::string_view text);
std::optional<int64_t> smi_milliwatts(std::string_view text);
std::optional<int64_t> smi_number(std::string_view text, std::string_view unit);
// "0000:01:00.0" from "00000000:01:00.0" (the sysfs form, lower-case).
std::string smi_bus_id_to_sysfs(std::string_view id);

}  // namespace infertune
