#include "fluxion/mfa/least_squares.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fluxion::mfa {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

// Goldfarb & Idnani's dual method, in the form with explicit projections: with the active
// rows W, the direction that raises the violated row p's value while the active rows stay
// where they are is z = H⁻¹(I − N·M⁻¹·Nᵀ·H⁻¹)·n (N = −A_Wᵀ, n = −A_pᵀ, M = Nᵀ·H⁻¹·N), and the
// active multipliers change at the rate −r, r = M⁻¹·Nᵀ·H⁻¹·n. The problems here are small
// (tens of variables, hundreds of rows), so M is factored anew at each step instead of
// being updated.
QpSolution solve_convex_qp(const Eigen::MatrixXd& h, const Eigen::VectorXd& c, const Eigen::MatrixXd& a, const Eigen::VectorXd& b) {
  QpSolution out;
  const Eigen::Index n = h.rows(), m = a.rows();
  Eigen::LLT<Eigen::MatrixXd> llt(h);
  if (llt.info() != Eigen::Success) {
    out.why = "the quadratic term is not positive definite";
    return out;
  }
  Eigen::VectorXd x = -llt.solve(c);
  out.multipliers = Eigen::VectorXd::Zero(m);
  if (m == 0) {
    out.ok = true;
    out.x = std::move(x);
    return out;
  }
  const Eigen::MatrixXd p = llt.solve(a.transpose());  // H⁻¹·Aᵀ, n × m
  const Eigen::VectorXd row_norm = a.rowwise().norm();
  std::vector<Eigen::Index> active;
  std::vector<double> u;  // multipliers of the active rows
  std::vector<char> is_active(static_cast<std::size_t>(m), 0);
  const int max_iterations = static_cast<int>(10 * (m + n) + 100);
  auto tolerance = [&](Eigen::Index i, const Eigen::VectorXd& at) {
    return 1e-10 * (1 + std::abs(b(i)) + row_norm(i) * at.lpNorm<Eigen::Infinity>());
  };
  while (true) {
    // the most violated row, by distance
    Eigen::Index q = -1;
    double worst = 0;
    for (Eigen::Index i = 0; i < m; ++i) {
      if (is_active[static_cast<std::size_t>(i)] || row_norm(i) == 0) continue;
      const double s = b(i) - a.row(i).dot(x);
      if (s < -tolerance(i, x) && s / row_norm(i) < worst) worst = s / row_norm(i), q = i;
    }
    if (q < 0) break;
    double u_q = 0;
    while (true) {
      if (++out.iterations > max_iterations) {
        out.why = "no convergence in " + std::to_string(max_iterations) + " active-set changes";
        return out;
      }
      const auto k = static_cast<Eigen::Index>(active.size());
      Eigen::VectorXd z = -p.col(q), r;
      if (k > 0) {
        Eigen::MatrixXd aw(k, n), pw(n, k);
        for (Eigen::Index j = 0; j < k; ++j) aw.row(j) = a.row(active[static_cast<std::size_t>(j)]), pw.col(j) = p.col(active[static_cast<std::size_t>(j)]);
        const Eigen::MatrixXd mw = aw * pw;
        r = mw.ldlt().solve(aw * p.col(q));
        z += pw * r;
      }
      const double rise = -a.row(q).dot(z);         // zᵀn: how fast the row's slack grows along z
      const double scale = a.row(q).dot(p.col(q));  // nᵀH⁻¹n: the same before the projection
      const double slack = b(q) - a.row(q).dot(x);  // < 0 while violated
      const double t_full = rise > 1e-12 * scale ? -slack / rise : kInf;
      double t_drop = kInf;
      Eigen::Index drop = -1;
      for (Eigen::Index j = 0; j < k; ++j)
        if (r(j) > 1e-12 && u[static_cast<std::size_t>(j)] / r(j) < t_drop) t_drop = u[static_cast<std::size_t>(j)] / r(j), drop = j;
      const double t = std::min(t_full, t_drop);
      if (!std::isfinite(t)) {
        out.why = "the constraints cannot all hold";
        return out;
      }
      if (std::isfinite(t_full)) x += t * z;
      for (Eigen::Index j = 0; j < k; ++j) u[static_cast<std::size_t>(j)] -= t * r(j);
      u_q += t;
      if (t_full <= t_drop) {
        active.push_back(q);
        u.push_back(u_q);
        is_active[static_cast<std::size_t>(q)] = 1;
        break;
      }
      is_active[static_cast<std::size_t>(active[static_cast<std::size_t>(drop)])] = 0;
      active.erase(active.begin() + drop);
      u.erase(u.begin() + drop);
      if (b(q) - a.row(q).dot(x) >= -tolerance(q, x)) break;  // a dependent row: satisfied by the partial step
    }
  }
  for (std::size_t j = 0; j < active.size(); ++j) out.multipliers(active[j]) = std::max(0.0, u[j]);
  out.active = std::move(active);
  out.x = std::move(x);
  out.ok = true;
  return out;
}

