#pragma once
// Fact<T>: one collected value with where it came from, or the reason it is unknown.
// Missing data is not an error: a collector that cannot read something leaves the Fact empty and says why.

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace infertune {

template <class T>
struct Fact {
  std::optional<T> value;
  std::string source;       // where the value was read: "/proc/meminfo", "env OMP_NUM_THREADS", ...
  std::string unknown_why;  // set when the value was looked for and could not be had

  bool known() const { return value.has_value(); }
  explicit operator bool() const { return known(); }
  const T& operator*() const {
    assert(known());
    return *value;
  }
  const T* operator->() const {
    assert(known());
    return &*value;
  }
  T value_or(T fallback) const { return value.value_or(std::move(fallback)); }

  void set(T v, std::string src) {
    value = std::move(v);
    source = std::move(src);
    unknown_why.clear();
  }
  void unknown(std::string why) {
    value.reset();
    unknown_why = std::move(why);
  }
};

// Convention for limits throughout the snapshot: -1 means "no limit".
inline constexpr int64_t kUnlimited = -1;

}  // namespace infertune
