#include "fluxion/io/mid_table.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "text.hpp"

namespace fluxion::io {

using namespace detail;

namespace {
constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();
}

Result<isotope::MidTable> read_mid_table(std::string_view text, const std::string& source, bool time_courses) {
  Diagnostics d(source);
  isotope::MidTable table;
  table.source = source;
  TableReader t(text);
  const std::string expected = "experiment, metabolite, isotopologue, fraction, sd; or IsoCor's output";
  if (!t.read_header(d, {}, {}, expected)) return Result<isotope::MidTable>::failure(d);
  table.isocor = t.has("isotopologue_fraction");  // IsoCor's output, read as it is
  if (!t.require(d, table.isocor ? std::vector<std::string>{"sample", "metabolite", "isotopologue", "isotopologue_fraction"}
                                 : std::vector<std::string>{"experiment", "metabolite", "isotopologue", "fraction"},
                 expected))
    return Result<isotope::MidTable>::failure(d);
  const bool timed = t.has("time");
  if (timed && !time_courses) {
    d.error("a time column: time-course MIDs (non-stationary labelling) are not read by this command; give steady-state MIDs without it", 1,
            t.column("time"));
    return Result<isotope::MidTable>::failure(d);
  }
  std::map<std::tuple<std::string, int, std::string, std::string, double>, std::size_t> index;  // experiment, element, fragment, replicate, time
  while (t.next()) {
    const int ln = t.line();
    const std::string experiment_column = table.isocor ? "sample" : "experiment";
    const std::string experiment(t.get(experiment_column));
    if (experiment.empty()) {
      d.error("empty " + experiment_column, ln, t.column(experiment_column));
      continue;
    }
    std::string fragment(t.get("metabolite"));
    if (fragment.empty()) {
      d.error("empty metabolite", ln, t.column("metabolite"));
      continue;
    }
    const std::string derivative = table.isocor ? std::string(t.get("derivative")) : std::string();
    if (auto f = parse_fragment(fragment); !f) {
      d.error(f.diagnostics().front().message, ln, t.column("metabolite"));
      continue;
    }
    Element element = Element::C;
    if (auto e = t.get("element"); !e.empty()) {
      auto el = element_from_symbol(e);
      if (!el) {
        d.error("element '" + std::string(e) + "' is not C, H, N or O", ln, t.column("element"));
        continue;
      }
      element = *el;
    }
    const auto iso = parse_int(t.get("isotopologue"), 0, 1000);
    if (!iso) {
      d.error("isotopologue '" + std::string(t.get("isotopologue")) + "' is not a whole number >= 0", ln, t.column("isotopologue"));
      continue;
    }
    const std::string fraction_column = table.isocor ? "isotopologue_fraction" : "fraction";
    const std::string_view fr = t.get(fraction_column);
    const auto value = parse_number(fr);
    if (!value || !std::isfinite(*value)) {
      d.error("fraction '" + std::string(fr) + "' is not a number", ln, t.column(fraction_column));
      continue;
    }
    double sd = kMissing;
    if (auto s = t.get("sd"); !s.empty()) {
      auto v = parse_number(s);
      if (!v || !std::isfinite(*v)) {
        d.error("sd '" + std::string(s) + "' is not a number", ln, t.column("sd"));
        continue;
      }
      sd = *v;
    }
    const std::string replicate(t.get("replicate"));
    double time = -1;
    if (timed) {
      const auto tv = parse_number(t.get("time"));
      if (!tv || !std::isfinite(*tv) || *tv < 0) {
        d.error("time '" + std::string(t.get("time")).substr(0, 40) + "' is not a number >= 0", ln, t.column("time"));
        continue;
      }
      time = *tv;
    }
    auto [it, inserted] = index.emplace(std::tuple{experiment, static_cast<int>(element), fragment, replicate, time}, table.mids.size());
    if (inserted) {
      table.mids.push_back({experiment, element, fragment, replicate, {}, {}, ln, {}});
      table.mids.back().time = time;
      if (!derivative.empty())  // IsoCor names the derivative measured; the MID is the metabolite's
        d.warning("derivative '" + derivative + "' of '" + fragment + "' is read as the metabolite itself", ln, t.column("derivative"));
    }
    isotope::MeasuredMid& mid = table.mids[it->second];
    const auto k = static_cast<std::size_t>(*iso);
    if (mid.fraction.size() <= k) {
      mid.fraction.resize(k + 1, kMissing);
      mid.sd.resize(k + 1, kMissing);
    }
    if (!std::isnan(mid.fraction[k])) {
      d.error("M+" + std::to_string(k) + " of '" + fragment + "' in experiment '" + experiment + "'" +
                  (replicate.empty() ? std::string() : ", replicate '" + replicate + "',") +
                  (timed ? " at time " + format_short(time) : std::string()) + " is given twice",
              ln, 1);
      continue;
    }
    mid.fraction[k] = *value;
    mid.sd[k] = sd;
  }
  if (d.has_errors()) return Result<isotope::MidTable>::failure(d);
  return Result<isotope::MidTable>::success(std::move(table), d.items());
}

Result<isotope::MidTable> load_mid_table(const std::string& path, bool time_courses) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<isotope::MidTable>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_mid_table(*text, path, time_courses);
}

