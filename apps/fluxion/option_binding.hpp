// Binds an option table (core/options.hpp) to a CLI11 command: the flags, help, defaults,
// ranges and choices come from the library's declaration, and the declaration is recorded
// in the Context for the web forms and docs/options.md.
#pragma once

#include <map>
#include <set>
#include <string>

#include "commands.hpp"
#include "fluxion/core/options.hpp"

namespace fluxion::cli {

// "dynamics train" for the train subcommand of dynamics: the key of Context::declarations
inline std::string command_path(const CLI::App* cmd) {
  std::string path;
  for (const CLI::App* a = cmd; a && a->get_parent(); a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// The CLI11 options made, by long name, for what the command adds beyond the table
// (excludes, needs, a group).
using BoundOptions = std::map<std::string, CLI::Option*>;

// `skip`: options of the table this command does not offer.
template <class T>
BoundOptions bind_options(CLI::App* cmd, const OptionTable<T>& table, T& object, Context& ctx, const std::set<std::string>& skip = {}) {
  BoundOptions out;
  auto& declared = ctx.declarations[command_path(cmd)];
  const auto infos = table.infos();
  for (std::size_t k = 0; k < table.entries().size(); ++k) {
    const auto& entry = table.entries()[k];
    const OptionInfo& info = infos[k];
    if (skip.count(info.name)) continue;
    declared.push_back(info);
    const std::string flags = (info.short_name.empty() ? "" : "-" + info.short_name + ",") + "--" + info.name;
    CLI::Option* opt = std::visit(
        [&](const auto& target) -> CLI::Option* {
          using P = std::decay_t<decltype(target)>;
          if constexpr (std::is_same_v<P, typename OptionTable<T>::Custom>) {
            auto set = target.set;
            auto* o = cmd->add_option_function<std::string>(
                flags, [&object, set](const std::string& v) { set(object, v); }, info.description);
            if (!info.choices.empty()) {
              o->check(CLI::IsMember(info.choices));
            } else {
              const std::string type = info.type == "integer" ? "INT" : info.type == "number" ? "FLOAT" : "TEXT";
              std::string range;
              if (info.minimum && info.maximum) range = " in [" + format_short(*info.minimum) + " - " + format_short(*info.maximum) + "]";
              o->check(CLI::Validator(
                  [set, info](std::string& v) {
                    if (auto why = check_option_value(info, v); !why.empty()) return why;
                    T scratch{};
                    return set(scratch, v);
                  },
                  type + range));
            }
            o->type_name(info.type == "integer" ? "INT" : info.type == "number" ? "FLOAT" : "TEXT");
            // a list: comma-separated and repeatable, the items joined again for `set`
            if (info.kind == OptionKind::list) o->delimiter(',')->multi_option_policy(CLI::MultiOptionPolicy::Join);
            if (entry.show_default) o->default_str(info.default_value);
            return o;
          } else {
            auto& field = object.*target;
            using V = std::decay_t<decltype(field)>;
            if constexpr (std::is_same_v<V, bool>) {
              return cmd->add_flag(flags, field, info.description);
            } else {
              auto* o = cmd->add_option(flags, field, info.description);
              if constexpr (std::is_arithmetic_v<V>) {
                if (info.minimum && info.maximum) o->check(Range(static_cast<V>(*info.minimum), static_cast<V>(*info.maximum)));
                else if (info.minimum && info.exclusive_minimum) o->check(PositiveNumber);
                else if (info.minimum && !std::is_unsigned_v<V>) o->check(NonNegativeNumber);
              }
              if constexpr (std::is_same_v<V, std::vector<std::string>>)
                if (entry.delimiter) o->delimiter(entry.delimiter);
              if (!info.choices.empty()) o->check(CLI::IsMember(info.choices));
              if (entry.show_default) o->default_str(info.default_value);
              return o;
            }
          }
        },
        entry.target);
    if (info.required) opt->required();
    out[info.name] = opt;
  }
  return out;
}

}  // namespace fluxion::cli
