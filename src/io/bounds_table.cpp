#include "fluxion/io/bounds_table.hpp"

#include <cmath>
#include <unordered_map>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

Result<std::vector<BoundsChange>> read_bounds_table(std::string_view text, const std::string& source, const Model& model) {
  using R = Result<std::vector<BoundsChange>>;
  Diagnostics d(source);
  TableReader t(text);
  if (!t.read_header(d, {"reaction", "lower", "upper"}, {}, "reaction, lower, upper")) return R::failure(d);
  if (d.has_errors()) return R::failure(d);
  std::unordered_map<std::size_t, int> seen;
  std::vector<BoundsChange> out;
  while (t.next()) {
    const int ln = t.line();
    if (d.error_count() >= 50) {
      d.error("too many errors; stopping", ln, 0);
      break;
    }
    const std::string id(t.get("reaction"));
    const auto found = model.reaction_index(id);
    if (!found) {
      d.error("'" + id + "' is not a reaction of model '" + model.id + "'", ln, t.column("reaction"));
      continue;
    }
    if (auto [s, fresh] = seen.emplace(*found, ln); !fresh) {
      d.error("reaction '" + id + "' already has bounds (line " + std::to_string(s->second) + ")", ln, t.column("reaction"));
      continue;
    }
    const auto lo = parse_number(t.get("lower"));
    const auto hi = parse_number(t.get("upper"));
    if (!lo || std::isnan(*lo)) d.error("lower bound '" + std::string(t.get("lower")) + "' is not a number", ln, t.column("lower"));
    if (!hi || std::isnan(*hi)) d.error("upper bound '" + std::string(t.get("upper")) + "' is not a number", ln, t.column("upper"));
    if (!lo || !hi || std::isnan(*lo) || std::isnan(*hi)) continue;
    if (*lo > *hi) {
      d.error("lower bound " + format_short(*lo) + " is greater than upper bound " + format_short(*hi), ln, t.column("lower"));
      continue;
    }
    out.push_back({*found, *lo, *hi});
  }
  if (out.empty() && !d.has_errors()) d.error("no bounds rows");
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

Result<std::vector<BoundsChange>> load_bounds_table(const std::string& path, const Model& model) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<std::vector<BoundsChange>>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_bounds_table(*text, path, model);
}

}  // namespace fluxion::io
