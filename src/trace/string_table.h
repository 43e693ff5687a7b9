#pragma once
// Interned strings of a trace: each distinct name or category is stored once and referred to by a 32-bit id.
// Id 0 is always the empty string.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace infertune::trace {

using StringId = uint32_t;

class StringTable {
 public:
  StringTable() { intern(""); }  // id 0 is the empty string (the value of absent names and fields)
  StringId intern(std::string_view s) {
    auto it = index_.find(s);
    if (it != index_.end()) return it->second;
    StringId id = static_cast<StringId>(strings_.size());
    strings_.emplace_back(s);  // a deque never moves its elements: the views stay valid
    index_.emplace(std::string_view(strings_.back()), id);
    bytes_ += s.size();
    return id;
  }
  const std::string& str(StringId id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  std::deque<std::string> strings_;
  std::unordered_map<std::string_view, StringId> index_;
  size_t bytes_ = 0;
};

}  // namespace infertune::trace
