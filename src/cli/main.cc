#include "cli/command.h"

int main(int argc, char** argv) { return infertune::cli::run_cli(argc, argv); }
