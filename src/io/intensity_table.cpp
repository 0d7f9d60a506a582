#include "fluxion/io/intensity_table.hpp"

#include <cmath>
#include <map>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

Result<std::vector<IntensitySet>> read_intensity_table(std::string_view text, const std::string& source) {
  Diagnostics d(source);
  std::vector<IntensitySet> sets;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  std::map<std::string, int> col;
  char sep = '\t';
  bool header = false;
  const auto lines = split_lines(text);
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const int ln = static_cast<int>(li + 1);
    if (trim(lines[li]).empty() || trim(lines[li]).front() == '#') continue;
    if (!header) {
      sep = lines[li].find('\t') != std::string_view::npos ? '\t' : ',';
      int idx = 0;
      for (auto cell : split_cells(lines[li], sep)) col.emplace(lower(trim(unquote(trim(cell)))), idx++);
      for (const char* r : {"sample", "metabolite", "isotopologue", "area", "formula"})
        if (!col.count(r))
          d.error(std::string("the header has no '") + r + "' column (expected: sample, metabolite, isotopologue, area, formula, derivative)", ln, 1);
      if (d.has_errors()) return Result<std::vector<IntensitySet>>::failure(d);
      header = true;
      continue;
    }
    const auto cells = split_cells(lines[li], sep);
    std::vector<int> starts(cells.size());
    for (std::size_t c = 0, pos = 1; c < cells.size(); ++c) {
      starts[c] = static_cast<int>(pos);
      pos += cells[c].size() + 1;
    }
    int column = 1;
    auto cell = [&](const char* name) -> std::string_view {
      auto it = col.find(name);
      if (it == col.end() || static_cast<std::size_t>(it->second) >= cells.size()) return {};
      column = starts[static_cast<std::size_t>(it->second)];
      return trim(unquote(trim(cells[static_cast<std::size_t>(it->second)])));
    };
    const std::string sample(cell("sample")), metabolite(cell("metabolite"));
    if (sample.empty() || metabolite.empty()) {
      d.error("empty sample or metabolite", ln, 1);
      continue;
    }
    const auto iso = parse_int(cell("isotopologue"), 0, 1000);
    if (!iso) {
      d.error("isotopologue '" + std::string(cell("isotopologue")) + "' is not a whole number >= 0", ln, column);
      continue;
    }
    const auto area = parse_number(cell("area"));
    if (!area || !std::isfinite(*area)) {
      d.error("area '" + std::string(cell("area")) + "' is not a number", ln, column);
      continue;
    }
    const std::string formula(cell("formula"));
    const int formula_col = column;
    const std::string derivative(cell("derivative"));
    const int derivative_col = column;
    auto [it, inserted] = index.emplace(std::pair{sample, metabolite}, sets.size());
    if (inserted) {
      if (auto f = parse_formula(formula); !f) {
        d.error(f.diagnostics().front().message, ln, formula_col);
        index.erase(it);
        continue;
      }
      if (!derivative.empty())
        if (auto f = parse_formula(derivative); !f) {
          d.error(f.diagnostics().front().message, ln, derivative_col);
          index.erase(it);
          continue;
        }
      sets.push_back({sample, metabolite, formula, derivative, {}, ln});
    }
    IntensitySet& s = sets[it->second];
    if (s.formula != formula || s.derivative != derivative) {
      d.error("formula of '" + metabolite + "' differs from its first row (line " + std::to_string(s.line) + ")", ln, formula_col);
      continue;
    }
    const auto k = static_cast<std::size_t>(*iso);
    if (s.area.size() <= k) s.area.resize(k + 1, 0.0);
    s.area[k] += *area;
  }
  if (!header) d.error("empty table: expected a header sample, metabolite, isotopologue, area, formula");
  if (d.has_errors()) return Result<std::vector<IntensitySet>>::failure(d);
  return Result<std::vector<IntensitySet>>::success(std::move(sets));
}

Result<std::vector<IntensitySet>> load_intensity_table(const std::string& path) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<std::vector<IntensitySet>>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_intensity_table(*text, path);
}

Result<std::string> correct_intensity_table(const std::vector<IntensitySet>& sets, const CorrectionSettings& settings,
                                            const std::string& source) {
  Diagnostics d(source);
  std::string out = "sample\tmetabolite\tderivative\tisotopologue\tarea\tcorrected_area\tisotopologue_fraction\tresiduum\tmean_enrichment\n";
  const std::string el(element_symbol(settings.tracer));
  for (const auto& s : sets) {
    Formula ion = parse_formula(s.formula).value();
    const int n = ion.count(el) ? ion.at(el) : 0;
    if (n == 0) {
      d.error("formula " + s.formula + " of '" + s.metabolite + "' has no " + el + " atoms to trace", s.line, 0);
      continue;
    }
    if (!s.derivative.empty())
      for (const auto& [e, k] : parse_formula(s.derivative).value()) ion[e] += k;
    if (static_cast<int>(s.area.size()) > n + 1 + 8)
      d.warning("'" + s.metabolite + "' has isotopologues far beyond its " + std::to_string(n) + " traced atoms", s.line, 0);
    CorrectionOptions o;
    o.tracer = settings.tracer;
    o.formula = format_formula(ion);
    o.tracer_atoms = n;
    o.purity = settings.purity;
    o.tracer_natural_abundance = settings.tracer_natural_abundance;
    const int rows = std::max(static_cast<int>(s.area.size()), n + 1);
    auto c = correction_matrix(o, rows);
    if (!c) {
      d.error(c.diagnostics().front().message, s.line, 0, "metabolite '" + s.metabolite + "'");
      continue;
    }
    const CorrectedMid r = correct_intensities(c.value(), s.area);
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