LeastSquaresResult constrained_levenberg_marquardt(const ResidualFunction& residuals, const Eigen::VectorXd& z0, const Eigen::MatrixXd& g,
                                                   const Eigen::VectorXd& h, const LeastSquaresOptions& options, const Kinks& kinks) {
  LeastSquaresResult out;
  out.z = z0;
  Eigen::VectorXd r, r_try;
  Eigen::MatrixXd j, j_try;
  ++out.evaluations;
  if (!residuals(out.z, r, &j)) {
    out.ssr = kInf;
    out.status = "failed: the residuals cannot be evaluated at the start";
    return out;
  }
  out.ssr = r.squaredNorm();
  const Eigen::Index n = z0.size(), mg = g.rows(), mk = kinks.rows.rows();
  if (n == 0) {
    out.status = "converged";
    return out;
  }
  Eigen::MatrixXd jtj = j.transpose() * j;
  Eigen::VectorXd grad = j.transpose() * r;
  Eigen::VectorXd scale = jtj.diagonal();  // Moré: the largest diagonal met so far
  double mu = 1e-3, nu = 2;
  auto damping = [&] {
    const double floor = options.damping_floor * std::max(scale.maxCoeff(), 1e-300);
    return scale.cwiseMax(floor);
  };
  // the rows of the step's QP: the inequalities, then each kink held on its current side
  Eigen::MatrixXd a(mg + mk, n);
  if (mg > 0) a.topRows(mg) = g;
  Eigen::VectorXd b(mg + mk), values(mk);
  std::vector<double> flipped_at(static_cast<std::size_t>(mk), kInf);  // the SSR at a kink's last crossing
  auto sides = [&] {
    if (mk == 0) return;
    kinks.values(out.z, values);
    for (Eigen::Index i = 0; i < mk; ++i) {
      const double side = values(i) >= 0 ? 1.0 : -1.0;  // as the residuals take the slope at 0
      a.row(mg + i) = -side * kinks.rows.row(i);
      b(mg + i) = side * values(i);
    }
  };
  // At a stationary point of the current pieces, the kinks on which the step's multipliers
  // are positive ask to be crossed: z moves just past all of them at once (crossing one at
  // a time fails where the way down lies past two), to where the residuals give the other
  // pieces' slopes. A kink is crossed again only after the SSR has fallen since.
  QpSolution step;
  auto cross_kinks = [&]() -> bool {
    if (mk == 0 || !step.ok) return false;
    kinks.values(out.z, values);  // z may have moved since the step's QP (an accepted step)
    std::vector<Eigen::Index> pressing;
    for (Eigen::Index i = 0; i < mk; ++i) {
      const double u = step.multipliers(mg + i), norm = kinks.rows.row(i).norm();
      if (!(norm > 0) || std::abs(values(i)) > 1e-9 * (1 + norm * out.z.norm())) continue;  // not on it
      if (!(out.ssr < flipped_at[static_cast<std::size_t>(i)] * (1 - options.relative_tolerance))) continue;
      if (u * norm > 1e-9 * (1 + grad.norm())) pressing.push_back(i);
    }
    if (pressing.empty()) return false;
    const auto np = static_cast<Eigen::Index>(pressing.size());
    Eigen::MatrixXd k(np, n);
    Eigen::VectorXd target(np);
    for (Eigen::Index q = 0; q < np; ++q) {
      const Eigen::Index i = pressing[static_cast<std::size_t>(q)];
      const double side = values(i) >= 0 ? 1.0 : -1.0, norm = kinks.rows.row(i).norm();
      k.row(q) = kinks.rows.row(i);
      target(q) = -side * 1e-9 * (1 + norm * out.z.norm()) - values(i);  // just past it
    }
    const Eigen::VectorXd z_try = out.z + Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>(k).solve(target);  // the least move
    if (mg > 0 && ((g * z_try - h).array() > 1e-9 * (1 + h.cwiseAbs().maxCoeff())).any()) return false;
    ++out.evaluations;
    if (!residuals(z_try, r_try, &j_try)) return false;
    for (Eigen::Index i : pressing) flipped_at[static_cast<std::size_t>(i)] = out.ssr;
    out.z = z_try;
    out.ssr = r_try.squaredNorm();
    r.swap(r_try);
    j.swap(j_try);
    jtj = j.transpose() * j;
    grad = j.transpose() * r;
    scale = scale.cwiseMax(jtj.diagonal());
    mu = std::max(mu * 1e-3, 1e-3), nu = 2;
    out.kinks_crossed += static_cast<int>(np);
    return true;
  };
  std::vector<double> history{out.ssr};  // |r|² after each accepted step
  std::vector<int> crossed{0};           // and the kinks crossed by then
  out.status = "max evaluations";
  while (out.evaluations < options.max_evaluations) {
    if (out.ssr == 0) {
      out.status = "converged (zero residual)";
      break;
    }
    Eigen::MatrixXd hq = jtj;
    hq.diagonal() += mu * damping();
    if (mg > 0) b.head(mg) = h - g * out.z;
    sides();
    step = solve_convex_qp(hq, grad, a, b);
    if (!step.ok) {
      mu *= nu, nu *= 2;
      if (mu > 1e20) {
        out.status = "failed: no step (" + step.why + ")";
        break;
      }
      continue;
    }
    // the QP meets its rows to a relative 1e-10; those misses would add up over hundreds
    // of steps, and near the end of a ratio-scaled exchange flux (y → 1) a miss of 1e-7 in
    // z is a bound broken by 0.01 in flux units: a step that would leave a row more than
    // 1e-9·(1 + |h|) past its bound is shortened to end there
    Eigen::VectorXd d = step.x;
    if (mg > 0) {
      const Eigen::VectorXd rise = g * d, room = h - g * out.z;
      double t = 1;
      for (Eigen::Index i = 0; i < mg; ++i) {
        const double allowed = std::max(0.0, room(i)) + 1e-9 * (1 + std::abs(h(i)));
        if (rise(i) * t > allowed) t = allowed / rise(i);
      }
      d *= t;
    }
    const double predicted = -(2 * grad.dot(d) + d.dot(jtj * d));  // the linear model's fall in |r|²
    if (d.norm() <= options.step_tolerance * (out.z.norm() + options.step_tolerance) || !(predicted > 0)) {
      if (cross_kinks()) continue;
      out.status = predicted > 0 ? "converged (xtol)" : "converged (no predicted descent)";
      break;
    }
    const Eigen::VectorXd z_try = out.z + d;
    ++out.evaluations;
    // the residuals first, their Jacobian only for a step that is taken: a rejected step
    // then costs one simulation, not the sensitivities (a time course's are 60 times that)
    const bool ok = residuals(z_try, r_try, nullptr);
    const double ssr_try = ok ? r_try.squaredNorm() : kInf;
    const double rho = ok ? (out.ssr - ssr_try) / predicted : -kInf;
    if (rho > 1e-4 && !residuals(z_try, r_try, &j_try)) {  // the same point again, with its Jacobian
      out.status = "failed: the residuals' Jacobian cannot be computed at an accepted step";
      break;
    }
    if (rho > 1e-4) {
      const double fall = out.ssr - ssr_try, before = out.ssr;
      out.z = z_try;
      out.ssr = ssr_try;
      r.swap(r_try);
      j.swap(j_try);
      jtj = j.transpose() * j;
      grad = j.transpose() * r;
      scale = scale.cwiseMax(jtj.diagonal());
      ++out.iterations;
      mu *= std::max(1.0 / 3, 1 - std::pow(2 * rho - 1, 3));
      nu = 2;
      if (fall <= options.relative_tolerance * before && predicted <= options.relative_tolerance * before) {
        if (cross_kinks()) continue;
        out.status = "converged (ftol)";
        break;
      }
      // stagnation: 20 accepted steps that together lowered |r|² by less than 1e-4 of it
      // (+ 1e-3, far below any χ² difference that matters); a flat valley between the
      // kinks is otherwise followed for thousands of steps. Kinks are crossed only when
      // none was in those steps: a path that zigzags across them (on Park 2016, six kinks a
      // step for 1,500 steps, 0.0002 of SSR each) has met its minimum to that tolerance
      history.push_back(out.ssr);
      crossed.push_back(out.kinks_crossed);
      if (history.size() > 20) {
        const std::size_t back = history.size() - 21;
        const double fall20 = history[back] - out.ssr;
        if (fall20 <= 1e-4 * out.ssr + 1e-3) {
          if (crossed[back] == out.kinks_crossed && cross_kinks()) continue;
          out.status = "converged (stagnated)";
          break;
        }
      }
    } else {
      mu *= nu, nu *= 2;
      if (mu > 1e20) {
        if (cross_kinks()) continue;
        out.status = "converged (no step lowers the SSR)";
        break;
      }
    }
  }
  return out;
}

}  // namespace fluxion::mfa
