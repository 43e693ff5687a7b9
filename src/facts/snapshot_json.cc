#include "facts/snapshot_json.h"

#include "base/fs_root.h"
#include "base/strings.h"
#include "base/units.h"
#include "facts/codec.h"

namespace infertune {

namespace {
constexpr const char* kSchemaName = "infertune.snapshot";
}

Json snapshot_to_json(const Snapshot& s) {
  Json j = Json::object();
  j["schema"] = kSchemaName;
  j["schema_version"] = s.schema_version.empty() ? std::to_string(kSnapshotMajor) + "." + std::to_string(kSnapshotMinor)
                                                 : s.schema_version;
  j["tool_version"] = s.tool_version;
  j["collected_at"] = s.collected_at;
  j["root"] = s.root;
  codec::Provenance prov;
  Snapshot::fields(s, codec::Encoder{&j, "", &prov});
  j["notes"] = s.notes;
  j["sources"] = std::move(prov.sources);
  j["unknown"] = std::move(prov.unknown);
  return j;
}

Result<Snapshot> snapshot_from_text(std::string_view text, const std::string& name) {
  const std::string what = "snapshot " + name;
  if (str::trim(text).empty()) return input_error(what + ": file is empty");
  if (text.size() > kMaxSnapshotBytes) {
    return input_error(what + ": " + units::bytes(static_cast<double>(text.size())) +
                       " is too large for a snapshot (limit " + units::bytes(kMaxSnapshotBytes) + ")");
  }
  Json j;
  try {
    j = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for numbers such as 1E5454
    std::string msg = e.what();
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    size_t p = msg.find("] ");
    if (p != std::string::npos) msg = msg.substr(p + 2);
    return input_error(what + ": not valid JSON (" + msg + ")");
  }
  if (!j.is_object()) return input_error(what + ": not an infertune snapshot (top level is not a JSON object)");
  auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_string() || schema->get<std::string>() != kSchemaName) {
    return input_error(what + ": not an infertune snapshot (\"schema\" is not \"" + kSchemaName + "\")");
  }
  auto ver = j.find("schema_version");
  if (ver == j.end() || !ver->is_string()) {
    return input_error(what + ": \"schema_version\" is missing or not a string");
  }
  std::string vs = ver->get<std::string>();
  auto parts = str::split(vs, '.');
  auto major = str::parse_i64(parts[0]);
  if (!major || *major < 1) return input_error(what + ": schema_version \"" + vs + "\" is not a version");
  if (*major > kSnapshotMajor) {
    return input_error(what + ": written with snapshot schema " + vs + ", newer than this infertune reads (" +
                       std::to_string(kSnapshotMajor) + ".x); use a newer infertune");
  }

  Snapshot s;
  s.schema_version = vs;
  std::string err;
  auto header = [&](const char* key, std::string& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_string()) {
      if (err.empty()) err = codec::mismatch(key, "a string", *it);
      return;
    }
    out = it->get<std::string>();
  };
  header("tool_version", s.tool_version);
  header("collected_at", s.collected_at);
  header("root", s.root);

  codec::Provenance prov;
  auto obj_or_empty = [&](const char* key, Json& dst) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_object()) {
      if (err.empty()) err = codec::mismatch(key, "an object", *it);
      return;
    }
    dst = *it;
  };
  obj_or_empty("sources", prov.sources);
  obj_or_empty("unknown", prov.unknown);
  if (err.empty()) Snapshot::fields(s, codec::Decoder{&j, "", &prov, &err});
  if (err.empty()) {
    auto it = j.find("notes");
    if (it != j.end() && !it->is_null()) err = codec::decode(*it, s.notes, "notes", &prov);
  }
  if (!err.empty()) return input_error(what + ": " + err);
  return s;
}

Result<Snapshot> load_snapshot_file(const std::string& path) {
  auto text = read_user_file(path, kMaxSnapshotBytes, "snapshot " + path);
  if (!text) return text.error();
  return snapshot_from_text(*text, path);
}

std::vector<std::string> snapshot_field_paths() {
  std::vector<std::string> out = {"schema", "schema_version", "tool_version", "collected_at", "root"};
  Snapshot s;
  Snapshot::fields(s, codec::PathLister{"", &out});
  out.insert(out.end(), {"notes", "sources", "unknown"});
  return out;
}

}  // namespace infertune
