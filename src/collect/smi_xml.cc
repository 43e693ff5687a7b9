#include "collect/smi_xml.h"

#include <cctype>
#include <cmath>
#include <initializer_list>
#include <pugixml.hpp>

#include "base/fs_root.h"
#include "base/strings.h"

namespace infertune {

namespace {

std::optional<double> leading_number(std::string_view text, std::string_view unit) {
  auto words = str::split_ws(str::trim(text));
  if (words.empty() || words.size() > 2) return std::nullopt;
  if (words.size() == 2 && words[1] != unit) return std::nullopt;
  if (words.size() == 1 && !unit.empty()) return std::nullopt;
  auto v = str::parse_double(words[0]);
  if (!v || !std::isfinite(*v) || std::fabs(*v) > 9.0e15) return std::nullopt;
  return v;
}

}  // namespace

std::optional<int64_t> smi_number(std::string_view text, std::string_view unit) {
  auto v = leading_number(text, unit);
  if (!v) return std::nullopt;
  return static_cast<int64_t>(std::llround(*v));
}

std::optional<int64_t> smi_bytes(std::string_view text) {
  auto words = str::split_ws(str::trim(text));
  if (words.size() != 2) return std::nullopt;
  double mult = 0;
  if (words[1] == "MiB") mult = 1024.0 * 1024.0;
  if (words[1] == "KiB") mult = 1024.0;
  if (words[1] == "GiB") mult = 1024.0 * 1024.0 * 1024.0;
  if (mult == 0) return std::nullopt;
  auto v = str::parse_double(words[0]);
  if (!v || *v < 0 || *v > 1.0e9) return std::nullopt;
  return static_cast<int64_t>(std::llround(*v * mult));
}

std::optional<int64_t> smi_milliwatts(std::string_view text) {
  auto v = leading_number(text, "W");
  if (!v || *v < 0 || *v > 1.0e6) return std::nullopt;
  return static_cast<int64_t>(std::llround(*v * 1000.0));
}

std::string smi_bus_id_to_sysfs(std::string_view id) {
  std::string s = str::to_lower(str::trim(id));
  size_t colon = s.find(':');
  if (colon == 8) s = s.substr(4);  // 8-digit domain -> the kernel's 4 digits
  return s;
}

namespace {

bool unavailable(std::string_view t) {
  t = str::trim(t);
  if (!t.empty() && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
  return t.empty() || t == "N/A" || t == "Not Supported" || t == "Unknown Error" || t == "Insufficient Permissions" ||
         t == "Unknown";
}

struct Reader {
  pugi::xml_node gpu;
  const std::string& src;

  // The first of `paths` present in the XML, or an empty node.
  pugi::xml_node first(std::initializer_list<const char*> paths) const {
    for (const char* p : paths) {
      pugi::xml_node n = gpu.first_element_by_path(p);
      if (n) return n;
    }
    return {};
  }

  template <class T, class Parse>
  void set(Fact<T>& out, std::initializer_list<const char*> paths, Parse parse) const {
    std::string seen;
    for (const char* p : paths) {
      pugi::xml_node n = gpu.first_element_by_path(p);
      if (!n) continue;
      std::string_view text = n.child_value();
      if (auto v = parse(text)) return out.set(static_cast<T>(*v), src);
      if (seen.empty()) seen = std::string(str::trim(text));
    }
    if (seen.empty() && !first(paths)) return out.unknown("not in this nvidia-smi -q -x output");
    if (unavailable(seen)) return out.unknown("nvidia-smi reports " + (seen.empty() ? std::string("nothing") : seen));
    out.unknown("nvidia-smi value not understood: " + seen.substr(0, 60));
  }

  void text(Fact<std::string>& out, std::initializer_list<const char*> paths) const {
    set(out, paths, [](std::string_view t) -> std::optional<std::string> {
      if (unavailable(t)) return std::nullopt;
      return std::string(str::trim(t));
    });
  }
  void number(Fact<int64_t>& out, std::initializer_list<const char*> paths, const char* unit) const {
    set(out, paths, [unit](std::string_view t) { return smi_number(t, unit); });
  }
  void flag(Fact<bool>& out, std::initializer_list<const char*> paths, const char* yes, const char* no) const {
    set(out, paths, [yes, no](std::string_view t) -> std::optional<bool> {
      t = str::trim(t);
      if (t == yes) return true;
      if (t == no) return false;
      return std::nullopt;
    });
  }
};

// Sum of the uncorrectable counters under ecc_errors/<which>: double_bit/total (DTD <= v11) or
// dram_uncorrectable + sram_uncorrectable[_parity|_secded] (v12, v13).
void ecc_uncorrectable(const Reader& r, Fact<int64_t>& out, const char* which) {
  pugi::xml_node block = r.gpu.child("ecc_errors").child(which);
  if (!block) return out.unknown("not in this nvidia-smi -q -x output");
  int64_t sum = 0;
  bool any = false;
  if (pugi::xml_node total = block.child("double_bit").child("total")) {
    if (auto v = smi_number(total.child_value(), "")) {
      sum = *v;
      any = true;
    }
  } else {
    for (pugi::xml_node c : block.children()) {
      std::string_view name = c.name();
      if (name.find("uncorrectable") == std::string_view::npos) continue;
      if (auto v = smi_number(c.child_value(), "")) {
        sum += *v;
        any = true;
      }
    }
  }
  if (!any) return out.unknown("nvidia-smi reports N/A (ECC not supported or disabled)");
  out.set(sum, r.src);
}

void clock_reasons(const Reader& r, Fact<std::vector<std::string>>& out) {
  pugi::xml_node block = r.first({"clocks_event_reasons", "clocks_throttle_reasons"});
  if (!block) return out.unknown("not in this nvidia-smi -q -x output");
  std::vector<std::string> active;
  bool any = false;
  for (pugi::xml_node c : block.children()) {
    std::string_view name = c.name();
    std::string_view value = str::trim(c.child_value());
    for (std::string_view prefix : {"clocks_event_reason_", "clocks_throttle_reason_"}) {
      if (str::starts_with(name, prefix)) name.remove_prefix(prefix.size());
    }
    if (value == "Active") {
      active.emplace_back(name);
      any = true;
    } else if (value == "Not Active") {
      any = true;
    }
  }
  if (!any) return out.unknown("nvidia-smi reports N/A");
  out.set(std::move(active), r.src);
}

void processes(const Reader& r, Fact<std::vector<GpuProcessFacts>>& out) {
  pugi::xml_node block = r.gpu.child("processes");
  if (!block) return out.unknown("not in this nvidia-smi -q -x output");
  std::vector<GpuProcessFacts> list;
  for (pugi::xml_node p : block.children("process_info")) {
    GpuProcessFacts f;
    f.pid = smi_number(p.child("pid").child_value(), "").value_or(0);
    f.name = std::string(str::trim(p.child("process_name").child_value()));
    std::string_view type = str::trim(p.child("type").child_value());
    f.type = type == "C"     ? "compute"
             : type == "G"   ? "graphics"
             : type == "C+G" ? "compute+graphics"
                             : std::string(type);
    std::string_view mem = p.child("used_memory").child_value();
    if (auto b = smi_bytes(mem)) {
      f.used_memory_bytes.set(*b, r.src);
    } else {
      f.used_memory_bytes.unknown("nvidia-smi reports " + std::string(str::trim(mem)) +
                                  " (usual on Windows/WDDM and vGPU guests)");
    }
    f.sm_utilization_pct.unknown("nvidia-smi -q -x has no per-process utilization");
    f.memory_utilization_pct.unknown("nvidia-smi -q -x has no per-process utilization");
    list.push_back(std::move(f));
  }
  out.set(std::move(list), r.src);
}

GpuDeviceFacts read_gpu(pugi::xml_node gpu, int64_t index, const std::string& src) {
  Reader r{gpu, src};
  GpuDeviceFacts d;
  d.index.set(index, src);
  r.text(d.name, {"product_name"});
  r.text(d.uuid, {"uuid"});
  r.set(d.pci_bus_id, {"pci/pci_bus_id"}, [](std::string_view t) -> std::optional<std::string> {
    if (unavailable(t)) return std::nullopt;
    return smi_bus_id_to_sysfs(t);
  });
  if (!d.pci_bus_id) {
    std::string id = gpu.attribute("id").value();
    if (!id.empty()) d.pci_bus_id.set(smi_bus_id_to_sysfs(id), src);
  }
  r.text(d.serial, {"serial"});
  r.text(d.vbios_version, {"vbios_version"});
  d.compute_capability.unknown("nvidia-smi -q -x does not report it (NVML or CUDA does)");
  r.set(d.memory_total_bytes, {"fb_memory_usage/total"}, smi_bytes);
  r.set(d.memory_used_bytes, {"fb_memory_usage/used"}, smi_bytes);
  r.set(d.memory_free_bytes, {"fb_memory_usage/free"}, smi_bytes);
  r.number(d.utilization_gpu_pct, {"utilization/gpu_util"}, "%");
  r.number(d.utilization_memory_pct, {"utilization/memory_util"}, "%");
  r.number(d.temperature_c, {"temperature/gpu_temp"}, "C");
  r.set(d.power_draw_mw,
        {"gpu_power_readings/power_draw", "gpu_power_readings/instant_power_draw",
         "gpu_power_readings/average_power_draw", "power_readings/power_draw"},
        smi_milliwatts);
  r.set(d.power_limit_mw,
        {"gpu_power_readings/current_power_limit", "power_readings/enforced_power_limit",
         "power_readings/current_power_limit", "power_readings/power_limit"},
        smi_milliwatts);
  r.number(d.sm_clock_mhz, {"clocks/sm_clock"}, "MHz");
  r.number(d.sm_clock_max_mhz, {"max_clocks/sm_clock"}, "MHz");
  r.number(d.mem_clock_mhz, {"clocks/mem_clock"}, "MHz");
  r.number(d.mem_clock_max_mhz, {"max_clocks/mem_clock"}, "MHz");
  r.number(d.pcie_gen_current, {"pci/pci_gpu_link_info/pcie_gen/current_link_gen"}, "");
  r.number(d.pcie_gen_max, {"pci/pci_gpu_link_info/pcie_gen/max_link_gen"}, "");
  auto width = [](std::string_view t) -> std::optional<int64_t> {
    t = str::trim(t);
    if (t.empty() || t.back() != 'x') return std::nullopt;
    auto v = str::parse_i64(t.substr(0, t.size() - 1));
    if (!v || *v < 0 || *v > 64) return std::nullopt;
    return v;
  };
  r.set(d.pcie_width_current, {"pci/pci_gpu_link_info/link_widths/current_link_width"}, width);
  r.set(d.pcie_width_max, {"pci/pci_gpu_link_info/link_widths/max_link_width"}, width);
  clock_reasons(r, d.clock_event_reasons);
  r.flag(d.persistence_mode, {"persistence_mode"}, "Enabled", "Disabled");
  r.text(d.compute_mode, {"compute_mode"});
  r.flag(d.mig_mode, {"mig_mode/current_mig"}, "Enabled", "Disabled");
  r.flag(d.ecc_mode, {"ecc_mode/current_ecc"}, "Enabled", "Disabled");
  ecc_uncorrectable(r, d.ecc_volatile_uncorrectable, "volatile");
  ecc_uncorrectable(r, d.ecc_aggregate_uncorrectable, "aggregate");
  r.flag(d.retired_pages_pending, {"retired_pages/pending_retirement", "retired_pages/pending_blacklist"}, "Yes", "No");
  r.flag(d.remapped_rows_pending, {"remapped_rows/remapped_row_pending"}, "Yes", "No");
  r.flag(d.remapped_rows_failure, {"remapped_rows/remapped_row_failure"}, "Yes", "No");
  if (!d.remapped_rows_pending && str::trim(gpu.child("remapped_rows").child_value()) == "N/A") {
    d.remapped_rows_pending.unknown("nvidia-smi reports N/A (no row remapping before Ampere)");
    d.remapped_rows_failure.unknown("nvidia-smi reports N/A (no row remapping before Ampere)");
  }
  processes(r, d.processes);
  return d;
}

}  // namespace

Result<SmiXmlImport> parse_smi_xml(std::string_view text, const std::string& name) {
  const std::string what = "nvidia-smi XML " + name;
  if (str::trim(text).empty()) return input_error(what + ": file is empty");
  pugi::xml_document doc;
  pugi::xml_parse_result res = doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!res) {
    return input_error(what + ": not valid XML (" + res.description() + " at byte " + std::to_string(res.offset) +
                       "); expected the output of nvidia-smi -q -x");
  }
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "nvidia_smi_log") {
    std::string got = root.name();
    if (got.size() > 40) got = got.substr(0, 40) + "...";
    return input_error(what + ": not nvidia-smi -q -x output (root element <" + got + ">, expected <nvidia_smi_log>)");
  }
  SmiXmlImport imp;
  imp.source = "nvidia-smi -q -x " + name;
  Reader top{root, imp.source};
  top.text(imp.driver_version, {"driver_version"});
  top.text(imp.cuda_driver_version, {"cuda_version"});
  int64_t index = 0;
  for (pugi::xml_node gpu : root.children("gpu")) imp.devices.push_back(read_gpu(gpu, index++, imp.source));
  return imp;
}

Result<SmiXmlImport> load_smi_xml_file(const std::string& path) {
  auto text = read_user_file(path, kMaxSmiXmlBytes, "nvidia-smi XML " + path);
  if (!text) return text.error();
  return parse_smi_xml(*text, path);
}

void apply_smi_import(SmiXmlImport imp, Snapshot& s) {
  s.gpu.devices.set(std::move(imp.devices), imp.source);
  s.gpu.driver.driver_version = std::move(imp.driver_version);
  s.gpu.driver.cuda_driver_version = std::move(imp.cuda_driver_version);
  s.notes.push_back("GPU devices imported from " + imp.source + " (not probed on this machine)");
}

}  // namespace infertune
