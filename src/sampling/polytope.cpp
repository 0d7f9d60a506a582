#include "fluxion/sampling/polytope.hpp"

#include <ClpSimplex.hpp>
#include <CoinFinite.hpp>

#include <cmath>
#include <sstream>

namespace fluxion::sampling {

namespace {

std::string bound_text(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

double finite_or(double v) { return std::isfinite(v) ? v : (v > 0 ? COIN_DBL_MAX : -COIN_DBL_MAX); }

// An LP over a subset of the polytope's rows, kept loaded so that several objectives
// reuse the factorisation of the last solve.
class Lp {
 public:
  Lp(const Eigen::MatrixXd& a, const Eigen::VectorXd& lower, const Eigen::VectorXd& upper, const std::vector<bool>* keep) {
    model_.setLogLevel(0);
    const Eigen::Index n = a.cols();
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < a.rows(); ++i)
      if (!keep || (*keep)[static_cast<std::size_t>(i)]) rows.push_back(i);
    std::vector<int> start{0}, index;
    std::vector<double> value;
    for (Eigen::Index j = 0; j < n; ++j) {
      for (std::size_t k = 0; k < rows.size(); ++k)
        if (a(rows[k], j) != 0.0) {
          index.push_back(static_cast<int>(k));
          value.push_back(a(rows[k], j));
        }
      start.push_back(static_cast<int>(index.size()));
    }
    std::vector<double> collb(static_cast<std::size_t>(n), -COIN_DBL_MAX), colub(static_cast<std::size_t>(n), COIN_DBL_MAX),
        obj(static_cast<std::size_t>(n), 0.0), rowlb, rowub;
    for (Eigen::Index i : rows) {
      rowlb.push_back(finite_or(lower(i)));
      rowub.push_back(finite_or(upper(i)));
    }
    model_.loadProblem(static_cast<int>(n), static_cast<int>(rows.size()), start.data(), index.data(), value.data(), collb.data(),
                       colub.data(), obj.data(), rowlb.data(), rowub.data());
  }

  LpSolution solve(const Eigen::VectorXd& c, bool maximize) {
    for (Eigen::Index j = 0; j < c.size(); ++j) model_.setObjectiveCoefficient(static_cast<int>(j), c(j));
    model_.setOptimizationDirection(maximize ? -1.0 : 1.0);
    model_.primal();
    LpSolution out;
    if (model_.isProvenOptimal()) {
      out.status = LpStatus::optimal;
      out.x = Eigen::Map<const Eigen::VectorXd>(model_.primalColumnSolution(), c.size());
      out.objective = c.dot(out.x);
    } else if (model_.isProvenPrimalInfeasible()) {
      out.status = LpStatus::infeasible;
    } else if (model_.isProvenDualInfeasible()) {
      out.status = LpStatus::unbounded;
    } else if (model_.status() == 3) {
      out.status = LpStatus::limit;
    }
    return out;
  }

 private:
  ClpSimplex model_;
};

}  // namespace

Result<FluxPolytope> FluxPolytope::build(const Model& model, const FluxSpace& space, const std::vector<LinearConstraint>& extra) {
  Diagnostics d("flux polytope of model '" + model.id + "'");
  FluxPolytope p;
  const Eigen::Index nf = space.n_free_net(), n = space.n_free();
  const Eigen::MatrixXd& kernel = space.net_kernel();
  std::vector<Eigen::Index> exchange_parameter(static_cast<std::size_t>(space.n_columns()), -1);
  for (std::size_t j = 0; j < space.exchange_columns().size(); ++j)
    exchange_parameter[static_cast<std::size_t>(space.exchange_columns()[j])] = nf + static_cast<Eigen::Index>(j);
  for (Eigen::Index k = 0; k < nf; ++k)
    p.coordinate_names_.push_back(space.column_ids()[static_cast<std::size_t>(space.free_net_columns()[static_cast<std::size_t>(k)])]);
  for (Eigen::Index c : space.exchange_columns()) p.coordinate_names_.push_back("xch(" + space.column_ids()[static_cast<std::size_t>(c)] + ")");

  std::vector<Eigen::RowVectorXd> rows;
  std::vector<double> lo, hi;
  auto add = [&](Eigen::RowVectorXd row, double l, double u, std::string name) {
    rows.push_back(std::move(row));
    lo.push_back(l);
    hi.push_back(u);
    p.names_.push_back(std::move(name));
  };
  for (Eigen::Index c = 0; c < space.n_reactions(); ++c) {
    const Reaction& r = model.reactions[space.column_reaction(c)];
    if (!std::isfinite(r.lower_bound) && !std::isfinite(r.upper_bound)) continue;
    Eigen::RowVectorXd row = Eigen::RowVectorXd::Zero(n);
    row.head(nf) = kernel.row(c);
    add(row, r.lower_bound, r.upper_bound,
        "bounds of '" + r.id + "' (" + bound_text(r.lower_bound) + " <= net <= " + bound_text(r.upper_bound) + ")");
  }
  for (std::size_t j = 0; j < space.exchange_columns().size(); ++j) {
    const Eigen::Index c = space.exchange_columns()[j];
    const Reaction& r = model.reactions[space.column_reaction(c)];
    const std::string id = space.column_ids()[static_cast<std::size_t>(c)];
    Eigen::RowVectorXd row = Eigen::RowVectorXd::Zero(n);
    row(nf + static_cast<Eigen::Index>(j)) = 1.0;
    const double l = std::max(0.0, r.exchange_lower_bound), u = r.exchange_upper_bound;
    add(row, l, u, "exchange bounds of '" + id + "' (" + bound_text(l) + " <= xch <= " + bound_text(u) + ")");
  }
  for (const auto& con : extra) {
    Eigen::RowVectorXd row = Eigen::RowVectorXd::Zero(n);
    bool ok = true;
    for (const auto& t : con.terms) {
      if (t.column < 0 || t.column >= space.n_columns()) {
        d.error("names flux column " + std::to_string(t.column) + ", outside the model's " + std::to_string(space.n_columns()), 0, 0,
                "constraint '" + con.name + "'");
        ok = false;
        continue;
      }
      if (t.exchange) {
        const Eigen::Index q = exchange_parameter[static_cast<std::size_t>(t.column)];
        if (q < 0) {
          d.error("'" + space.column_ids()[static_cast<std::size_t>(t.column)] + "' has no exchange flux (it cannot run backwards)", 0, 0,
                  "constraint '" + con.name + "'");
          ok = false;
          continue;
        }
        row(q) += t.coefficient;
      } else {
        row.head(nf) += t.coefficient * kernel.row(t.column);
      }
    }
    if (!(con.lower <= con.upper)) {
      d.error("lower bound " + bound_text(con.lower) + " is above upper bound " + bound_text(con.upper), 0, 0, "constraint '" + con.name + "'");
      ok = false;
    }
    if (ok) add(row, con.lower, con.upper, con.name);
  }
  if (d.has_errors()) return Result<FluxPolytope>::failure(d);
  p.a_.resize(static_cast<Eigen::Index>(rows.size()), n);
  for (std::size_t i = 0; i < rows.size(); ++i) p.a_.row(static_cast<Eigen::Index>(i)) = rows[i];
  p.lower_ = Eigen::Map<Eigen::VectorXd>(lo.data(), static_cast<Eigen::Index>(lo.size()));
  p.upper_ = Eigen::Map<Eigen::VectorXd>(hi.data(), static_cast<Eigen::Index>(hi.size()));
  return Result<FluxPolytope>::success(std::move(p));
}

FluxPolytope FluxPolytope::from_rows(Eigen::MatrixXd a, Eigen::VectorXd lower, Eigen::VectorXd upper,
                                     std::vector<std::string> row_names, std::vector<std::string> coordinate_names) {
  FluxPolytope p;
  p.a_ = std::move(a);
  p.lower_ = std::move(lower);
  p.upper_ = std::move(upper);
  p.names_ = std::move(row_names);
  p.coordinate_names_ = std::move(coordinate_names);
  p.names_.resize(static_cast<std::size_t>(p.a_.rows()));
  p.coordinate_names_.resize(static_cast<std::size_t>(p.a_.cols()));
  return p;
}

Result<FluxPolytope> FluxPolytope::leading(Eigen::Index n) const {
  Diagnostics d("flux polytope");
  std::vector<Eigen::Index> keep;
  for (Eigen::Index i = 0; i < n_rows(); ++i) {
    const bool head = n > 0 && a_.row(i).head(n).cwiseAbs().maxCoeff() > 0;
    const bool tail = n < dimension() && a_.row(i).tail(dimension() - n).cwiseAbs().maxCoeff() > 0;
    if (head && tail) d.error("couples free net fluxes with exchange fluxes, which are sampled separately", 0, 0, names_[static_cast<std::size_t>(i)]);
    if (!tail) keep.push_back(i);  // rows on the leading coordinates, and constant rows
  }
  if (d.has_errors()) return Result<FluxPolytope>::failure(d);
  FluxPolytope p;
  p.a_.resize(static_cast<Eigen::Index>(keep.size()), n);
  p.lower_.resize(static_cast<Eigen::Index>(keep.size()));
  p.upper_.resize(static_cast<Eigen::Index>(keep.size()));
  for (std::size_t k = 0; k < keep.size(); ++k) {
    p.a_.row(static_cast<Eigen::Index>(k)) = a_.row(keep[k]).head(n);
    p.lower_(static_cast<Eigen::Index>(k)) = lower_(keep[k]);
    p.upper_(static_cast<Eigen::Index>(k)) = upper_(keep[k]);
    p.names_.push_back(names_[static_cast<std::size_t>(keep[k])]);
  }
  p.coordinate_names_.assign(coordinate_names_.begin(), coordinate_names_.begin() + n);
  return Result<FluxPolytope>::success(std::move(p));
}

double FluxPolytope::violation(const Eigen::VectorXd& x) const {
  const Eigen::VectorXd ax = a_ * x;
  double worst = 0.0;
  for (Eigen::Index i = 0; i < ax.size(); ++i) worst = std::max({worst, lower_(i) - ax(i), ax(i) - upper_(i)});
  return worst;
}

LpSolution FluxPolytope::optimize(const Eigen::VectorXd& c, bool maximize) const {
  Lp lp(a_, lower_, upper_, nullptr);
  return lp.solve(c, maximize);
}

std::vector<std::string> FluxPolytope::conflicting_rows() const {
  const Eigen::VectorXd zero = Eigen::VectorXd::Zero(dimension());
  std::vector<bool> keep(static_cast<std::size_t>(n_rows()), true);
  if (Lp(a_, lower_, upper_, &keep).solve(zero, false).status != LpStatus::infeasible) return {};
  for (std::size_t i = 0; i < keep.size(); ++i) {  // deletion filter
    keep[i] = false;
    if (Lp(a_, lower_, upper_, &keep).solve(zero, false).status != LpStatus::infeasible) keep[i] = true;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < keep.size(); ++i)
    if (keep[i]) out.push_back(names_[i]);
  return out;
}

Result<FluxPolytope::Box> FluxPolytope::bounding_box() const {
  Diagnostics d("flux polytope");
  Lp lp(a_, lower_, upper_, nullptr);
  Box box{Eigen::VectorXd(dimension()), Eigen::VectorXd(dimension())};
  for (Eigen::Index j = 0; j < dimension(); ++j) {
    Eigen::VectorXd c = Eigen::VectorXd::Zero(dimension());
    c(j) = 1.0;
    for (bool maximize : {false, true}) {
      const LpSolution s = lp.solve(c, maximize);
      if (s.status == LpStatus::infeasible) {
        std::string list;
        for (const auto& name : conflicting_rows()) list += "\n  " + name;
        d.error("the constraints cannot all hold; these conflict:" + list);
        return Result<Box>::failure(d);
      }
      if (s.status == LpStatus::unbounded) {
        d.error("free flux '" + coordinate_names_[static_cast<std::size_t>(j)] + "' has no " + (maximize ? "upper" : "lower") +
                " bound: add one (a model bound or a constraint)");
        return Result<Box>::failure(d);
      }
      if (s.status != LpStatus::optimal) {
        d.error(std::string("LP for the bounds of '") + coordinate_names_[static_cast<std::size_t>(j)] + "': " + to_string(s.status));
        return Result<Box>::failure(d);
      }
      (maximize ? box.upper : box.lower)(j) = s.objective;
    }
  }
  return Result<Box>::success(std::move(box));
}

}  // namespace fluxion::sampling
