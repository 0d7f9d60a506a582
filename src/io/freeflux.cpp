// FreeFlux's files (Wu et al. 2023): the reaction table and the measured MDVs and fluxes.
//
//   #reaction_ID,substrate_IDs(atom),product_IDs(atom),reversibility
//   fba,FBP(abcdef),DHAP(cba)+GAP(def),1
//   sdh,"Suc(abcd,dcba)","Fum(abcd,dcba)+FADH",1      two atom orders = a symmetric molecule
//   biom,0.488Ala+0.281Arg+...,39.68Biomass+1.455NADH,0  coefficients glued to ids
//
// Comma- or tab-separated; lines starting with '#' are comments (FreeFlux's section
// titles). Metabolites whose id ends in ".ex" are external (boundary), as are those only
// produced or only consumed.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "fluxion/io/freeflux.hpp"
#include "fluxion/io/model_io.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {

char separator_of(std::string_view text) {
  for (auto line : split_lines(text)) {
    if (trim(line).empty()) continue;
    return line.find('\t') != std::string_view::npos ? '\t' : ',';
  }
  return ',';
}

// The data rows of a FreeFlux table: (1-based line, trimmed and unquoted cells); blank
// lines and '#' lines (comments, section titles, the header) are skipped.
std::vector<std::pair<int, std::vector<std::string_view>>> data_rows(std::string_view text) {
  const char sep = separator_of(text);
  std::vector<std::pair<int, std::vector<std::string_view>>> rows;
  int ln = 0;
  for (auto line : split_lines(text)) {
    ++ln;
    if (trim(line).empty() || trim(line).front() == '#') continue;
    auto cells = split_cells(line, sep);
    for (auto& c : cells) c = unquote(trim(c));
    rows.emplace_back(ln, std::move(cells));
  }
  return rows;
}

// One side "0.488Ala+G6P(abcdef)+Suc(abcd,dcba)" as fluxion's equation syntax
// ("0.488 Ala + G6P (abcdef) + Suc (abcd)"); symmetric metabolites are collected.
bool convert_side(std::string_view side, std::string& out, std::set<std::string>& symmetric, std::string& error) {
  side = trim(side);
  if (side.empty()) return true;
  // split at '+' outside parentheses
  std::vector<std::string_view> terms;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < side.size(); ++i) {
    if (side[i] == '(') ++depth;
    else if (side[i] == ')') --depth;
    else if (side[i] == '+' && depth == 0) {
      terms.push_back(trim(side.substr(start, i - start)));
      start = i + 1;
    }
  }
  terms.push_back(trim(side.substr(start)));
  for (auto t : terms) {
    if (t.empty()) {
      error = "empty term in '" + std::string(side) + "'";
      return false;
    }
    // a leading number is a coefficient when letters follow it
    std::size_t k = 0;
    while (k < t.size() && (std::isdigit(static_cast<unsigned char>(t[k])) || t[k] == '.')) ++k;
    std::string coefficient;
    if (k > 0 && k < t.size() && t[k] != '(') {
      coefficient = std::string(t.substr(0, k));
      t = t.substr(k);
    }
    std::string id(t), atoms;
    if (auto open = t.find('('); open != std::string_view::npos) {
      if (t.back() != ')') {
        error = "unclosed atoms in '" + std::string(t) + "'";
        return false;
      }
      id = std::string(trim(t.substr(0, open)));
      const auto inside = t.substr(open + 1, t.size() - open - 2);
      const auto alternatives = split(inside, ',');
      atoms = std::string(trim(alternatives.front()));
      if (alternatives.size() == 2) {
        std::string reversed(atoms);
        std::reverse(reversed.begin(), reversed.end());
        if (std::string(trim(alternatives[1])) != reversed) {
          error = "'" + std::string(t) + "': the second atom order is not the first reversed (only rotational symmetry is supported)";
          return false;
        }
        symmetric.insert(id);
      } else if (alternatives.size() > 2) {
        error = "'" + std::string(t) + "': more than two atom orders";
        return false;
      }
    }
    if (id.empty()) {
      error = "a term without a metabolite id in '" + std::string(side) + "'";
      return false;
    }
    if (!out.empty()) out += " + ";
    if (!coefficient.empty()) out += coefficient + ' ';
    out += id;
    if (!atoms.empty()) out += " (" + atoms + ')';
  }
  return true;
}

}  // namespace

