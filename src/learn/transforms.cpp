#include "fluxion/learn/transforms.hpp"

#include <algorithm>
#include <cmath>

namespace fluxion::learn {

double net_to_output(double v) {
  if (v < kNetJoint) return 1.0 / (1.0 + std::exp(-v));
  return std::log(v) / std::log(4.0);
}

double output_to_net(double y) {
  if (std::isnan(y)) return y;
  // the joint is where the forward branches meet: 1/(1+e^-3.89048) = log4(3.89048)
  static const double joint = 1.0 / (1.0 + std::exp(-kNetJoint));
  if (y >= joint) return std::pow(4.0, y);
  const double c = std::clamp(y, kLogitClamp, 1.0 - kLogitClamp);
  return std::log(c / (1.0 - c));
}

double exchange_to_output(double x) {
  if (std::isnan(x)) return x;
  if (x < 0) return -5.0;
  if (x < 1e-4) return 1e4 * x - 5.0;
  return std::log10(x);
}

double output_to_exchange(double y) {
  if (std::isnan(y)) return y;
  if (y > -4.0) return std::pow(10.0, y);
  if (y > -5.0) return (y + 5.0) / 1e4;
  return 0.0;
}

}  // namespace fluxion::learn
