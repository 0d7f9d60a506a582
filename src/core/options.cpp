#include "fluxion/core/options.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace fluxion {

const char* to_string(OptionKind k) {
  switch (k) {
    case OptionKind::value: return "value";
    case OptionKind::flag: return "flag";
    case OptionKind::list: return "list";
    case OptionKind::file: return "file";
    case OptionKind::series: return "series";
    case OptionKind::model: return "model";
    case OptionKind::predictor: return "predictor";
  }
  return "value";
}

namespace {

std::string shown(const std::string& text) { return text.substr(0, 40); }

std::string range_message(const OptionInfo& o, double v, const std::string& text) {
  if (!std::isfinite(v)) return "'" + text + "' is not a finite number";
  if (o.minimum && o.maximum && !(v >= *o.minimum && v <= *o.maximum))
    return "must be between " + format_short(*o.minimum) + " and " + format_short(*o.maximum) + ", not " + text;
  if (o.minimum && !o.maximum) {
    if (o.exclusive_minimum && !(v > *o.minimum)) return "must be greater than " + format_short(*o.minimum) + ", not " + text;
    if (!o.exclusive_minimum && !(v >= *o.minimum)) return "must be " + format_short(*o.minimum) + " or more, not " + text;
  }
  return {};
}

// one item: its number type, range and choices
std::string check_item(const OptionInfo& o, const std::string& text) {
  if (o.type == "integer" || o.type == "number") {
    const char* begin = text.c_str();
    char* end = nullptr;
    errno = 0;
    double v = 0;
    if (o.type == "integer") {
      const long long n = std::strtoll(begin, &end, 10);
      if (end == begin || *end != '\0' || errno == ERANGE) return "'" + shown(text) + "' is not a whole number";
      v = static_cast<double>(n);
    } else {
      v = std::strtod(begin, &end);
      if (end == begin || *end != '\0') return "'" + shown(text) + "' is not a number";
      if (!std::isfinite(v) || (errno == ERANGE && std::fabs(v) > 1)) return "'" + shown(text) + "' is not a finite number";
    }
    if (auto why = range_message(o, v, shown(text)); !why.empty()) return why;
  }
  if (!o.choices.empty()) {
    for (const auto& c : o.choices)
      if (c == text) return {};
    std::string list;
    for (const auto& c : o.choices) list += (list.empty() ? "" : ", ") + c;
    return "must be one of " + list + "; not '" + shown(text) + "'";
  }
  return {};
}

}  // namespace

std::string check_option_number(const OptionInfo& o, double value) { return range_message(o, value, format_short(value)); }

std::string check_option_value(const OptionInfo& o, const std::string& text) {
  if (o.kind == OptionKind::flag || o.type == "boolean") {
    if (text == "true" || text == "false" || text.empty()) return {};
    return "'" + shown(text) + "' is not true or false";
  }
  if (o.kind != OptionKind::list) return check_item(o, text);
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty())
      if (auto why = check_item(o, item); !why.empty()) return why;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return {};
}

}  // namespace fluxion
