#include "collect/compat_paths.h"

#include <vector>

#include "base/strings.h"

namespace infertune::compat_paths {

std::string join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  out += name;
  return out;
}

std::string dirname(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string normalize(std::string_view path) {
  std::vector<std::string_view> parts;
  for (std::string_view p : str::split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  std::string out;
  for (auto p : parts) {
    out += '/';
    out += p;
  }
  return out.empty() ? "/" : out;
}

std::string resolve(const FsRoot& fs, const std::string& path) {
  // Component by component, so links to directories (/usr/local/cuda -> cuda-13.0) resolve too.
  std::vector<std::string> todo;  // components still to walk, last one first
  auto push = [&](std::string_view p) {
    auto parts = str::split(p, '/');
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
      if (!it->empty() && *it != ".") todo.emplace_back(*it);
  };
  push(path);
  std::string cur;
  int hops = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c == "..") {
      size_t slash = cur.rfind('/');
      cur = slash == std::string::npos ? std::string() : cur.substr(0, slash);
      continue;
    }
    std::string next = cur + "/" + c;
    if (hops < 40) {
      auto target = fs.readlink(fs.system(next));
      if (target.ok() && !target->empty()) {
        ++hops;
        if (target->front() == '/') cur.clear();
        push(*target);
        continue;
      }
    }
    cur = std::move(next);
  }
  return cur.empty() ? "/" : cur;
}

}  // namespace infertune::compat_paths
