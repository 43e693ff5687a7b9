#pragma once
// Dotted version numbers compared field by field, never as floats ("12.10" > "12.9").

#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace infertune {

class Version {
 public:
  // Accepts "12", "12.4", "550.54.14", "2.8.0+cu128" (the local part after '+' is kept apart),
  // "v1.2". Returns nullopt when there is no leading number.
  static std::optional<Version> parse(std::string_view s);

  const std::vector<long>& fields() const { return fields_; }
  long major() const { return fields_.empty() ? 0 : fields_[0]; }
  long minor() const { return fields_.size() > 1 ? fields_[1] : 0; }
  const std::string& local() const { return local_; }
  std::string str() const;

  // Missing fields compare as 0: "12.4" == "12.4.0". The local part is ignored.
  std::strong_ordering operator<=>(const Version& o) const;
  bool operator==(const Version& o) const { return (*this <=> o) == 0; }

 private:
  std::vector<long> fields_;
  std::string local_;
};

}  // namespace infertune
