#include "fluxion/io/intensity_table.hpp"

#include <cmath>
#include <map>
#include <tuple>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

Result<std::vector<IntensitySet>> read_intensity_table(std::string_view text, const std::string& source,
                                                       const isotope::IsotopeTable* isotopes) {
  Diagnostics d(source);
  std::vector<IntensitySet> sets;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  std::map<std::tuple<std::size_t, std::size_t>, int> row_of;  // (set, isotopologue) → its line
  TableReader t(text);
  if (!t.read_header(d, {"sample", "metabolite", "isotopologue", "area", "formula"}, {},
                     "sample, metabolite, isotopologue, area, formula, derivative"))
    return Result<std::vector<IntensitySet>>::failure(d);
  while (t.next()) {
    const int ln = t.line();
    const std::string sample(t.get("sample")), metabolite(t.get("metabolite"));
    if (sample.empty() || metabolite.empty()) {
      d.error("empty sample or metabolite", ln, 1);
      continue;
    }
    const auto iso = parse_int(t.get("isotopologue"), 0, 1000);
    if (!iso) {
      d.error("isotopologue '" + std::string(t.get("isotopologue")) + "' is not a whole number >= 0", ln, t.column("isotopologue"));
      continue;
    }
    const auto area = parse_number(t.get("area"));
    if (!area || !std::isfinite(*area)) {
      d.error("area '" + std::string(t.get("area")) + "' is not a number", ln, t.column("area"));
      continue;
    }
    const std::string formula(t.get("formula")), derivative(t.get("derivative"));
    auto [it, inserted] = index.emplace(std::pair{sample, metabolite}, sets.size());
    if (inserted) {
      if (auto f = isotope::parse_formula(formula, isotopes); !f) {
        d.error(f.diagnostics().front().message, ln, t.column("formula"));
        index.erase(it);
        continue;
      }
      if (!derivative.empty())
        if (auto f = isotope::parse_formula(derivative, isotopes); !f) {
          d.error(f.diagnostics().front().message, ln, t.column("derivative"));
          index.erase(it);
          continue;
        }
      sets.push_back({sample, metabolite, formula, derivative, {}, ln});
    }
    IntensitySet& s = sets[it->second];
    if (s.formula != formula || s.derivative != derivative) {
      d.error("formula of '" + metabolite + "' differs from its first row (line " + std::to_string(s.line) + ")", ln, t.column("formula"));
      continue;
    }
    const auto k = static_cast<std::size_t>(*iso);
    if (s.area.size() <= k) s.area.resize(k + 1, 0.0);
    auto [seen, first] = row_of.emplace(std::tuple{it->second, k}, ln);
    if (!first) {  // the MID reader refuses duplicates too: adding them up would double a peak
      d.error("M+" + std::to_string(k) + " of '" + metabolite + "' in sample '" + sample + "' is given twice (first on line " +
                  std::to_string(seen->second) + ")",
              ln, t.column("isotopologue"));
      continue;
    }
    if (*area < 0)
      d.warning("M+" + std::to_string(k) + " of '" + metabolite + "' in sample '" + sample + "' has a negative area (" + format_short(*area) +
                    "); the correction allows no negative isotopologue, so it will be corrected towards 0",
                ln, t.column("area"));
    s.area[k] = *area;
  }
  if (d.has_errors()) return Result<std::vector<IntensitySet>>::failure(d);
  return Result<std::vector<IntensitySet>>::success(std::move(sets), d.items());
}

Result<std::vector<IntensitySet>> load_intensity_table(const std::string& path, const isotope::IsotopeTable* isotopes) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<std::vector<IntensitySet>>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_intensity_table(*text, path, isotopes);
}

Result<std::string> correct_intensity_table(const std::vector<IntensitySet>& sets, const CorrectionSettings& settings,
                                            const std::string& source) {
  Diagnostics d(source);
  std::string out = "sample\tmetabolite\tderivative\tisotopologue\tarea\tcorrected_area\tisotopologue_fraction\tresiduum\tmean_enrichment\n";
  const std::string el(element_symbol(settings.tracer));
  for (const auto& s : sets) {
    auto parsed = isotope::parse_formula(s.formula, &settings.isotopes);
    if (!parsed) {
      d.error(parsed.diagnostics().front().message, s.line, 0, "metabolite '" + s.metabolite + "'");
      continue;
    }
    isotope::Formula ion = parsed.value();
    double total = 0;
    for (double a : s.area) total += std::fabs(a);
    if (total == 0) {  // as IsoCor's "No data": nothing to correct, and no fractions to report
      d.warning("'" + s.metabolite + "' of sample '" + s.sample + "': every area is 0; left out of the output", s.line, 0);
      continue;
    }
    const int n = ion.count(el) ? ion.at(el) : 0;
    if (n == 0) {
      d.error("formula " + s.formula + " of '" + s.metabolite + "' has no " + el + " atoms to trace", s.line, 0);
      continue;
    }
    if (!s.derivative.empty()) {
      auto derivative = isotope::parse_formula(s.derivative, &settings.isotopes);
      if (!derivative) {
        d.error(derivative.diagnostics().front().message, s.line, 0, "metabolite '" + s.metabolite + "'");
        continue;
      }
      for (const auto& [e, k] : derivative.value()) ion[e] += k;
    }
    if (static_cast<int>(s.area.size()) > n + 1 + 8)
      d.warning("'" + s.metabolite + "' has isotopologues far beyond its " + std::to_string(n) + " traced atoms", s.line, 0);
    isotope::CorrectionOptions o;
    o.tracer = settings.tracer;
    o.formula = isotope::format_formula(ion);
    o.tracer_atoms = n;
    o.purity = settings.purity;
    o.tracer_natural_abundance = settings.tracer_natural_abundance;
    o.isotopes = settings.isotopes;
    const int rows = std::max(static_cast<int>(s.area.size()), n + 1);
    auto c = isotope::correction_matrix(o, rows);
    if (!c) {
      d.error(c.diagnostics().front().message, s.line, 0, "metabolite '" + s.metabolite + "'");
      continue;
    }
    const isotope::CorrectedMid r = isotope::correct_intensities(c.value(), s.area);
    for (int i = 0; i <= n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      out += s.sample + '\t' + s.metabolite + '\t' + s.derivative + '\t' + std::to_string(i) + '\t' +
             format_number(k < s.area.size() ? s.area[k] : 0.0) + '\t' + format_number(r.corrected[k]) + '\t' +
             format_number(r.fractions[k]) + '\t' + format_number(k < r.residuum.size() ? r.residuum[k] : 0.0) + '\t' +
             format_number(r.mean_enrichment) + '\n';
    }
  }
  if (d.has_errors()) return Result<std::string>::failure(d);
  return Result<std::string>::success(std::move(out), d.items());
}

}  // namespace fluxion::io
