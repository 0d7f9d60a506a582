// ODE integration in torch operations, for the neural-ODE decoders of the dynamics models
// (NODEP, SNODEP, Latent ODE): gradients flow through every step of the solver (no adjoint).
//
// dopri5: the adaptive Dormand–Prince 5(4) pair with first-same-as-last, the step accepted
// when the RMS over every element of the (batched) state of err / (atol + rtol·max(|y0|,|y1|))
// is ≤ 1, so one step size serves the whole batch; the next step is
// h·min(10, max(0.9·ratio^(−1/5), 0.2 after a rejection, 1 after an acceptance)); the first
// step by Hairer's heuristic. Outputs at the requested times come from the 4th-order dense
// interpolant (the Dormand–Prince mid-point), not from stepping onto them — the settings of
// torchdiffeq that SNODEP's published numbers were made with (rtol 1e-7, atol 1e-9).
// Step-size control runs outside autograd (plain doubles); the state stays in the graph.
//
// rk4 and euler: fixed steps of `step`, the last step before each requested time shortened to
// land on it exactly.
//
// Times are doubles, strictly monotone (increasing or decreasing), the first being y0's.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::dynamics {

// dy/dt at time t; returns a tensor shaped like y.
using OdeFunction = std::function<torch::Tensor(double t, const torch::Tensor& y)>;

enum class OdeMethod { dopri5, rk4, euler };
const char* to_string(OdeMethod m);

struct OdeOptions {
  OdeMethod method = OdeMethod::dopri5;
  double rtol = 1e-7;        // dopri5: relative tolerance, > 0
  double atol = 1e-9;        // dopri5: absolute tolerance, > 0
  double step = 0.05;        // rk4, euler: the step, in the units of t, > 0
  double first_step = 0;     // dopri5: the first step (0: Hairer's heuristic)
  long max_steps = 100000;   // attempted steps at most, over the whole interval
  std::vector<Diagnostic> validate() const;
};

struct OdeStats {
  long evaluations = 0;  // calls of the right-hand side
  long accepted = 0;     // steps taken
  long rejected = 0;     // dopri5 steps tried again smaller
  bool ok = true;        // false: stopped early (step limit, step too small, non-finite error)
  std::string message;   // why it stopped early; "" when ok
};

struct OdeSolution {
  torch::Tensor ys;  // [n_times, y0's shape...]; times after an early stop are NaN
  OdeStats stats;
};

// Integrates dy/dt = f(t, y) from y(times[0]) = y0 and returns y at every time.
// Bad options or times are errors (the field and the value); a solver that cannot go on
// returns what it has with stats.ok = false.
Result<OdeSolution> odeint(const OdeFunction& f, const torch::Tensor& y0, const std::vector<double>& times, const OdeOptions& options = {});

}  // namespace fluxion::dynamics
