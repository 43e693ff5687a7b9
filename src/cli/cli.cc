// The command-line front end: global flags, the command table, help, suggestions and exit codes.

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "base/build_info.h"
#include "base/strings.h"
#include "cli/command.h"
#include "cli/exit_codes.h"

namespace infertune::cli {

namespace {

Command planned(const char* name, const char* summary, const char* what) {
  Command c;
  c.name = name;
  c.summary = summary;
  c.not_available = what;
  return c;
}

std::string version_string() { return std::string("infertune ") + build::kVersion + " (git " + build::kGitHash + ")"; }

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    for (const auto& l : o->get_lnames()) out.push_back("--" + l);
    for (const auto& s : o->get_snames()) out.push_back("-" + s);
  }
  return out;
}

int usage_error_line(const std::string& msg, const std::string& help_hint) {
  std::fprintf(stderr, "infertune: %s; see '%s'\n", msg.c_str(), help_hint.c_str());
  return exit_code::kUsage;
}

std::string suggestion(const std::string& word, const std::vector<std::string>& candidates) {
  std::string w = word.substr(0, word.find('='));
  auto c = str::closest(w, candidates);
  return c ? " (did you mean '" + *c + "'?)" : "";
}

const char* kFooter = R"(
Exit codes:
  0  no finding at or above --fail-on    1  findings at or above --fail-on (default: error)
  2  usage error or invalid input file   3  environment problem the tool could not work around

Environment:
  NO_COLOR         disables colour (as --no-color)
  INFERTUNE_ROOT   diagnose a copy of another machine's /proc, /sys, /etc (as --root DIR)

Run 'infertune help <command>' for a command's flags. Documentation: docs/ in the source tree.)";

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      doctor_command(),
      gpu_command(),
      planned("bench", "Does the GPU (and host) deliver its datasheet numbers?", "the GPU and host benchmarks"),
      compat_command(),
      planned("image", "Pick a base image, generate a multi-stage Dockerfile, lint a Dockerfile",
              "the container image checks"),
      planned("monitor", "Live CPU, memory, disk, network, cgroup and GPU view; record and analyse",
              "the live monitor"),
      planned("exporter", "Prometheus exporter of host, cgroup and GPU metrics", "the Prometheus exporter"),
      trace_command(),
  };
  return table;
}

int run_cli(int argc, char** argv) {
  GlobalOptions g;
  CLI::App app{"infertune: why is this GPU inference service slow, and what to change. With evidence.", "infertune"};
  app.set_version_flag("--version", version_string(), "Print the version (with git hash) and exit");
  app.set_help_flag("-h,--help", "Print help and exit");
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.allow_extras();
  app.footer(kFooter);
  const std::string kGlobal = "Global options";
  app.add_option("--format", g.format,
                 "Output format: text, json, markdown or html (one self-contained file with charts; use -o)")
      ->check(CLI::IsMember({"text", "json", "markdown", "md", "html"}))
      ->group(kGlobal);
  app.add_option("-o,--output", g.output, "Write the result to FILE (replaced atomically) instead of stdout")
      ->type_name("FILE")
      ->group(kGlobal);
  app.add_flag("--no-color", g.no_color, "No ANSI colours (also when NO_COLOR is set or output is not a terminal)")
      ->group(kGlobal);
  auto* quiet = app.add_flag("-q,--quiet", g.quiet, "Print the findings only")->group(kGlobal);
  app.add_flag("-v,--verbose", g.verbose, "Also list facts that could not be read, with the reason")
      ->group(kGlobal)
      ->excludes(quiet);
  app.add_option("--fail-on", g.fail_on, "Exit 1 when a finding has at least this severity: info, warning, error")
      ->check(CLI::IsMember({"info", "warning", "error"}))
      ->group(kGlobal);
  app.add_option("--root", g.root, "Read /proc, /sys, /dev, /etc under DIR (a copy of another machine)")
      ->type_name("DIR")
      ->group("");  // hidden: for tests and offline diagnosis

  std::vector<std::pair<CLI::App*, const Command*>> subs;
  for (const auto& c : commands()) {
    std::string summary = c.summary;
    if (!c.not_available.empty()) summary += " [not available yet]";
    CLI::App* sub = app.add_subcommand(c.name, summary);
    sub->footer(
        std::string(
            "\nGlobal options (before or after the command): --format text|json|markdown|html, -o/--output FILE,\n"
            "--no-color, -q/--quiet, -v/--verbose, --fail-on info|warning|error.\n") +
        kFooter);
    sub->allow_extras();
    sub->fallthrough();
    if (c.add_flags) c.add_flags(*sub);
    subs.emplace_back(sub, &c);
  }
  std::string help_topic;
  CLI::App* help = app.add_subcommand("help", "Show help for a command: infertune help <command>");
  help->add_option("command", help_topic, "The command to explain");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    CLI::App* active = nullptr;
    for (auto& [sub, cmd] : subs) {
      if (sub->parsed()) active = sub;
    }
    return usage_error_line(what, active ? "infertune " + active->get_name() + " --help" : "infertune --help");
  }

  std::vector<std::string> command_names;
  for (const auto& c : commands()) command_names.push_back(c.name);
  command_names.push_back("help");

  if (help->parsed()) {
    if (help_topic.empty()) {
      std::cout << app.help();
      return exit_code::kOk;
    }
    for (auto& [sub, cmd] : subs) {
      if (sub->get_name() == help_topic) {
        std::cout << sub->help();
        return exit_code::kOk;
      }
    }
    return usage_error_line("no command '" + help_topic + "'" + suggestion(help_topic, command_names),
                            "infertune --help");
  }

  CLI::App* active = nullptr;
  const Command* cmd = nullptr;
  for (auto& [sub, c] : subs) {
    if (sub->parsed()) {
      active = sub;
      cmd = c;
    }
  }
  std::vector<std::string> extras = app.remaining();
  if (active) {
    auto more = active->remaining();
    extras.insert(extras.end(), more.begin(), more.end());
  }
  if (!extras.empty()) {
    const std::string& first = extras.front();
    if (!active) {
      if (!first.empty() && first[0] == '-') {
        return usage_error_line("unknown flag '" + first + "'" + suggestion(first, option_names(app)),
                                "infertune --help");
      }
      return usage_error_line("unknown command '" + first + "'" + suggestion(first, command_names), "infertune --help");
    }
    std::string hint = "infertune " + active->get_name() + " --help";
    if (!first.empty() && first[0] == '-') {
      auto names = option_names(*active);
      auto global = option_names(app);
      names.insert(names.end(), global.begin(), global.end());
      return usage_error_line(
          "unknown flag '" + first + "' for '" + active->get_name() + "'" + suggestion(first, names), hint);
    }
    return usage_error_line("unexpected argument '" + first + "' for '" + active->get_name() + "'", hint);
  }

  if (!active) {
    std::cerr << app.help();
    return exit_code::kUsage;
  }
  if (!cmd->not_available.empty()) {
    std::fprintf(stderr,
                 "infertune %s: not available yet in this build (to come: %s); "
                 "'infertune doctor' runs every check available now\n",
                 cmd->name.c_str(), cmd->not_available.c_str());
    return exit_code::kEnvironment;
  }
  return cmd->run(g);
}

}  // namespace infertune::cli
