#include "cli/options.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace infertune::cli {

bool want_color(const GlobalOptions& g) {
  if (g.no_color || !g.output.empty() || g.format != "text") return false;
  const char* nc = std::getenv("NO_COLOR");
  if (nc != nullptr && *nc != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

RenderOptions render_options(const GlobalOptions& g) {
  RenderOptions o;
  o.color = want_color(g);
  o.quiet = g.quiet;
  o.verbose = g.verbose;
  return o;
}

}  // namespace infertune::cli
