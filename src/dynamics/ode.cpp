#include "ode.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace fluxion::dynamics {

const char* to_string(OdeMethod m) {
  switch (m) {
    case OdeMethod::dopri5: return "dopri5";
    case OdeMethod::rk4: return "rk4";
    case OdeMethod::euler: return "euler";
  }
  return "?";
}

std::vector<Diagnostic> OdeOptions::validate() const {
  Diagnostics d("ODE options");
  auto positive = [&](double v, const char* name) {
    if (!(v > 0) || !std::isfinite(v)) d.error(std::string(name) + " = " + std::to_string(v) + " must be a positive number", 0, 0, name);
  };
  if (method == OdeMethod::dopri5) {
    positive(rtol, "rtol");
    positive(atol, "atol");
    if (first_step < 0 || !std::isfinite(first_step)) d.error("first_step must be 0 (automatic) or positive", 0, 0, "first_step");
  } else {
    positive(step, "step");
  }
  if (max_steps < 1) d.error("max_steps must be at least 1", 0, 0, "max_steps");
  return d.items();
}

namespace {

// Dormand–Prince 5(4) tableau
constexpr double kC[7] = {0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1, 1};
constexpr double kA[7][6] = {{},
                             {1.0 / 5},
                             {3.0 / 40, 9.0 / 40},
                             {44.0 / 45, -56.0 / 15, 32.0 / 9},
                             {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
                             {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
                             {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
// 5th-order weights minus the embedded 4th-order ones
constexpr double kE[7] = {35.0 / 384 - 5179.0 / 57600, 0, 500.0 / 1113 - 7571.0 / 16695, 125.0 / 192 - 393.0 / 640,
                          -2187.0 / 6784 + 92097.0 / 339200, 11.0 / 84 - 187.0 / 2100, -1.0 / 40};
// y at the step's mid-point: y0 + h·Σ c_mid·k (Shampine's dense output for this pair)
constexpr double kMid[7] = {6025192743.0 / 30085553152.0 / 2, 0, 51252292925.0 / 65400821598.0 / 2, -2691868925.0 / 45128329728.0 / 2,
                            187940372067.0 / 1594534317056.0 / 2, -1776094331.0 / 19743644256.0 / 2, 11237099.0 / 235043384.0 / 2};

double rms(const torch::Tensor& t) { return std::sqrt(t.to(torch::kFloat64).pow(2).mean().item<double>()); }

// A quartic through y0, y1, the slopes h·f0, h·f1 and the mid-point: y(x) for x in [0, 1].
struct Interpolant {
  torch::Tensor a, b, c, d, e;
  Interpolant(const torch::Tensor& y0, const torch::Tensor& y1, const torch::Tensor& ymid, const torch::Tensor& f0, const torch::Tensor& f1, double h)
      : a(2 * h * (f1 - f0) - 8 * (y1 + y0) + 16 * ymid),
        b(h * (5 * f0 - 3 * f1) + 18 * y0 + 14 * y1 - 32 * ymid),
        c(h * (f1 - 4 * f0) - 11 * y0 - 5 * y1 + 16 * ymid),
        d(h * f0),
        e(y0) {}
  torch::Tensor at(double x) const { return e + x * (d + x * (c + x * (b + x * a))); }
};

class Solver {
 public:
  Solver(const OdeFunction& f, double direction, OdeStats& stats) : f_(f), s_(direction), stats_(stats) {}
  // the right-hand side in u = s·t, where u increases
  torch::Tensor rhs(double u, const torch::Tensor& y) {
    ++stats_.evaluations;
    torch::Tensor dy = f_(s_ * u, y);
    return s_ > 0 ? dy : -dy;
  }

 private:
  const OdeFunction& f_;
  double s_;
  OdeStats& stats_;
};

void fail(OdeStats& stats, const std::string& why) {
  stats.ok = false;
  stats.message = why;
}

torch::Tensor stack_outputs(std::vector<torch::Tensor>& out, const torch::Tensor& y0, std::size_t n) {
  while (out.size() < n) out.push_back(torch::full_like(y0, std::numeric_limits<double>::quiet_NaN()));
  return torch::stack(out);
}

OdeSolution dopri5(Solver& rhs, const torch::Tensor& y0, const std::vector<double>& u, const OdeOptions& o, OdeStats& stats) {
  std::vector<torch::Tensor> out{y0};
  double t = u[0];
  torch::Tensor y = y0, f0 = rhs.rhs(t, y0);
  auto scale_of = [&](const torch::Tensor& a, const torch::Tensor& b) { return o.atol + o.rtol * torch::max(a.abs(), b.abs()); };
  double h = o.first_step;
  if (h <= 0) {  // Hairer, Nørsett & Wanner's starting step, order 4
    torch::NoGradGuard no_grad;
    const torch::Tensor scale = o.atol + y0.abs() * o.rtol;
    const double d0 = rms(y0 / scale), d1 = rms(f0 / scale);
    const double h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    const torch::Tensor f1 = rhs.rhs(t + h0, y0 + h0 * f0);
    const double d2 = rms((f1 - f0) / scale) / h0;
    const double h1 = std::max(d1, d2) <= 1e-15 ? std::max(1e-6, h0 * 1e-3) : std::pow(0.01 / std::max(d1, d2), 1.0 / 5);
    h = std::min(100 * h0, h1);
  }
  std::optional<Interpolant> last;
  double t_prev = t;
  long attempts = 0;
  for (std::size_t i = 1; i < u.size(); ++i) {
    while (u[i] > t) {
      if (++attempts > o.max_steps) {
        fail(stats, "more than " + std::to_string(o.max_steps) + " steps (max_steps) before t = " + std::to_string(u[i]));
        return {stack_outputs(out, y0, u.size()), stats};
      }
      if (!(h > std::abs(t) * 1e-14 + 1e-300)) {
        fail(stats, "the step became too small at t = " + std::to_string(t) + " (a stiff or singular system)");
        return {stack_outputs(out, y0, u.size()), stats};
      }
      torch::Tensor k[7], y1;
      k[0] = f0;
      for (int s = 1; s < 7; ++s) {
        torch::Tensor ys = y;
        for (int j = 0; j < s; ++j)
          if (kA[s][j] != 0) ys = ys + (h * kA[s][j]) * k[j];
        if (s == 6) y1 = ys;  // the 5th-order solution; its slope is the next step's first (FSAL)
        k[s] = rhs.rhs(t + kC[s] * h, ys);
      }
      double ratio;
      {
        torch::NoGradGuard no_grad;
        torch::Tensor err = torch::zeros_like(y);
        for (int j = 0; j < 7; ++j)
          if (kE[j] != 0) err = err + (h * kE[j]) * k[j];
        ratio = rms(err / scale_of(y, y1));
      }
      if (!std::isfinite(ratio)) {
        fail(stats, "the error estimate is not finite at t = " + std::to_string(t) + " (the right-hand side returned NaN or infinity)");
        return {stack_outputs(out, y0, u.size()), stats};
      }
      const bool accept = ratio <= 1;
      const double factor = ratio == 0 ? 10.0 : std::min(10.0, std::max(0.9 * std::pow(ratio, -1.0 / 5), accept ? 1.0 : 0.2));
      if (accept) {
        ++stats.accepted;
        torch::Tensor ymid = y;
        for (int j = 0; j < 7; ++j)
          if (kMid[j] != 0) ymid = ymid + (h * kMid[j]) * k[j];
        last.emplace(y, y1, ymid, f0, k[6], h);
        t_prev = t;
        t = t + h;
        y = y1;
        f0 = k[6];
      } else {
        ++stats.rejected;
      }
      h *= factor;
    }
    out.push_back(u[i] == t ? y : last->at((u[i] - t_prev) / (t - t_prev)));
  }
  return {torch::stack(out), stats};
}

OdeSolution fixed_step(Solver& rhs, const torch::Tensor& y0, const std::vector<double>& u, const OdeOptions& o, OdeStats& stats) {
  std::vector<torch::Tensor> out{y0};
  double t = u[0];
  torch::Tensor y = y0;
  long steps = 0;
  for (std::size_t i = 1; i < u.size(); ++i) {
    while (t < u[i]) {
      if (++steps > o.max_steps) {
        fail(stats, "more than " + std::to_string(o.max_steps) + " steps (max_steps); make the step larger");
        return {stack_outputs(out, y0, u.size()), stats};
      }
      // the last step before an output time lands on it (within a hair: no sliver step)
      const double h = u[i] - t <= o.step * (1 + 1e-9) ? u[i] - t : o.step;
      if (o.method == OdeMethod::euler) {
        y = y + h * rhs.rhs(t, y);
      } else {
        const torch::Tensor k1 = rhs.rhs(t, y), k2 = rhs.rhs(t + h / 2, y + (h / 2) * k1), k3 = rhs.rhs(t + h / 2, y + (h / 2) * k2),
                            k4 = rhs.rhs(t + h, y + h * k3);
        y = y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
      }
      t = (u[i] - t == h) ? u[i] : t + h;
      ++stats.accepted;
    }
    out.push_back(y);
  }
  return {torch::stack(out), stats};
}

}  // namespace

Result<OdeSolution> odeint(const OdeFunction& f, const torch::Tensor& y0, const std::vector<double>& times, const OdeOptions& options) {
  Diagnostics d("odeint");
  d.append(options.validate());
  if (times.empty()) d.error("no times: give at least the initial time", 0, 0, "times");
  for (double t : times)
    if (!std::isfinite(t)) d.error("a time is not finite", 0, 0, "times");
  double direction = 1;
  if (times.size() >= 2) {
    direction = times[1] > times[0] ? 1.0 : -1.0;
    for (std::size_t i = 1; i < times.size(); ++i)
      if (!((times[i] - times[i - 1]) * direction > 0)) {
        d.error("times must be strictly increasing or strictly decreasing (times[" + std::to_string(i - 1) + "] = " + std::to_string(times[i - 1]) +
                    ", times[" + std::to_string(i) + "] = " + std::to_string(times[i]) + ")",
                0, 0, "times");
        break;
      }
  }
  if (!y0.defined() || !y0.is_floating_point()) d.error("the initial state must be a floating-point tensor", 0, 0, "y0");
  if (d.has_errors()) return Result<OdeSolution>::failure(d);
  std::vector<double> u(times.size());
  for (std::size_t i = 0; i < times.size(); ++i) u[i] = direction * times[i];
  OdeStats stats;
  Solver rhs(f, direction, stats);
  OdeSolution s = options.method == OdeMethod::dopri5 ? dopri5(rhs, y0, u, options, stats) : fixed_step(rhs, y0, u, options, stats);
  s.stats = stats;
  return Result<OdeSolution>::success(std::move(s));
}

}  // namespace fluxion::dynamics
