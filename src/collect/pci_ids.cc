#include "collect/pci_ids.h"

#include <array>
#include <utility>

#include "base/strings.h"

namespace infertune {

std::optional<std::string> pci_ids_lookup(std::string_view text, std::string_view vendor, std::string_view device) {
  bool in_vendor = false;
  for (std::string_view line : str::lines(text)) {
    if (line.empty() || line.front() == '#') continue;
    if (line.front() != '\t') {
      if (in_vendor) return std::nullopt;  // the next vendor (or the class section): not listed
      in_vendor = line.size() > 4 && str::to_lower(line.substr(0, 4)) == vendor && (line[4] == ' ' || line[4] == '\t');
      continue;
    }
    if (!in_vendor || line.size() < 2 || line[1] == '\t') continue;  // subsystem lines have two tabs
    std::string_view rest = line.substr(1);
    if (rest.size() > 4 && str::to_lower(rest.substr(0, 4)) == device && (rest[4] == ' ' || rest[4] == '\t')) {
      std::string_view name = str::trim(rest.substr(4));
      if (name.empty()) return std::nullopt;
      return std::string(name);
    }
  }
  return std::nullopt;
}

std::optional<std::string> builtin_nvidia_gpu_name(std::string_view device) {
  // Source: the pci.ids database (https://pci-ids.ucw.cz, vendor 10de), device lines copied verbatim.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> kTable = {{
      {"15f7", "GP100GL [Tesla P100 PCIe 12GB]"},
      {"15f8", "GP100GL [Tesla P100 PCIe 16GB]"},
      {"15f9", "GP100GL [Tesla P100 SXM2 16GB]"},
      {"1db1", "GV100GL [Tesla V100 SXM2 16GB]"},
      {"1db4", "GV100GL [Tesla V100 PCIe 16GB]"},
      {"1db5", "GV100GL [Tesla V100 SXM2 32GB]"},
      {"1db6", "GV100GL [Tesla V100 PCIe 32GB]"},
      {"1eb8", "TU104GL [Tesla T4]"},
      {"20b0", "GA100 [A100 SXM4 40GB]"},
      {"20b2", "GA100 [A100 SXM4 80GB]"},
      {"20b5", "GA100 [A100 PCIe 80GB]"},
      {"20f1", "GA100 [A100 PCIe 40GB]"},
      {"2236", "GA102GL [A10]"},
      {"2237", "GA102GL [A10G]"},
      {"26b5", "AD102GL [L40]"},
      {"26b9", "AD102GL [L40S]"},
      {"27b8", "AD104GL [L4]"},
      {"2321", "GH100 [H100 NVL]"},
      {"2322", "GH100 [H800 PCIe]"},
      {"2330", "GH100 [H100 SXM5 80GB]"},
      {"2331", "GH100 [H100 PCIe]"},
      {"2335", "GH100 [H200 SXM 141GB]"},
  }};
  for (const auto& [id, name] : kTable) {
    if (id == device) return std::string(name);
  }
  return std::nullopt;
}

}  // namespace infertune
