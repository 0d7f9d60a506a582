#include "fluxion/io/mfapy_data.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {

// Lines of one //Section of an mfapy model file, split at tabs and trimmed.
std::vector<std::vector<std::string_view>> section_rows(std::string_view model_text, std::string_view name) {
  std::vector<std::vector<std::string_view>> out;
  bool inside = false;
  for (auto line : split_lines(model_text)) {
    const auto t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.substr(0, 2) == "//") {
      inside = trim(t.substr(2)) == name;
      continue;
    }
    if (!inside) continue;
    auto cells = split(t, '\t');
    for (auto& c : cells) c = trim(c);
    out.push_back(std::move(cells));
  }
  return out;
}

// "Ala_1:2:3" -> "Ala[1,2,3]"; empty when the atoms are not of one metabolite.
std::string fragment_of(std::string_view atommap) {
  FragmentSpec f;
  for (auto part : split(atommap, '+')) {
    part = trim(part);
    const auto us = part.rfind('_');
    if (us == std::string_view::npos) return {};
    const std::string met(part.substr(0, us));
    if (!f.metabolite.empty() && f.metabolite != met) return {};
    f.metabolite = met;
    for (auto a : split(part.substr(us + 1), ':')) {
      auto n = parse_int(a, 1, 1000);
      if (!n) return {};
      f.atoms.push_back(*n);
    }
  }
  std::sort(f.atoms.begin(), f.atoms.end());
  f.atoms.erase(std::unique(f.atoms.begin(), f.atoms.end()), f.atoms.end());
  return f.metabolite.empty() ? std::string() : format_fragment(f);
}

}  // namespace

Result<isotope::MidTable> read_mfapy_mdv(std::string_view text, const std::string& source, std::string_view model_text,
                                const std::string& experiment) {
  Diagnostics d(source);
  std::map<std::string, std::string, std::less<>> fragments;  // mfapy name -> fluxion fragment
  for (const auto& cells : section_rows(model_text, "Target_fragments"))
    if (cells.size() >= 3) fragments[std::string(cells[0])] = fragment_of(cells[2]);
  TableReader t(text);
  const std::string expected = "Name, Spectrum, Select, MDV, Std (mfapy's MDV table)";
  if (!t.read_header(d, {"name", "spectrum", "mdv"}, {}, expected)) return Result<isotope::MidTable>::failure(d);
  isotope::MidTable table;
  table.source = source;
  std::map<std::string, std::size_t, std::less<>> index;
  std::set<std::string, std::less<>> unknown;  // fragments the model does not define
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  while (t.next()) {
    const int ln = t.line();
    const std::string name(t.get("name"));
    auto f = fragments.find(name);
    if (f == fragments.end()) {
      // as mfapy, which fits the model's target fragments only: said once per fragment
      if (unknown.insert(name).second)
        d.warning("fragment '" + name + "' is not in the model's //Target_fragments; its rows are not used", ln, t.column("name"));
      continue;
    }
    if (f->second.empty()) {
      d.error("fragment '" + name + "' is not the atoms of one metabolite; fluxion cannot simulate it", ln, t.column("name"));
      continue;
    }
    // the mass isotopomer: 0, 1, … or, as some of mfapy's sheets write it, m0, m1, … (M+0 …)
    std::string_view spectrum = t.get("spectrum");
    if (!spectrum.empty() && (spectrum.front() == 'm' || spectrum.front() == 'M')) {
      spectrum.remove_prefix(1);
      if (!spectrum.empty() && spectrum.front() == '+') spectrum.remove_prefix(1);
    }
    const auto iso = parse_int(spectrum, 0, 1000);
    if (!iso) {
      d.error("Spectrum '" + std::string(t.get("spectrum")) + "' is not a mass isotopomer (0, 1, … or m0, m1, …)", ln, t.column("spectrum"));
      continue;
    }
    const auto value = parse_number(t.get("mdv"));
    if (!value || !std::isfinite(*value)) {
      d.error("MDV '" + std::string(t.get("mdv")) + "' is not a number", ln, t.column("mdv"));
      continue;
    }
    double sd = nan;
    if (t.has("std") && !t.get("std").empty()) {
      auto s = parse_number(t.get("std"));
      if (!s || !(*s > 0) || !std::isfinite(*s)) {
        d.error("Std '" + std::string(t.get("std")) + "' is not a number > 0", ln, t.column("std"));
        continue;
      }
      sd = *s;
    }
    bool selected = true;
    if (t.has("select") && !t.get("select").empty()) {
      auto s = parse_int(t.get("select"), 0, 1);
      if (!s) {
        d.error("Select '" + std::string(t.get("select")) + "' is not 0 or 1", ln, t.column("select"));
        continue;
      }
      selected = *s == 1;
    }
    auto [it, added] = index.try_emplace(name, table.mids.size());
    if (added) {
      isotope::MeasuredMid m;
      m.experiment = experiment;
      m.fragment = f->second;
      m.name = name;
      m.line = ln;
      table.mids.push_back(std::move(m));
    }
    auto& m = table.mids[it->second];
    const auto k = static_cast<std::size_t>(*iso);
    if (m.fraction.size() <= k) {
      m.fraction.resize(k + 1, nan);
      m.sd.resize(k + 1, nan);
    }
    if (!std::isnan(m.fraction[k])) {
      d.error("M+" + std::to_string(k) + " of '" + name + "' is given twice", ln, t.column("spectrum"));
      continue;
    }
    if (selected) {
      m.fraction[k] = *value;
      m.sd[k] = sd;
    }
  }
  if (table.mids.empty() && !d.has_errors()) d.error("no rows of the model's //Target_fragments", 0, 0);
  if (d.has_errors()) return Result<isotope::MidTable>::failure(d);
  return Result<isotope::MidTable>::success(std::move(table), d.items());
}

