#pragma once
// The command table: every subcommand is declared once, with its summary, its flags and its action.

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "cli/options.h"

namespace infertune::cli {

struct Command {
  std::string name;
  std::string summary;
  // Empty when the command is built; otherwise what it will do, for the "not available yet" message.
  std::string not_available;
  std::function<void(CLI::App&)> add_flags;      // may be empty
  std::function<int(const GlobalOptions&)> run;  // returns an exit code
};

const std::vector<Command>& commands();

Command doctor_command();
Command gpu_command();
Command compat_command();
Command trace_command();

// Parses argv and runs the command; returns the process exit code. Never calls exit().
int run_cli(int argc, char** argv);

}  // namespace infertune::cli
