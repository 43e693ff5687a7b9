#pragma once
// Path helpers of the compatibility inventory: absolute paths of the diagnosed system, joined, normalised
// and resolved through FsRoot (so --root fixtures behave like the machine they copy).

#include <string>
#include <string_view>

#include "base/fs_root.h"

namespace infertune::compat_paths {

std::string join(std::string_view dir, std::string_view name);
std::string dirname(std::string_view path);
std::string basename(std::string_view path);
// Removes "." and ".." components and doubled slashes ("/a/b/../c" -> "/a/c").
std::string normalize(std::string_view path);
// The canonical path: symbolic links of every component followed (at most 40), relative targets taken from
// the link's directory, absolute ones inside the root; "." and ".." removed.
std::string resolve(const FsRoot& fs, const std::string& path);

}  // namespace infertune::compat_paths