Result<std::vector<MfapyStatusRow>> read_mfapy_status(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  std::vector<MfapyStatusRow> rows;
  int ln = 0;
  for (auto line : split_lines(text)) {
    ++ln;
    if (trim(line).empty() || trim(line).front() == '#') continue;
    auto cells = split(line, ',');
    for (auto& c : cells) c = trim(c);
    if (ln == 1 || lower(cells[0]) == "state") continue;  // header (mfapy misspells a column; names are not checked)
    if (cells.size() < 7) {
      d.error("expected 7 cells (State, Id, type, value, stdev, lb, ub), found " + std::to_string(cells.size()), ln, 1);
      continue;
    }
    MfapyStatusRow r;
    r.line = ln;
    r.state = lower(cells[0]);
    r.id = std::string(cells[1]);
    r.type = lower(cells[2]);
    if (r.state != "reaction" && r.state != "reversible" && r.state != "metabolite") {
      d.error("State '" + std::string(cells[0]) + "' is not reaction, reversible or metabolite", ln, 1);
      continue;
    }
    if (r.type != "fixed" && r.type != "fitting" && r.type != "free" && r.type != "pseudo") {
      d.error("type '" + std::string(cells[2]) + "' is not fixed, fitting, free or pseudo", ln, 3);
      continue;
    }
    bool ok = true;
    const char* names[] = {"value", "stdev", "lb", "ub"};
    double* targets[] = {&r.value, &r.sd, &r.lb, &r.ub};
    for (int k = 0; k < 4; ++k) {
      auto v = parse_number(cells[static_cast<std::size_t>(3 + k)]);
      if (!v || std::isnan(*v)) {
        d.error(std::string(names[k]) + " '" + std::string(cells[static_cast<std::size_t>(3 + k)]) + "' is not a number", ln, 4 + k);
        ok = false;
        break;
      }
      *targets[k] = *v;
    }
    if (!ok) continue;
    if (r.lb > r.ub) {
      d.error("lb " + format_short(r.lb) + " > ub " + format_short(r.ub), ln, 6);
      continue;
    }
    if (r.type == "fitting" && !(r.sd > 0)) {
      d.error("a measured ('fitting') flux needs stdev > 0", ln, 5);
      continue;
    }
    rows.push_back(std::move(r));
  }
  if (d.has_errors()) return Result<std::vector<MfapyStatusRow>>::failure(d);
  return Result<std::vector<MfapyStatusRow>>::success(std::move(rows), d.items());
}

