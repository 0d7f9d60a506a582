// ML-Flux's output transforms: what the flux network predicts instead of raw fluxes.
//
// Net flux v:      y = 1 / (1 + e^-v)          for v < 3.89048 (logistic)
//                  y = log4(v)                 otherwise          (both ≈ 0.97997 at the joint)
// Exchange x ≥ 0:  y = log10(x)                for x ≥ 1e-4
//                  y = 1e4·x − 5               for 0 ≤ x < 1e-4   (−5 … −4, linear)
//                  y = −5                      for x < 0
// The inverses are defined for every real y, so any network output maps to a finite flux:
// the reference implementation evaluates its branches so that y ≤ 0 gives NaN or −∞ for
// net fluxes; here y is clamped into (ε, 1−ε) on the logistic branch instead, and exchange
// outputs at or below −5 are 0. Net fluxes below logit(ε) ≈ −27.6 come back as −27.6
// (the logistic is saturated there; far beyond what float32 networks resolve anyway).
#pragma once

namespace fluxion::learn {

inline constexpr double kNetJoint = 3.89048;       // v where the logistic and log4 branches meet
inline constexpr double kNetJointY = 0.979973;     // y at the joint (both branches)
inline constexpr double kLogitClamp = 1e-12;       // ε

double net_to_output(double v);
double output_to_net(double y);
double exchange_to_output(double x);
double output_to_exchange(double y);

}  // namespace fluxion::learn
