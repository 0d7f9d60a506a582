#include "fluxion/cbm/projection_report.hpp"

#include <cmath>
#include "fluxion/core/format.hpp"

namespace fluxion::cbm {

namespace {

std::string fmt(double v) { return format_significant(v, 3); }

}  // namespace

ProjectionOutcome assess_projection(const Model& model, const Eigen::SparseMatrix<double>& s, const Projector& projector, const io::ReferenceTable& ref,
                                    const std::string& source, ProjectionVariant variant, Eigen::MatrixXd x) {
  using Eigen::Index;
  ProjectionOutcome out;
  out.variant = variant;
  out.check = check_projection(s, x, ref.values, projector.sets().high);
  out.report = projector.report();
  out.fixed = projector.sets().high.size();
  out.noisy = projector.sets().medium.size();
  const std::string name(to_string(variant));
  const Index r = static_cast<Index>(model.reactions.size());
  for (Index j = 0; j < r; ++j) {
    const auto& reaction = model.reactions[static_cast<std::size_t>(j)];
    for (Index c = 0; c < x.cols(); ++c)
      if (x(j, c) < reaction.lower_bound - 1e-9 || x(j, c) > reaction.upper_bound + 1e-9) ++out.outside_bounds;
  }
  // the largest miss of a fixed reference, with where it is
  double scale = 1.0;
  for (Index i : projector.sets().high) scale = std::max(scale, ref.values.row(i).cwiseAbs().maxCoeff());
  if (out.check.fixed_deviation > 1e-8 * scale) {
    Index wi = 0, wc = 0;
    double worst = -1.0;
    for (Index i : projector.sets().high)
      for (Index c = 0; c < x.cols(); ++c)
        if (std::fabs(x(i, c) - ref.values(i, c)) > worst) {
          worst = std::fabs(x(i, c) - ref.values(i, c));
          wi = i;
          wc = c;
        }
    out.notes.push_back(Diagnostic{Severity::warning, source, ref.lines[static_cast<std::size_t>(wi)], 0, name,
                                   "the fixed fluxes contradict steady state (rank " + std::to_string(out.report.rank_high) + " among " +
                                       std::to_string(out.fixed) + " fixed reactions): they are matched in least squares, the largest miss " + fmt(worst) +
                                       " at '" + model.reactions[static_cast<std::size_t>(wi)].id + "' in sample '" + ref.samples[static_cast<std::size_t>(wc)] +
                                       "'"});
  }
  if (out.report.rank_medium < out.report.free_after_high)
    out.notes.push_back(Diagnostic{Severity::warning, source, 0, 0, name,
                                   std::to_string(out.report.free_after_high - out.report.rank_medium) + " of the " +
                                       std::to_string(out.report.kernel_dimension) +
                                       " directions of the steady-state space are neither fixed nor seen by a measured reaction: "
                                       "the projection sets them to the least-norm choice, which carries no information"});
  out.fluxes = std::move(x);
  return out;
}

std::string projection_summary_tsv(const std::vector<ProjectionOutcome>& outcomes) {
  std::string out =
      "variant\tfixed\tnoisy\tkernel_dimension\trank_fixed\tfree_after_fixed\trank_noisy\tgap_fixed\tgap_noisy\tmax_steady_state_residual\t"
      "max_fixed_deviation\toutside_bounds\tsetup_s\tapply_s\n";
  auto gap = [](double g, bool none) { return none ? std::string("NA") : std::isfinite(g) ? fmt(g) : std::string("inf"); };
  for (const auto& o : outcomes) {
    const auto& rep = o.report;
    out += std::string(to_string(o.variant)) + '\t' + std::to_string(o.fixed) + '\t' + std::to_string(o.noisy) + '\t' + std::to_string(rep.kernel_dimension) +
           '\t' + std::to_string(rep.rank_high) + '\t' + std::to_string(rep.free_after_high) + '\t' + std::to_string(rep.rank_medium) + '\t' +
           gap(rep.gap_high, o.fixed == 0) + '\t' + gap(rep.gap_medium, o.noisy == 0) + '\t' + fmt(o.check.steady_state) + '\t' +
           fmt(o.check.fixed_deviation) + '\t' + std::to_string(o.outside_bounds) + '\t' + fmt(o.setup_seconds) + '\t' + fmt(o.apply_seconds) + '\n';
  }
  return out;
}

}  // namespace fluxion::cbm
