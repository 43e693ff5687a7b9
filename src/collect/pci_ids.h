#pragma once
// PCI device names: the system's pci.ids database, with a small built-in table of datacenter GPUs for systems
// (and serving images) that do not ship pci.ids.

#include <optional>
#include <string>
#include <string_view>

namespace infertune {

// Looks up vendor:device ("10de", "2330", lower-case hex without 0x) in the text of a pci.ids file:
// "10de  NVIDIA Corporation" then "\t2330  GH100 [H100 SXM5 80GB]". nullopt when absent.
std::optional<std::string> pci_ids_lookup(std::string_view pci_ids_text, std::string_view vendor,
                                          std::string_view device);

// The built-in name of an NVIDIA datacenter GPU by device id ("2330"); nullopt for others.
std::optional<std::string> builtin_nvidia_gpu_name(std::string_view device);

}  // namespace infertune
