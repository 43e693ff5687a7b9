#pragma once
// Options shared by every command (the global flags).

#include <string>

#include "report/finding.h"
#include "report/render.h"

namespace infertune::cli {

struct GlobalOptions {
  std::string format = "text";  // text | json | markdown | html
  std::string output;           // --output FILE ("" = stdout)
  bool no_color = false;
  bool quiet = false;
  bool verbose = false;
  std::string fail_on = "error";  // info | warning | error
  std::string root;               // hidden: --root DIR
};

// Colour only for a terminal, never with --no-color, NO_COLOR, TERM=dumb or --output.
bool want_color(const GlobalOptions& g);
RenderOptions render_options(const GlobalOptions& g);

}  // namespace infertune::cli