Result<Model> read_freeflux(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  Model model;
  std::set<std::string> symmetric;
  std::vector<int> reaction_lines;
  for (const auto& [ln, cells] : data_rows(text)) {
    if (cells.size() < 4) {
      d.error("expected 4 cells (reaction_ID, substrate_IDs(atom), product_IDs(atom), reversibility), found " + std::to_string(cells.size()), ln, 1);
      continue;
    }
    Reaction r;
    r.id = std::string(cells[0]);
    const std::string ctx = "reaction '" + r.id + "'";
    if (r.id.empty()) {
      d.error("empty reaction id", ln, 1);
      continue;
    }
    if (model.reaction_index(r.id)) {
      d.error("duplicate reaction id '" + r.id + "'", ln, 1);
      continue;
    }
    auto rev = parse_int(cells[3], 0, 1);
    if (!rev) {
      d.error("reversibility '" + std::string(cells[3]) + "' is not 0 or 1", ln, 0, ctx);
      continue;
    }
    std::string lhs, rhs, error;
    if (!convert_side(cells[1], lhs, symmetric, error) || !convert_side(cells[2], rhs, symmetric, error)) {
      d.error(error, ln, 0, ctx);
      continue;
    }
    const std::string equation = lhs + (*rev ? " <-> " : " -> ") + rhs;
    auto eq = parse_equation(equation, d, ln, 0, ctx);
    if (!eq) continue;
    apply_equation(model, r, *eq);
    r.lower_bound = r.reversible ? -kDefaultFluxBound : 0.0;
    r.upper_bound = kDefaultFluxBound;
    model.add_reaction(std::move(r));
    reaction_lines.push_back(ln);
  }
  if (model.reactions.empty() && !d.has_errors()) d.error("the file defines no reactions");
  // boundary: external (".ex") or only produced / only consumed, a reversible reaction
  // doing both (FreeFlux splits transketolase into reversible halves around "TK")
  std::vector<bool> produced(model.metabolites.size(), false), consumed(model.metabolites.size(), false);
  for (const auto& r : model.reactions) {
    for (const auto& p : r.products) {
      produced[p.metabolite] = true;
      if (r.reversible) consumed[p.metabolite] = true;
    }
    for (const auto& p : r.reactants) {
      consumed[p.metabolite] = true;
      if (r.reversible) produced[p.metabolite] = true;
    }
  }
  for (std::size_t i = 0; i < model.metabolites.size(); ++i) {
    auto& m = model.metabolites[i];
    m.boundary = !produced[i] || !consumed[i] || ends_with(m.id, ".ex");
    m.symmetric = symmetric.count(m.id) > 0;
  }
  infer_atom_counts(model);
  model.unmapped_products_ignored = true;  // as FreeFlux: biomass side products without atoms leave the labelling balances
  if (d.has_errors()) return Result<Model>::failure(d);
  append_validation(d, model, reaction_lines);
  if (d.has_errors()) return Result<Model>::failure(d);
  return Result<Model>::success(std::move(model), d.items());
}

