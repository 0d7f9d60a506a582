// The built-in toy ("simple", six tracers of molA) ready for fit tests: its model, flux
// space, tracer experiments, flux polytope (its bounds and `extra` constraints), EMU model
// with the tracers' inputs, and flux points drawn in the polytope (ACHR, one seed).
#pragma once

#include <optional>
#include <vector>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/sampling/samplers.hpp"

namespace fluxion::testing_support {

struct SimpleNetwork {
  Model model;
  std::optional<FluxSpace> space;
  std::optional<sampling::FluxPolytope> polytope;
  std::vector<isotope::TracerExperiment> experiments;
  std::optional<isotope::EmuModel> emu;
  std::optional<isotope::EmuInputs> inputs;
  std::vector<Eigen::VectorXd> points;  // drawn in the polytope

  // False when a step fails (the built-in files are part of the build, so it should not).
  bool load(unsigned seed, int n_points, const std::vector<LinearConstraint>& extra = {}) {
    auto m = io::load_model("simple");
    auto tracers = io::load_tracer_table("simple");
    if (!m.ok() || !tracers.ok()) return false;
    model = m.value();
    auto fs = FluxSpace::build(model);
    if (!fs.ok()) return false;
    space = fs.value();
    experiments = tracers.value().experiments;
    auto poly = sampling::FluxPolytope::build(model, *space, extra);
    if (!poly.ok()) return false;
    polytope = poly.value();
    sampling::AchrOptions ao;
    ao.seed = seed;
    auto sampler = sampling::AchrSampler::create(*polytope, ao);
    if (!sampler.ok()) return false;
    for (int k = 0; k < n_points; ++k) points.push_back(sampler.value().next());
    auto e = isotope::EmuModel::compile(model, *space);
    if (!e.ok()) return false;
    emu = e.value();
    auto in = emu->inputs(experiments);
    if (!in.ok()) return false;
    inputs = in.value();
    return true;
  }
};

}  // namespace fluxion::testing_support
