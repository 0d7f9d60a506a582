// mfapy model text files: tab-separated sections //Reactions, //Metabolites,
// //Reversible_reactions, //Target_fragments, //End.
//
// mfapy writes each direction of a reversible reaction as its own one-way reaction
// and names the pair in //Reversible_reactions. fluxion merges such a pair into one
// reversible reaction (id = the pair's name) when the backward reaction is exactly the
// forward one reversed, atom maps included; otherwise both stay one-way, with a warning.
#include <algorithm>
#include <map>
#include <set>

#include "fluxion/io/model_io.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {

struct Term {
  double coefficient = 1;
  std::string metabolite;
};

struct Side {
  std::vector<Term> lhs, rhs;
};

// "{2}PEP + GAP --> X"; returns false with a message on malformed text.
bool parse_mfapy_equation(std::string_view text, Side& out, std::string& error) {
  const auto arrow = text.find("-->");
  if (arrow == std::string_view::npos) {
    error = "no '-->' in \"" + std::string(text) + "\"";
    return false;
  }
  auto parse_side = [&](std::string_view s, std::vector<Term>& terms) {
    s = trim(s);
    if (s.empty()) return true;
    for (auto part : split(s, '+')) {
      part = trim(part);
      if (part.empty()) {
        error = "empty term in \"" + std::string(text) + "\"";
        return false;
      }
      Term t;
      if (part.front() == '{') {
        const auto close = part.find('}');
        auto c = close == std::string_view::npos ? std::nullopt : parse_number(part.substr(1, close - 1));
        if (!c || !(*c > 0)) {
          error = "bad coefficient in '" + std::string(part) + "'";
          return false;
        }
        t.coefficient = *c;
        part = trim(part.substr(close + 1));
      }
      t.metabolite = std::string(part);
      terms.push_back(std::move(t));
    }
    return true;
  };
  return parse_side(text.substr(0, arrow), out.lhs) && parse_side(text.substr(arrow + 3), out.rhs);
}

// product atom (side 1, occurrence, position) -> reactant atom (side 0, occurrence, position)
using AtomSource = std::map<std::tuple<std::string, int, int>, std::tuple<std::string, int, int>>;

AtomSource atom_sources(const Model& model, const Reaction& r, bool inverse) {
  std::map<char, std::tuple<std::string, int, int>> from;
  std::map<std::string, int> occ;
  for (const auto& p : r.reactants) {
    const auto& id = model.metabolites[p.metabolite].id;
    const int o = occ[id]++;
    const auto& a = p.atoms[0];
    for (int i = 0; i < static_cast<int>(a.size()); ++i) from[a[static_cast<std::size_t>(i)]] = {id, o, i};
  }
  AtomSource out;
  occ.clear();
  for (const auto& p : r.products) {
    const auto& id = model.metabolites[p.metabolite].id;
    const int o = occ[id]++;
    const auto& a = p.atoms[0];
    for (int i = 0; i < static_cast<int>(a.size()); ++i) {
      auto it = from.find(a[static_cast<std::size_t>(i)]);
      if (it == from.end()) continue;
      if (inverse) out[it->second] = {id, o, i};
      else out[{id, o, i}] = it->second;
    }
  }
  return out;
}

std::multiset<std::pair<std::size_t, double>> stoich(const std::vector<Participant>& side) {
  std::multiset<std::pair<std::size_t, double>> s;
  for (const auto& p : side) s.insert({p.metabolite, p.coefficient});
  return s;
}

}  // namespace

