#pragma once
// Small string helpers shared by the parsers. All are pure and never throw.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infertune::str {

std::string_view trim(std::string_view s);
std::vector<std::string_view> split(std::string_view s, char sep);
// Splits on runs of spaces/tabs, dropping empty fields.
std::vector<std::string_view> split_ws(std::string_view s);
std::vector<std::string_view> lines(std::string_view s);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string to_lower(std::string_view s);

// Whole-string numeric parses (leading/trailing whitespace allowed); nullopt on anything else.
std::optional<int64_t> parse_i64(std::string_view s);
std::optional<uint64_t> parse_u64(std::string_view s);
std::optional<double> parse_double(std::string_view s);

// "0-3,8,10-11" -> sorted list of ids; nullopt when malformed. Caps at 1<<20 entries.
std::optional<std::vector<int>> parse_cpu_list(std::string_view s);

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word` if it is close enough to be a plausible typo.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace infertune::str
