// Test helper: describes the differences between two models, ignoring how atoms are
// labelled (labels are reaction-local, so writers may rename them).
#pragma once

#include <map>
#include <sstream>
#include <string>

#include "fluxion/core/model.hpp"

namespace fluxion::test {

inline std::string canonical_atoms(const Reaction& r, std::size_t element) {
  std::map<char, char> rename;
  std::string out;
  for (const auto* side : {&r.reactants, &r.products}) {
    for (const auto& p : *side) {
      for (char c : p.atoms[element]) {
        auto [it, inserted] = rename.emplace(c, static_cast<char>('!' + rename.size()));
        out += it->second;
      }
      out += '|';
    }
    out += "=>";
  }
  return out;
}

// Empty when equal; otherwise one line per difference (first few only).
inline std::string model_differences(const Model& a, const Model& b, bool compare_atoms, bool compare_genes) {
  std::ostringstream out;
  int n = 0;
  auto diff = [&](const std::string& what) {
    if (n++ < 10) out << what << "\n";
  };
  if (a.metabolites.size() != b.metabolites.size()) diff("metabolite count " + std::to_string(a.metabolites.size()) + " vs " + std::to_string(b.metabolites.size()));
  if (a.reactions.size() != b.reactions.size()) diff("reaction count " + std::to_string(a.reactions.size()) + " vs " + std::to_string(b.reactions.size()));
  for (const auto& ma : a.metabolites) {
    auto j = b.metabolite_index(ma.id);
    if (!j) {
      diff("metabolite " + ma.id + " missing");
      continue;
    }
    const auto& mb = b.metabolites[*j];
    if (ma.boundary != mb.boundary) diff("metabolite " + ma.id + " boundary differs");
    if (compare_atoms && (ma.atoms != mb.atoms || ma.symmetric != mb.symmetric)) diff("metabolite " + ma.id + " atoms differ");
    if (ma.formula != mb.formula || ma.charge != mb.charge || ma.compartment != mb.compartment || ma.name != mb.name)
      diff("metabolite " + ma.id + " annotation differs");
  }
  for (const auto& ra : a.reactions) {
    auto j = b.reaction_index(ra.id);
    if (!j) {
      diff("reaction " + ra.id + " missing");
      continue;
    }
    const auto& rb = b.reactions[*j];
    auto stoich = [](const Model& m, const Reaction& r) {
      std::map<std::string, double> s;
      for (const auto& p : r.reactants) s[m.metabolites[p.metabolite].id] -= p.coefficient;
      for (const auto& p : r.products) s[m.metabolites[p.metabolite].id] += p.coefficient;
      return s;
    };
    if (stoich(a, ra) != stoich(b, rb)) diff("reaction " + ra.id + " stoichiometry differs");
    if (ra.lower_bound != rb.lower_bound || ra.upper_bound != rb.upper_bound)
      diff("reaction " + ra.id + " bounds differ");
    if (ra.objective_coefficient != rb.objective_coefficient) diff("reaction " + ra.id + " objective differs");
    auto canonical_gpr = [](const std::string& rule) {
      auto tree = parse_gpr(rule);
      return tree.ok() && tree.value() ? format_gpr(*tree.value()) : rule;
    };
    if (compare_genes && canonical_gpr(ra.gpr) != canonical_gpr(rb.gpr)) diff("reaction " + ra.id + " GPR differs: '" + ra.gpr + "' vs '" + rb.gpr + "'");
    if (compare_atoms) {
      if (ra.reversible != rb.reversible) diff("reaction " + ra.id + " reversibility differs");
      if (ra.exchange_lower_bound != rb.exchange_lower_bound || ra.exchange_upper_bound != rb.exchange_upper_bound)
        diff("reaction " + ra.id + " exchange bounds differ");
      for (std::size_t e = 0; e < kElementCount; ++e)
        if (canonical_atoms(ra, e) != canonical_atoms(rb, e)) diff("reaction " + ra.id + " atom map differs");
      if (ra.leak.size() != rb.leak.size() || ra.equivalent.size() != rb.equivalent.size()) diff("reaction " + ra.id + " leak/equiv differ");
    }
  }
  if (compare_genes && a.genes.size() != b.genes.size()) diff("gene count differs");
  return out.str();
}

}  // namespace fluxion::test
