// Option tables: one declaration of an engine's options, read by every front end.
//
// An `*Options` struct of a library declares its fields once, in an OptionTable: the
// command-line name, the help text, the plain label of the web form, the type, range and
// choices. The CLI binds its flags from the table (apps/fluxion/option_binding.hpp), the web
// app builds its forms from it and checks submitted values with check_option_value, and
// `fluxion options --markdown` writes docs/options.md from it. Defaults are the struct's
// own member initialisers, read from a default-constructed object.
//
//   OptionTable<FitOptions> t;
//   t.add("starts", &FitOptions::starts, "Starting points sampled uniformly in the flux polytope")
//       .label("Number of starts").range(0, 100000).web();
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <utility>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/format.hpp"

namespace fluxion {

// How a value arrives: typed on the command line, and the widget of the web form.
enum class OptionKind {
  value,      // one value (text or number)
  flag,       // on or off
  list,       // comma-separated values
  file,       // a file (the web: an upload)
  series,     // several per-day tables (d0.csv.gz, d1.csv.gz, …) passed as one directory
  model,      // a built-in model name, a model of the server's library, or a model file
  predictor,  // a built-in predictor package name or a .fluxpkg
};
const char* to_string(OptionKind k);

// One option as every front end shows it.
struct OptionInfo {
  std::string name;           // the long flag without dashes: "fraction"
  std::string short_name;     // one letter, or "" ("-m" is "m")
  std::string label;          // plain words for a form: "Fraction of the optimum"
  OptionKind kind = OptionKind::value;
  std::string type = "text";  // text | integer | number | boolean
  std::string description;    // the help text
  std::string default_value;  // as shown; "" = none
  bool required = false;
  std::vector<std::string> choices;  // allowed values (an empty list: any)
  std::optional<double> minimum, maximum;
  bool exclusive_minimum = false;  // the value must be above the minimum (a positive number)
  std::string accept;         // file options: the extensions a form offers (".tsv,.csv")
  std::string group = "Options";  // the web form's section: "Inputs" | "Options" | "Advanced"
  bool web = false;           // offered by the web form
  bool web_required = false;  // required in the web form even where the CLI has alternatives
};

// Checks one value, as text, against its declaration: a number of the right type, in
// range, finite, one of the choices (each item of a list). Empty when valid, else the
// message ("must be between 0 and 1, not 2").
std::string check_option_value(const OptionInfo& option, const std::string& text);
// The same for a number already parsed: finite, in range. Empty when valid.
std::string check_option_number(const OptionInfo& option, double value);

// GCC 12 instantiates every alternative of a member-pointer variant for every T and warns
// that, say, a string field read from a struct of one double would lie out of bounds: a
// branch that never runs (the variant holds the field's own type).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif

// The options of struct T: each a field of T with its declaration.
template <class T>
class OptionTable {
 public:
  // A field of T that parses and prints itself: an enum, a unit conversion.
  struct Custom {
    std::function<std::string(const T&)> get;
    std::function<std::string(T&, const std::string&)> set;  // "" = set; else why not
  };
  // (std::size_t and std::uint64_t are unsigned long here)
  using Target = std::variant<bool T::*, int T::*, unsigned T::*, long T::*, unsigned long T::*, double T::*, std::string T::*,
                              std::vector<std::string> T::*, Custom>;
  struct Entry {
    OptionInfo info;
    Target target;
    bool show_default = true;
    char delimiter = ',';  // lists: the command line splits each argument here (0: the caller splits)
  };

