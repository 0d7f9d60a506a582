// What each tracer experiment labels (isotope/tracer_report.hpp).
#include "fluxion/isotope/tracer_report.hpp"

#include <sstream>

namespace fluxion::isotope {

std::string labelled_atoms_tsv(const Model& m, const std::vector<TracerExperiment>& experiments) {
  std::ostringstream out;
  out << "experiment\tsubstrate\tlabel\tfraction\tpurity\theavy_atoms\n";
  for (const auto& ex : experiments)
    for (const auto& c : ex.components) {
      const Metabolite& sub = m.metabolites[*m.metabolite_index(c.substrate)];
      std::string atoms;
      for (Element e : kElements) {
        const int n = sub.atoms[static_cast<std::size_t>(e)];
        if (n == 0) continue;
        const auto heavy = c.label.bits(e, n);
        std::string bits;
        for (auto b : heavy.value()) bits += b ? '1' : '0';
        if (!atoms.empty()) atoms += ' ';
        atoms += std::string(element_symbol(e)) + ":" + bits;
      }
      out << ex.id << '\t' << c.substrate << '\t' << format_label(c.label) << '\t' << c.fraction << '\t' << c.purity << '\t' << atoms << '\n';
    }
  return out.str();
}

}  // namespace fluxion::isotope