namespace {

// "0.511,0.285,0.204" -> numbers; nullopt on garbage
std::optional<std::vector<double>> number_list(std::string_view s) {
  std::vector<double> out;
  for (auto part : split(s, ',')) {
    auto v = parse_number(trim(part));
    if (!v || !std::isfinite(*v)) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

}  // namespace

Result<isotope::MidTable> read_freeflux_mdvs(std::string_view text, const std::string& source, const std::string& experiment,
                                             bool time_courses) {
  Diagnostics d(source);
  isotope::MidTable table;
  table.source = source;
  // FreeFlux's non-stationary MDVs: "#fragment_ID<TAB>time<TAB>mean<TAB>sd" (or commas)
  bool timed = false;
  for (auto line : split_lines(text)) {
    if (trim(line).empty()) continue;
    const auto header = split_cells(line, separator_of(text));
    // "time", or with its unit: "time (s)" (the Synechocystis sheets)
    timed = trim(line).front() == '#' && header.size() >= 2 && trim(header[1]).substr(0, 4) == "time";
    if (timed && !time_courses) {
      d.error("a time column: time-course MDVs (non-stationary labelling) are not read by this command; give steady-state MDVs without it", 1,
              2);
      return Result<isotope::MidTable>::failure(d);
    }
    break;
  }
  const std::size_t first = timed ? 2 : 1;  // the mean's cell
  for (const auto& [ln, row] : data_rows(text)) {
    std::vector<std::string_view> cells = row;
    double time = -1;
    if (timed) {
      const auto tv = cells.size() > 1 ? parse_number(cells[1]) : std::nullopt;
      if (!tv || !std::isfinite(*tv) || *tv < 0) {
        d.error("time '" + std::string(cells.size() > 1 ? cells[1] : std::string_view()) + "' is not a number >= 0", ln, 2);
        continue;
      }
      time = *tv;
      cells.erase(cells.begin() + 1);  // the rest as in the steady-state table
    }
    if (cells.size() < 2) {
      d.error(timed ? "expected fragment_ID, time, mean, sd" : "expected fragment_ID, mean, sd", ln, 1);
      continue;
    }
    // "Ala_23" = atoms 2 and 3 of Ala
    const std::string id(cells[0]);
    const auto us = id.rfind('_');
    FragmentSpec f;
    f.metabolite = id.substr(0, us);
    bool ok = us != std::string::npos && us + 1 < id.size();
    for (std::size_t i = us + 1; ok && i < id.size(); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(id[i])) || id[i] == '0') ok = false;
      else f.atoms.push_back(id[i] - '0');
    }
    if (!ok || f.metabolite.empty()) {
      d.error("fragment '" + id + "' is not metabolite_atoms (as Ala_23: atoms 2 and 3 of Ala)", ln, 1);
      continue;
    }
    std::sort(f.atoms.begin(), f.atoms.end());
    auto mean = number_list(cells[1]);
    if (!mean) {
      d.error("mean '" + std::string(cells[1]) + "' is not a list of numbers", ln, static_cast<int>(first) + 1);
      continue;
    }
    std::vector<double> sd(mean->size(), std::numeric_limits<double>::quiet_NaN());
    if (cells.size() > 2 && !cells[2].empty()) {
      auto s = number_list(cells[2]);
      if (!s || s->size() != mean->size() || std::any_of(s->begin(), s->end(), [](double v) { return !(v > 0); })) {
        d.error("sd '" + std::string(cells[2]) + "' is not " + std::to_string(mean->size()) + " numbers > 0", ln, static_cast<int>(first) + 2);
        continue;
      }
      sd = *s;
    }
    isotope::MeasuredMid m;
    m.experiment = experiment;
    m.fragment = format_fragment(f);
    m.name = id;
    m.fraction = *mean;
    m.sd = sd;
    m.line = ln;
    m.time = time;
    table.mids.push_back(std::move(m));
  }
  if (table.mids.empty() && !d.has_errors()) d.error("no MDVs", 0, 0);
  if (d.has_errors()) return Result<isotope::MidTable>::failure(d);
  return Result<isotope::MidTable>::success(std::move(table), d.items());
}

Result<std::vector<MeasuredFlux>> read_freeflux_fluxes(std::string_view text, const std::string& source, const FluxSpace& space) {
  using R = Result<std::vector<MeasuredFlux>>;
  Diagnostics d(source);
  std::vector<MeasuredFlux> out;
  for (const auto& [ln, cells] : data_rows(text)) {
    if (cells.size() < 3) {
      d.error("expected reaction_ID, mean, sd", ln, 1);
      continue;
    }
    const std::string id(cells[0]);
    const auto& ids = space.column_ids();
    auto it = std::find(ids.begin(), ids.end(), id);
    if (it == ids.end()) {
      d.error("unknown reaction '" + id + "'", ln, 1);
      continue;
    }
    const auto value = parse_number(cells[1]);
    const auto sd = parse_number(cells[2]);
    if (!value || !std::isfinite(*value)) {
      d.error("mean '" + std::string(cells[1]) + "' is not a number", ln, 2);
      continue;
    }
    if (!sd || !std::isfinite(*sd) || !(*sd > 0)) {
      d.error("sd '" + std::string(cells[2]) + "' is not a number > 0", ln, 3);
      continue;
    }
    out.push_back({id, {FluxTerm{static_cast<Eigen::Index>(it - ids.begin()), false, 1.0}}, *value, *sd, ln, source});
  }
  if (out.empty() && !d.has_errors()) d.error("no measured fluxes", 0, 0);
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

}  // namespace fluxion::io