  // Refines the entry just added; each call returns the builder again.
  class Builder {
   public:
    explicit Builder(Entry& e) : e_(e) {}
    Builder& short_name(std::string s) { return e_.info.short_name = std::move(s), *this; }
    Builder& label(std::string s) { return e_.info.label = std::move(s), *this; }
    Builder& range(double lo, double hi) { return e_.info.minimum = lo, e_.info.maximum = hi, *this; }
    Builder& positive() { return e_.info.minimum = 0.0, e_.info.exclusive_minimum = true, *this; }
    Builder& nonnegative() { return e_.info.minimum = 0.0, *this; }
    Builder& choices(std::vector<std::string> c) { return e_.info.choices = std::move(c), *this; }
    Builder& required() { return e_.info.required = true, *this; }
    Builder& no_default() { return e_.show_default = false, *this; }
    Builder& no_split() { return e_.delimiter = 0, *this; }
    Builder& type(std::string t) { return e_.info.type = std::move(t), *this; }  // a custom field's: "number", "integer"
    Builder& kind(OptionKind k) { return e_.info.kind = k, *this; }
    Builder& file(std::string accept = "") { return e_.info.kind = OptionKind::file, e_.info.accept = std::move(accept), *this; }
    // offered by the web form, in this section ("Inputs", "Options", "Advanced")
    Builder& web(std::string group = "Options") { return e_.info.web = true, e_.info.group = std::move(group), *this; }
    Builder& web_required() { return e_.info.web_required = true, *this; }

   private:
    Entry& e_;
  };

  template <class M>
  Builder add(std::string name, M T::*member, std::string help) {
    Entry e;
    e.info.name = std::move(name);
    e.info.description = std::move(help);
    e.target = member;
    if constexpr (std::is_same_v<M, bool>) {
      e.info.kind = OptionKind::flag;
      e.info.type = "boolean";
    } else if constexpr (std::is_floating_point_v<M>) {
      e.info.type = "number";
    } else if constexpr (std::is_integral_v<M>) {
      e.info.type = "integer";
      if constexpr (std::is_unsigned_v<M>) e.info.minimum = 0.0;
    } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
      e.info.kind = OptionKind::list;
    }
    entries_.push_back(std::move(e));
    return Builder(entries_.back());
  }
  Builder add_custom(std::string name, Custom field, std::string help) {
    Entry e;
    e.info.name = std::move(name);
    e.info.description = std::move(help);
    e.target = std::move(field);
    entries_.push_back(std::move(e));
    return Builder(entries_.back());
  }

  // A field of a member struct: `magic.knn` as --magic-knn.
  template <class S, class M>
  Builder add_nested(std::string name, S T::*outer, M S::*inner, std::string help) {
    Custom c;
    c.get = [outer, inner](const T& o) { return plain_text((o.*outer).*inner); };
    c.set = [outer, inner](T& o, const std::string& v) { return parse_text(v, (o.*outer).*inner); };
    auto b = add_custom(std::move(name), std::move(c), std::move(help));
    if constexpr (std::is_floating_point_v<M>) entries_.back().info.type = "number";
    else if constexpr (std::is_integral_v<M> && !std::is_same_v<M, bool>) entries_.back().info.type = "integer";
    return b;
  }
  // An enum field, by its names: the names are the choices.
  template <class E>
  Builder add_enum(std::string name, E T::*member, std::vector<std::pair<std::string, E>> names, std::string help) {
    Custom c;
    c.get = [member, names](const T& o) {
      for (const auto& [n, v] : names)
        if (v == o.*member) return n;
      return std::string();
    };
    c.set = [member, names](T& o, const std::string& text) -> std::string {
      for (const auto& [n, v] : names)
        if (n == text) return (o.*member = v), std::string();
      return "'" + text.substr(0, 40) + "' is not one of the choices";
    };
    std::vector<std::string> choices;
    for (const auto& nv : names) choices.push_back(nv.first);
    return add_custom(std::move(name), std::move(c), std::move(help)).choices(std::move(choices));
  }

  const std::vector<Entry>& entries() const { return entries_; }

  // The declarations, with the defaults of a default-constructed T.
  std::vector<OptionInfo> infos() const {
    const T defaults{};
    std::vector<OptionInfo> out;
    for (const auto& e : entries_) {
      OptionInfo i = e.info;
      if (e.show_default) i.default_value = value_text(defaults, e.target);
      out.push_back(std::move(i));
    }
    return out;
  }

