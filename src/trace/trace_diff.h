#pragma once
// `trace diff BASE NEW`: two traces of the same model (before/after a change) compared on the numbers the
// analyses already compute — wall and step time, GPU busy/idle and idle by cause, kernels and operators matched
// by name, launches and copies — with the changes ranked. Pure: no IO.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "report/report.h"
#include "trace/trace_data.h"

namespace infertune::trace {

// One compared quantity. Durations are ns; counts and bytes are plain numbers (see `unit`).
struct DiffRow {
  std::string name;  // "GPU idle", "kernel gemm_kernel", "op aten::mm (CPU self)"
  std::string unit;  // "ns", "count", "bytes"
  int64_t base = 0, now = 0;
  int64_t delta() const { return now - base; }
  // (now − base) / base; 0 when base is 0 (the report says "new" there, JSON null)
  double rel() const;
};

struct TraceDiff {
  std::vector<DiffRow> overall;       // wall span, steps, GPU timeline, idle by cause, launches, copies (fixed order);
                                      // then peak GPU memory allocated and reserved when either trace recorded memory
  std::vector<DiffRow> kernels;       // GPU time by normalised kernel name (all devices; no memcpy/memset), by |delta|
  std::vector<DiffRow> classes;       // GPU time by kernel class, by |delta|
  std::vector<DiffRow> class_counts;  // activities per kernel class, by |delta|
  size_t kernel_names_base = 0, kernel_names_new = 0;  // exact kernel names
  size_t kernel_keys_base = 0, kernel_keys_new = 0;    // after normalize_kernel_name
  std::vector<DiffRow> ops_cuda;                       // CUDA total by operator name, by |delta|
  std::vector<DiffRow> ops_cpu;                        // CPU total by operator name, by |delta|
  std::vector<DiffRow> slower;  // time rows (kernels, operators' self time, idle causes, step) that grew, largest first
  std::vector<DiffRow> faster;  // those that shrank, largest first
};

TraceDiff diff_traces(const Trace& base, const Trace& now);

// The name a kernel is matched by across runs (the same kernel family gets the same key; rules in
// docs/trace.md): the parameter list after the template is dropped, and "void "; a Triton (Inductor) kernel's
// trailing graph-local index goes (triton_poi_fused_add_3 -> triton_poi_fused_add); tile and shape parameters
// become * (tilesize128x128x64 -> tilesize*, _256x128_32x3_ -> _*_*_, stage4 -> stage*, align4 -> align*,
// MT64x16x16 -> MT*); integer template arguments become * (<float, 128, 6> -> <float, *, *>); hex hashes and
// addresses (0x7f3a…, runs of 12+ hex digits) become *; at::detail::Array< is spelled std::array< (renamed in
// PyTorch 2.x). Mangled names (_Z…) and everything else are kept.
std::string normalize_kernel_name(const std::string& name);

struct TraceDiffOptions {
  size_t top = 10;  // rows of each table and of the ranked lists
};

Report trace_diff_report(const Trace& base, const Trace& now, const TraceDiffOptions& o);

}  // namespace infertune::trace
