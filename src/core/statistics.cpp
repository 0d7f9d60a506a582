#include "fluxion/core/statistics.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <limits>

namespace fluxion {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double chi_squared_critical(double dof, double alpha) {
  if (!(dof > 0)) return kNaN;
  return boost::math::quantile(boost::math::complement(boost::math::chi_squared(dof), alpha));
}

double chi_squared_upper_tail(double x, double dof) {
  if (!(dof > 0) || !(x >= 0)) return kNaN;
  return boost::math::cdf(boost::math::complement(boost::math::chi_squared(dof), x));
}

double chi_squared_quantile(double p, double dof) {
  if (!(dof > 0) || !(p > 0 && p < 1)) return kNaN;
  return boost::math::quantile(boost::math::chi_squared(dof), p);
}

}  // namespace fluxion