Result<bool> apply_mfapy_pseudo(const std::vector<MfapyStatusRow>& rows, const std::string& source, Model& model) {
  Diagnostics d(source);
  for (const auto& r : rows) {
    if (r.state != "reaction" || r.type != "pseudo") continue;
    auto i = model.reaction_index(r.id);
    if (!i) {
      d.error("pseudo reaction '" + r.id + "' is not a reaction of the model (or is one direction of a reversible pair)", r.line, 2);
      continue;
    }
    model.reactions[*i].pseudo = true;
  }
  if (d.has_errors()) return Result<bool>::failure(d);
  return Result<bool>::success(true, d.items());
}

Result<MfapyConstraints> mfapy_status_constraints(const std::vector<MfapyStatusRow>& rows, const std::string& source,
                                                  std::string_view model_text, const Model& model, const FluxSpace& space) {
  Diagnostics d(source);
  // one-way reaction id -> the reversible pair it was merged into
  std::map<std::string, std::string, std::less<>> pair_of;
  for (const auto& cells : section_rows(model_text, "Reversible_reactions"))
    if (cells.size() >= 3 && model.reaction_index(cells[0]) && model.reactions[*model.reaction_index(cells[0])].reversible) {
      pair_of[std::string(cells[1])] = std::string(cells[0]);
      pair_of[std::string(cells[2])] = std::string(cells[0]);
    }
  auto column_of = [&](const std::string& id) -> std::optional<Eigen::Index> {
    const auto& ids = space.column_ids();
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end()) return std::nullopt;
    return static_cast<Eigen::Index>(it - ids.begin());
  };
  MfapyConstraints out;
  for (const auto& r : rows) {
    if (r.state == "metabolite") continue;
    const std::string where = source + " line " + std::to_string(r.line);
    if (auto p = pair_of.find(r.id); r.state == "reaction" && p != pair_of.end()) {
      // one direction of a merged pair: bounds the pair's exchange flux from above
      if (r.type == "fixed" || r.type == "fitting") {
        d.error("'" + r.id + "' is one direction of reversible reaction '" + p->second + "'; fluxion can fix or measure its net flux (a 'reversible' row), not one direction",
                r.line, 3);
        continue;
      }
      auto c = column_of(p->second);
      const auto& ex = space.exchange_columns();
      const bool has_exchange = c && std::binary_search(ex.begin(), ex.end(), *c);
      if (has_exchange && std::isfinite(r.ub))
        out.constraints.push_back({where + " (" + r.id + " <= " + format_short(r.ub) + ": exchange of " + p->second + ")",
                                   {FluxTerm{*c, true, 1.0}}, -kInfinity, r.ub});
      if (has_exchange && r.lb > 0 && r.lb <= kMfapyPositiveBound) {
        out.positivity.push_back({where + " (" + r.id + " >= " + format_short(r.lb) + ": exchange of " + p->second + ")",
                                  {FluxTerm{*c, true, 1.0}}, r.lb, kInfinity});
        out.positivity_lines.push_back(r.line);
      }
      continue;
    }
    auto c = column_of(r.id);
    if (!c) {  // mfapy sets the constraints of the model's reactions only
      d.warning("'" + r.id + "' is not a reaction of the model; this row is not used", r.line, 2);
      continue;
    }
    const std::vector<FluxTerm> net{FluxTerm{*c, false, 1.0}};
    // mfapy's positivity bound (its default 0.001, the sheets 0.0001) kept apart (header)
    const bool positivity = r.lb > 0 && r.lb <= kMfapyPositiveBound;
    const double lb = positivity ? 0.0 : r.lb;
    if (r.type == "fixed") {
      out.constraints.push_back({where + " (" + r.id + " fixed at " + format_short(r.value) + ")", net, r.value, r.value});
    } else {
      out.constraints.push_back({where + " (" + format_short(lb) + " <= " + r.id + " <= " + format_short(r.ub) + ")", net, lb, r.ub});
      if (r.type == "fitting") out.measured.push_back({r.id, net, r.value, r.sd, r.line, source});
      if (positivity) {
        out.positivity.push_back({where + " (" + r.id + " >= " + format_short(r.lb) + ")", net, r.lb, kInfinity});
        out.positivity_lines.push_back(r.line);
      }
    }
  }
  if (d.has_errors()) return Result<MfapyConstraints>::failure(d);
  return Result<MfapyConstraints>::success(std::move(out), d.items());
}

}  // namespace fluxion::io
