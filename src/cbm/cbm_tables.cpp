#include "fluxion/cbm/cbm_tables.hpp"

#include <cmath>
#include <cstdio>

#include "fluxion/cbm/fba.hpp"

namespace fluxion::cbm {

using Eigen::Index;

std::string flux_text(double v) {
  if (std::isnan(v)) return "NA";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", std::fabs(v) < 1e-12 ? 0.0 : v);
  return buf;
}

std::string flux_samples_tsv(const Model& m, const std::vector<std::string>& samples, const std::vector<Eigen::VectorXd>& fluxes) {
  std::string out = "reaction";
  for (const auto& s : samples) out += '\t' + s;
  out += '\n';
  for (std::size_t j = 0; j < m.reactions.size(); ++j) {
    out += m.reactions[j].id;
    for (const auto& f : fluxes) out += '\t' + (f.size() ? flux_text(f(static_cast<Index>(j))) : std::string("NA"));
    out += '\n';
  }
  return out;
}

FluxRanges flux_ranges(const Model& m, bool fva, double fraction, int threads, bool loopless, const std::string& source) {
  const Index r = static_cast<Index>(m.reactions.size());
  FluxRanges out{Eigen::VectorXd(r), Eigen::VectorXd(r), "model bounds", {}};
  for (Index j = 0; j < r; ++j) {
    out.lower(j) = m.reactions[static_cast<std::size_t>(j)].lower_bound;
    out.upper(j) = m.reactions[static_cast<std::size_t>(j)].upper_bound;
  }
  if (!fva) return out;
  auto fba = FbaModel::create(m);
  if (!fba.ok()) {
    out.warnings.push_back(Diagnostic{Severity::warning, source, 0, 0, {}, "no FVA ranges (" + fba.message() + "): the model's bounds are used"});
    return out;
  }
  const auto v = fba.value().fva(fraction, {}, threads, loopless);
  if (v.status != LpStatus::optimal) {
    out.warnings.push_back(Diagnostic{Severity::warning, source, 0, 0, {}, std::string("FBA is ") + to_string(v.status) + ": the model's bounds are used"});
    return out;
  }
  for (Index j = 0; j < r; ++j)
    if (v.ranges[static_cast<std::size_t>(j)].status == LpStatus::optimal) {
      out.lower(j) = v.ranges[static_cast<std::size_t>(j)].minimum;
      out.upper(j) = v.ranges[static_cast<std::size_t>(j)].maximum;
    }
  out.description = std::string(loopless ? "loopless " : "") + "FVA at " + flux_text(fraction) + " of the optimum";
  return out;
}

ExpressionReferences expression_references(const Model& m, const ReactionActivity& act, const std::vector<std::string>& samples, const FluxRanges& ranges) {
  std::vector<bool> scored;
  const Eigen::MatrixXd flux = activity_to_flux(act.activity, ranges.lower, ranges.upper, scored);
  ExpressionReferences out;
  std::string& refs = out.references_tsv;
  std::string& activity = out.activity_tsv;
  refs = "reaction\tconfidence";
  activity = "reaction\tlower\tupper";
  for (const auto& s : samples) {
    refs += '\t' + s;
    activity += '\t' + s;
  }
  refs += '\n';
  activity += '\n';
  for (Index j = 0; j < static_cast<Index>(m.reactions.size()); ++j) {
    const auto& id = m.reactions[static_cast<std::size_t>(j)].id;
    const bool has = scored[static_cast<std::size_t>(j)];
    out.reactions_with_reference += has;
    refs += id + (has ? "\tnoisy" : "\tunmeasured");
    activity += id + '\t' + flux_text(ranges.lower(j)) + '\t' + flux_text(ranges.upper(j));
    for (Index s = 0; s < flux.cols(); ++s) {
      refs += '\t' + (has ? flux_text(flux(j, s)) : std::string("NA"));
      activity += '\t' + flux_text(act.activity(j, s));
    }
    refs += '\n';
    activity += '\n';
  }
  return out;
}

}  // namespace fluxion::cbm
