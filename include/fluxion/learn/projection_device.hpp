// FBApro projections applied on a LibTorch device: the paper's recommendation (set up on
// the CPU, apply in batches on a GPU). Same operator, same float64 arithmetic as
// Projector::apply; on CUDA the factors are copied to the device once per call.
#pragma once

#include <Eigen/Dense>
#include <string>

#include "fluxion/cbm/projection.hpp"
#include "fluxion/core/diagnostics.hpp"

namespace fluxion::learn {

// `device`: "cpu" or "cuda" (an error when LibTorch has no GPU).
Result<Eigen::MatrixXd> apply_projection_on(const cbm::Projector& projector, const Eigen::MatrixXd& references,
                                            const std::string& device);

}  // namespace fluxion::learn
