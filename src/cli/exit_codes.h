#pragma once
// Exit codes of infertune, defined once here and documented in docs/cli.md.

namespace infertune::exit_code {

inline constexpr int kOk = 0;           // no finding at or above the --fail-on threshold
inline constexpr int kFindings = 1;     // findings at or above the --fail-on threshold (default: error)
inline constexpr int kUsage = 2;        // bad command line, or an input file the user named is invalid
inline constexpr int kEnvironment = 3;  // a problem of this machine the tool could not work around
                                        // (cannot write --output, command not available in this build)

}  // namespace infertune::exit_code
