#pragma once
// The one JSON writer of the program: every JSON byte infertune prints or saves goes through here,
// so key order (insertion order), indentation and the handling of invalid UTF-8 are the same everywhere.

#include <nlohmann/json.hpp>
#include <string>

namespace infertune {

using Json = nlohmann::ordered_json;

// Pretty (2-space indent) by default; invalid UTF-8 in strings read from the system is replaced by U+FFFD.
std::string json_text(const Json& j, bool pretty = true);

}  // namespace infertune