  // The fields of `object` checked against their declarations (range, choices): a
  // diagnostic per field that breaks one, naming it. The start of every validate(). A field
  // at its default passes: a default outside the range means "not given" (0 = none).
  std::vector<Diagnostic> check(const T& object, const std::string& source) const {
    const T defaults{};
    std::vector<Diagnostic> out;
    for (const auto& e : entries_) {
      if (value_text(object, e.target) == value_text(defaults, e.target)) continue;
      std::string why = std::visit(
          [&](const auto& t) -> std::string {
            using P = std::decay_t<decltype(t)>;
            if constexpr (std::is_same_v<P, Custom>) {
              return check_option_value(e.info, t.get(object));
            } else {
              const auto& v = object.*t;
              using V = std::decay_t<decltype(v)>;
              if constexpr (std::is_arithmetic_v<V> && !std::is_same_v<V, bool>) return check_option_number(e.info, static_cast<double>(v));
              else if constexpr (std::is_same_v<V, std::string>) return e.info.choices.empty() || (v.empty() && !e.info.required) ? std::string() : check_option_value(e.info, v);
              else return {};
            }
          },
          e.target);
      if (!why.empty()) out.push_back(Diagnostic{Severity::error, source, 0, 0, e.info.name, "--" + e.info.name + " " + why});
    }
    return out;
  }

  // Sets the field named `name` (the long flag without dashes) from text as the command line
  // would take it: a flag "true" or "false", a list its items joined by the entry's
  // delimiter, a custom field through its own parser. "" when set; else why not (no such
  // option, or check_option_value's message). For front ends that receive named values:
  // Python's keyword arguments.
  std::string set_text(T& object, const std::string& name, const std::string& text) const {
    for (const auto& e : entries_) {
      if (e.info.name != name) continue;
      if (e.info.kind == OptionKind::flag && text.empty()) return "'' is not true or false";
      if (auto why = check_option_value(e.info, text); !why.empty()) return why;
      return std::visit(
          [&](const auto& t) -> std::string {
            using P = std::decay_t<decltype(t)>;
            if constexpr (std::is_same_v<P, Custom>) {
              return t.set(object, text);
            } else {
              auto& field = object.*t;
              using V = std::decay_t<decltype(field)>;
              if constexpr (std::is_same_v<V, bool>) {
                field = text == "true";
                return {};
              } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
                field = split_list(text, e.delimiter);
                return {};
              } else {
                return parse_text(text, field);
              }
            }
          },
          e.target);
    }
    return "is not an option here";
  }

  // A list option's text as its items: split at `delimiter` (0: one item), trimmed, empty ones dropped.
  static std::vector<std::string> split_list(const std::string& text, char delimiter) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
      const std::size_t end = delimiter == 0 ? std::string::npos : text.find(delimiter, start);
      std::string item = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) items.push_back(std::move(item));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return items;
  }

  // A field's value as text: numbers as %.6g, lists joined with commas, flags true/false.
  static std::string value_text(const T& object, const Target& target) {
    return std::visit(
        [&](const auto& t) -> std::string {
          using P = std::decay_t<decltype(t)>;
          if constexpr (std::is_same_v<P, Custom>) return t.get(object);
          else return plain_text(object.*t);
        },
        target);
  }

  template <class V>
  static std::string plain_text(const V& v) {
    if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
    else if constexpr (std::is_same_v<V, std::string>) return v;
    else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
      std::string s;
      for (const auto& item : v) s += (s.empty() ? "" : ",") + item;
      return s;
    } else if constexpr (std::is_integral_v<V>) return std::to_string(v);
    else return format_short(v);
  }

  // Parses text into a number or string field; "" when it fits, else why not.
  template <class V>
  static std::string parse_text(const std::string& text, V& out) {
    if constexpr (std::is_same_v<V, std::string>) {
      out = text;
      return {};
    } else {
      std::size_t used = 0;
      try {
        if constexpr (std::is_floating_point_v<V>) out = static_cast<V>(std::stod(text, &used));
        else if constexpr (std::is_unsigned_v<V>) {
          if (text.find('-') != std::string::npos) return "must be 0 or more, not " + text.substr(0, 40);
          out = static_cast<V>(std::stoull(text, &used));
        } else out = static_cast<V>(std::stoll(text, &used));
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != text.size()) return "'" + text.substr(0, 40) + "' is not a number";
      return {};
    }
  }

 private:
  std::vector<Entry> entries_;
};

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace fluxion
