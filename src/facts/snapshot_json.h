#pragma once
// Snapshot <-> versioned JSON. Documented field by field in docs/snapshot.md.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "facts/snapshot.h"
#include "report/json_writer.h"

namespace infertune {

inline constexpr size_t kMaxSnapshotBytes = 64u << 20;

Json snapshot_to_json(const Snapshot& s);
// `name` is how the input is named in errors (a file path, "-" for stdin).
Result<Snapshot> snapshot_from_text(std::string_view text, const std::string& name);
Result<Snapshot> load_snapshot_file(const std::string& path);

// Every documented leaf path ("host.memory.total_bytes"), in schema order.
std::vector<std::string> snapshot_field_paths();

}  // namespace infertune
