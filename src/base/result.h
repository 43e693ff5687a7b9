#pragma once
// Result<T>: a value or an Error carried up to the CLI, which turns it into one message and an exit code.
// Used for operations that failed (a file the user named cannot be read, a snapshot that does not parse).
// Facts that merely could not be read are not errors: they are empty Facts with a reason (facts/fact.h).

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace infertune {

enum class ErrorKind {
  kUsage,        // the user asked for something malformed (bad flag value, bad file content they named)
  kInput,        // an input file the user named is unreadable or invalid
  kEnvironment,  // the machine prevents the work (cannot write output, ...)
  kInternal,     // a bug
};

struct Error {
  ErrorKind kind = ErrorKind::kInput;
  std::string message;  // one line, names the file/flag and what is wrong
};

inline Error usage_error(std::string m) { return {ErrorKind::kUsage, std::move(m)}; }
inline Error input_error(std::string m) { return {ErrorKind::kInput, std::move(m)}; }
inline Error env_error(std::string m) { return {ErrorKind::kEnvironment, std::move(m)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;
inline Status ok_status() { return Ok{}; }

}  // namespace infertune