Result<Model> read_mfapy(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  Model model;
  std::string section;
  struct RxnRow {
    int line;
    Reaction reaction;
  };
  std::vector<RxnRow> rows;
  struct PairRow {
    int line;
    std::string id, forward, backward;
    std::optional<double> lb, ub;
  };
  std::vector<PairRow> pairs;
  std::map<std::string, bool> boundary;
  std::set<std::string> seen_sections;
  std::vector<std::string> negative_lb;  // one-way reactions given a negative lower bound
  int negative_lb_line = 0;
  for (auto [li, lines] = std::pair{std::size_t{0}, split_lines(text)}; li < lines.size(); ++li) {
    const int ln = static_cast<int>(li + 1);
    std::string_view line = lines[li];
    if (trim(line).empty() || trim(line).front() == '#') continue;
    if (line.substr(0, 2) == "//") {
      section = std::string(trim(line.substr(2)));
      if (section != "Reactions" && section != "Metabolites" && section != "Reversible_reactions" &&
          section != "Target_fragments" && section != "End")
        d.error("unknown section '//" + section + "'", ln, 1);
      seen_sections.insert(section);
      continue;
    }
    auto cells = split(line, '\t');
    for (auto& c : cells) c = trim(c);
    if (section.empty()) {
      d.error("text before the first section (//Reactions)", ln, 1);
      continue;
    }
    if (section == "Reactions") {
      if (cells.size() < 4) {
        d.error("a reaction needs at least 4 tab-separated cells (id, equation, carbon equation, atom map)", ln, 1);
        continue;
      }
      Reaction r;
      r.id = std::string(cells[0]);
      const std::string ctx = "reaction '" + r.id + "'";
      Side st;
      std::string err;
      if (!parse_mfapy_equation(cells[1], st, err)) {
        d.error(err, ln, 0, ctx);
        continue;
      }
      auto add = [&](const std::vector<Term>& terms, std::vector<Participant>& out) {
        for (const auto& t : terms) {
          Participant p;
          p.metabolite = model.ensure_metabolite(t.metabolite);
          p.coefficient = t.coefficient;
          out.push_back(p);
        }
      };
      add(st.lhs, r.reactants);
      add(st.rhs, r.products);
      if (cells[2] != "nd" && cells[3] != "nd" && !cells[2].empty()) {
        Side carbon, atoms;
        if (!parse_mfapy_equation(cells[2], carbon, err) || !parse_mfapy_equation(cells[3], atoms, err)) {
          d.error(err, ln, 0, ctx);
          continue;
        }
        if (carbon.lhs.size() != atoms.lhs.size() || carbon.rhs.size() != atoms.rhs.size()) {
          d.error("the atom map \"" + std::string(cells[3]) + "\" does not have one atom string per metabolite of \"" +
                      std::string(cells[2]) + "\"",
                  ln, 0, ctx);
          continue;
        }
        bool ok = true;
        auto map_side = [&](const std::vector<Term>& names, const std::vector<Term>& strings, std::vector<Participant>& side) {
          std::vector<bool> used(side.size(), false);
          for (std::size_t k = 0; k < names.size(); ++k) {
            const auto mi = model.metabolite_index(names[k].metabolite);
            std::size_t found = side.size();
            for (std::size_t j = 0; j < side.size(); ++j)
              if (!used[j] && mi && side[j].metabolite == *mi && side[j].atoms[0].empty()) {
                found = j;
                break;
              }
            if (found == side.size()) {
              d.error("metabolite '" + names[k].metabolite + "' of the carbon equation is not in the reaction equation", ln, 0, ctx);
              ok = false;
              return;
            }
            if (side[found].coefficient > 1) {  // split one occurrence off "{2}X"
              side[found].coefficient -= 1;
              Participant one = side[found];
              one.coefficient = 1;
              side.insert(side.begin() + static_cast<std::ptrdiff_t>(found), one);
              used.insert(used.begin() + static_cast<std::ptrdiff_t>(found), false);
            }
            side[found].atoms[0] = strings[k].metabolite;
            used[found] = true;
          }
        };
        map_side(carbon.lhs, atoms.lhs, r.reactants);
        map_side(carbon.rhs, atoms.rhs, r.products);
        if (!ok) continue;
      }
      r.lower_bound = 0.0;
      r.upper_bound = kDefaultFluxBound;
      if (cells.size() > 6) {
        auto lb = parse_number(cells[5]), ub = parse_number(cells[6]);
        if (lb && ub) {
          r.lower_bound = *lb;
          r.upper_bound = *ub;
        }
        // a '-->' line is one direction: its flux cannot run backward (the backward direction
        // has no atom map). mfapy keeps the number, but its status sheets bound every reaction
        // from 0 (ML-Flux's CCM: -300 in the model file, 0 in CCM_status_*.csv); read as 0
        if (r.lower_bound < 0 && r.upper_bound >= 0) {
          if (negative_lb.empty()) negative_lb_line = ln;
          negative_lb.push_back(r.id);
          r.lower_bound = 0.0;
        }
      }
      if (model.reaction_index(r.id) || std::any_of(rows.begin(), rows.end(), [&](const RxnRow& x) { return x.reaction.id == r.id; })) {
        d.error("duplicate reaction id '" + r.id + "'", ln, 1);
        continue;
      }
      rows.push_back({ln, std::move(r)});
    } else if (section == "Metabolites") {
      if (cells.size() < 2) {
        d.error("a metabolite needs at least an id and a carbon count", ln, 1);
        continue;
      }
      const std::size_t mi = model.ensure_metabolite(std::string(cells[0]));
      auto n = parse_int(cells[1], 0, 10000);
      if (!n) {
        d.error("carbon count '" + std::string(cells[1]) + "' is not a whole number", ln, 0, "metabolite '" + std::string(cells[0]) + "'");
        continue;
      }
      auto& m = model.metabolites[mi];
      m.atoms[0] = *n;
      m.symmetric = cells.size() > 2 && lower(cells[2]) == "symmetry";
      boundary[m.id] = (cells.size() > 3 && lower(cells[3]) == "carbonsource") || (cells.size() > 4 && lower(cells[4]) == "excreted");
    } else if (section == "Reversible_reactions") {
      if (cells.size() < 3) {
        d.error("a reversible reaction needs an id, a forward and a backward reaction", ln, 1);
        continue;
      }
      PairRow p{ln, std::string(cells[0]), std::string(cells[1]), std::string(cells[2]), std::nullopt, std::nullopt};
      if (cells.size() > 5) {
        p.lb = parse_number(cells[4]);
        p.ub = parse_number(cells[5]);
      }
      pairs.push_back(std::move(p));
    } else if (section == "Target_fragments") {
      // "Ala_2:3" = atoms 2 and 3 of Ala; parts joined by '+' are atoms of one molecule
      if (cells.size() < 3) continue;
      FragmentSpec f;
      bool ok = true;
      for (auto part : split(cells[2], '+')) {
        part = trim(part);
        const auto us = part.rfind('_');
        const std::string met(part.substr(0, us));
        if (!f.metabolite.empty() && f.metabolite != met) ok = false;
        f.metabolite = met;
        if (us == std::string_view::npos) continue;
        for (auto a : split(part.substr(us + 1), ':')) {
          auto n = parse_int(a, 1, 1000);
          if (!n) ok = false;
          else f.atoms.push_back(*n);
        }
      }
      std::sort(f.atoms.begin(), f.atoms.end());
      f.atoms.erase(std::unique(f.atoms.begin(), f.atoms.end()), f.atoms.end());
      if (!ok || f.metabolite.empty()) {
        d.warning("target fragment '" + std::string(cells[2]) + "' is not one metabolite's atoms; not recorded as measured", ln, 0);
        continue;
      }
      // the whole molecule is written without positions
      if (auto mi = model.metabolite_index(f.metabolite);
          mi && static_cast<int>(f.atoms.size()) == model.metabolites[*mi].atoms[0] && !f.atoms.empty() &&
          f.atoms.back() == static_cast<int>(f.atoms.size()))
        f.atoms.clear();
      const std::string spec = format_fragment(f);
      if (std::find(model.measured.begin(), model.measured.end(), spec) == model.measured.end()) model.measured.push_back(spec);
    }
  }
  if (!seen_sections.count("Reactions")) d.error("no //Reactions section");
  else if (rows.empty()) d.error("the //Reactions section holds no reaction (is the file cut short?)");
  // mfapy needs the metabolites' carbon counts; a file without them was cut short
  if (!seen_sections.count("Metabolites"))
    d.error("no //Metabolites section" + std::string(seen_sections.count("Reactions") ? " after //Reactions (is the file cut short?)" : ""));

  // merge reversible pairs
  std::map<std::string, std::size_t> row_of;
  for (std::size_t i = 0; i < rows.size(); ++i) row_of[rows[i].reaction.id] = i;
  std::vector<bool> removed(rows.size(), false);
  std::map<std::size_t, std::size_t> merged_into;  // forward row -> pair index
  for (std::size_t pi = 0; pi < pairs.size(); ++pi) {
    const auto& p = pairs[pi];
    auto f = row_of.find(p.forward), b = row_of.find(p.backward);
    if (f == row_of.end() || b == row_of.end()) {
      d.warning("reversible reaction '" + p.id + "' names a reaction that does not exist; ignored", p.line, 0);
      continue;
    }
    const Reaction& fr = rows[f->second].reaction;
    const Reaction& br = rows[b->second].reaction;
    const bool same = stoich(fr.reactants) == stoich(br.products) && stoich(fr.products) == stoich(br.reactants) &&
                      atom_sources(model, fr, false) == atom_sources(model, br, true) &&
                      fr.has_any_atom_map() == br.has_any_atom_map();
    if (!same) {
      d.warning("reactions '" + p.forward + "' and '" + p.backward + "' of reversible reaction '" + p.id +
                    "' are not exact reverses of each other; kept as two one-way reactions",
                p.line, 0);
      continue;
    }
    removed[b->second] = true;
    merged_into[f->second] = pi;
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (removed[i]) continue;
    Reaction r = std::move(rows[i].reaction);
    if (auto it = merged_into.find(i); it != merged_into.end()) {
      const auto& p = pairs[it->second];
      r.name = r.id;
      r.id = p.id;
      r.reversible = true;
      r.lower_bound = p.lb.value_or(-kDefaultFluxBound);
      r.upper_bound = p.ub.value_or(kDefaultFluxBound);
    }
    if (model.reaction_index(r.id)) {
      d.error("reaction id '" + r.id + "' is used twice", rows[i].line, 1);
      continue;
    }
    model.add_reaction(std::move(r));
  }
  if (!negative_lb.empty()) {
    std::string ids;
    for (std::size_t i = 0; i < negative_lb.size() && i < 12; ++i) ids += (i ? ", " : "") + negative_lb[i];
    if (negative_lb.size() > 12) ids += " and " + std::to_string(negative_lb.size() - 12) + " more";
    d.warning(std::to_string(negative_lb.size()) + " one-way reactions ('-->') have a negative lower bound, read as 0: a " +
                  "one-way reaction carries flux forward only (mfapy's status sheets bound them from 0): " + ids,
              negative_lb_line, 6);
  }
  const auto topo = unbalanced_by_topology(model);
  for (std::size_t i = 0; i < model.metabolites.size(); ++i) {
    auto it = boundary.find(model.metabolites[i].id);
    model.metabolites[i].boundary = (it != boundary.end() && it->second) || topo[i];
  }
  infer_atom_counts(model);
  if (d.has_errors()) return Result<Model>::failure(d);
  d.append(model.validate(source));
  if (d.has_errors()) return Result<Model>::failure(d);
  return Result<Model>::success(std::move(model), d.items());
}

}  // namespace fluxion::io
