// χ² distribution: the upper quantile (critical value) and the upper tail probability, for
// the goodness-of-fit tests of the fit and of the predictions.
#pragma once

namespace fluxion {

double chi_squared_critical(double dof, double alpha = 0.05);
double chi_squared_upper_tail(double x, double dof);
// The p-quantile (lower tail): the profile-likelihood threshold at confidence p (3.84 at 0.95, 1 dof).
double chi_squared_quantile(double p, double dof);

}  // namespace fluxion
