// fluxion options: every command's options as Markdown, from the same declarations the
// command line parses and the web forms show (docs/options.md is this output; the test
// docs.options fails when it is stale).
#include <iostream>
#include <set>
#include <sstream>

#include "commands.hpp"

namespace fluxion::cli {

namespace {

std::string cell(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

void document(const CLI::App& cmd, const std::string& path, const Context& ctx, std::ostream& out) {
  const auto declared = ctx.declarations.find(path);
  std::set<std::string> web;
  if (declared != ctx.declarations.end())
    for (const auto& o : declared->second)
      if (o.web) web.insert(o.name);
  // an option group (a nameless subcommand) is documented with its command
  auto options = cmd.get_options([](const CLI::Option* o) { return o->get_name() != "--help" && o->get_name() != "-h,--help"; });
  for (const CLI::App* group : cmd.get_subcommands({}))
    if (group->get_name().empty())
      for (const CLI::Option* o : group->get_options()) options.push_back(o);
  bool any = false;
  for (const CLI::Option* o : options) any = any || o->get_name(false, true).find("--help") == std::string::npos;
  if (any || !cmd.get_description().empty()) {
    out << "## fluxion " << path << "\n\n";
    if (!cmd.get_description().empty()) out << cell(cmd.get_description()) << "\n\n";
  }
  if (any) {
    out << "| Option | Type | Default | Description |\n|---|---|---|---|\n";
    for (const CLI::Option* o : options) {
      if (o->get_name(false, true).find("--help") != std::string::npos) continue;
      std::string names = o->nonpositional() ? o->get_name(false, true) : o->get_name(true, false) + " (positional)";
      for (std::size_t k = names.find(','); k != std::string::npos; k = names.find(',', k + 2)) names.replace(k, 1, ", ");
      std::string type = o->get_type_name().empty() ? "flag" : o->get_type_name();
      std::string description = o->get_description();
      if (o->get_required()) description += " (required)";
      const std::string long_name = o->get_lnames().empty() ? "" : o->get_lnames().front();
      if (web.count(long_name)) description += " (web form)";
      out << "| `" << cell(names) << "` | " << cell(type) << " | " << cell(o->get_default_str()) << " | " << cell(description) << " |\n";
    }
    out << "\n";
  }
  for (const CLI::App* sub : cmd.get_subcommands({}))
    if (!sub->get_name().empty()) document(*sub, path + " " + sub->get_name(), ctx, out);
}

}  // namespace

void add_options_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("options", "Print every command's options as Markdown (docs/options.md)");
  cmd->callback([&app, &ctx] {
    std::ostringstream out;
    out << "# fluxion's command-line options\n\n"
           "Written by `fluxion options` from the declarations that the command line parses and the web forms show "
           "(a library's options are declared once, beside its `*Options` struct: core/options.hpp). Do not edit: "
           "the test `docs.options` fails when this file differs from the program's output.\n\n"
           "Exit codes of every command: 0 success, 1 the computation failed, 2 bad input (files, values, usage). "
           "\"(web form)\" marks the options the web app offers.\n\n"
           "`--format`, wherever a command has it, chooses what the command prints on standard output; the files it writes "
           "are the same under every format. `summary`: a few lines on how the run went; `table`: those and the results, "
           "aligned for reading; `tsv`: the results only, tab-separated as in the output file (the summary goes to standard "
           "error); `json`: the results only, as JSON.\n\n";
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == "options") continue;
      document(*sub, sub->get_name(), ctx, out);
    }
    std::cout << out.str();
  });
}

}  // namespace fluxion::cli
