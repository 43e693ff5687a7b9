#include "base/malloc_tuning.h"
#include "cli/command.h"

int main(int argc, char** argv) {
  // Trace analysis builds tables of hundreds of MB: run it with glibc's large-table malloc settings.
  if (infertune::wants_malloc_tuning(argc, argv)) infertune::reexec_with_malloc_tuning(argv);
  return infertune::cli::run_cli(argc, argv);
}