std::vector<Diagnostic> validate_mids(const Model& model, const isotope::MidTable& table, const std::string& source,
                                      const std::vector<isotope::TracerExperiment>* experiments, double sum_tolerance) {
  Diagnostics d(source);
  std::set<std::string> known;
  if (experiments)
    for (const auto& e : *experiments) known.insert(e.id);
  std::set<std::string> reported;
  for (const auto& mid : table.mids) {
    std::string ctx = "experiment '" + mid.experiment + "', " + mid.fragment;
    if (mid.element != Element::C) ctx += " (" + std::string(element_symbol(mid.element)) + ")";
    if (!mid.replicate.empty()) ctx += ", replicate '" + mid.replicate + "'";
    if (mid.time >= 0) ctx += ", time " + format_short(mid.time);
    if (experiments && !known.count(mid.experiment) && reported.insert(mid.experiment).second)
      d.error("experiment '" + mid.experiment + "' is not in the tracer table", mid.line, 0);
    const FragmentSpec f = parse_fragment(mid.fragment).value();
    const auto mi = model.metabolite_index(f.metabolite);
    if (!mi) {
      d.error("metabolite '" + f.metabolite + "' is not in model '" + model.id + "'", mid.line, 0, ctx);
      continue;
    }
    const int atoms = model.metabolites[*mi].atoms[static_cast<std::size_t>(mid.element)];
    const std::string el(element_symbol(mid.element));
    if (atoms == 0) {
      d.error("'" + f.metabolite + "' has no traced " + el + " atoms", mid.line, 0, ctx);
      continue;
    }
    if (!f.atoms.empty() && f.atoms.back() > atoms) {
      d.error("the fragment names atom " + std::to_string(f.atoms.back()) + " but '" + f.metabolite + "' has " +
                  std::to_string(atoms) + " " + el + " atoms",
              mid.line, 0, ctx);
      continue;
    }
    const std::size_t n = f.atoms.empty() ? static_cast<std::size_t>(atoms) : f.atoms.size();
    if (mid.fraction.size() > n + 1) {
      d.error("isotopologue M+" + std::to_string(mid.fraction.size() - 1) + " is impossible: the fragment has " +
                  std::to_string(n) + " " + el + " atoms (M+0 to M+" + std::to_string(n) + ")",
              mid.line, 0, ctx);
      continue;
    }
    std::string missing;
    for (std::size_t k = 0; k <= n; ++k)
      if (k >= mid.fraction.size() || std::isnan(mid.fraction[k])) missing += (missing.empty() ? "M+" : ", M+") + std::to_string(k);
    if (!missing.empty()) {
      d.error("missing " + missing + " (give every isotopologue from M+0 to M+" + std::to_string(n) + ")", mid.line, 0, ctx);
      continue;
    }
    double sum = 0.0;
    for (std::size_t k = 0; k <= n; ++k) {
      if (mid.fraction[k] < -sum_tolerance)
        d.error("M+" + std::to_string(k) + " fraction " + format_short(mid.fraction[k]) + " is negative", mid.line, 0, ctx);
      if (!std::isnan(mid.sd[k]) && !(mid.sd[k] > 0))
        d.error("M+" + std::to_string(k) + " sd " + format_short(mid.sd[k]) + " must be positive", mid.line, 0, ctx);
      sum += mid.fraction[k];
    }
    if (std::fabs(sum - 1.0) > sum_tolerance)
      d.error("fractions sum to " + format_short(sum) + ", not 1 (tolerance " + format_short(sum_tolerance) +
                  "): give fractions, not intensities (fluxion correct turns intensities into corrected fractions)",
              mid.line, 0, ctx);
  }
  return d.items();
}

}  // namespace fluxion::io
