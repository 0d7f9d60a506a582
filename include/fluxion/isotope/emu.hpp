// EMU simulation of isotope labelling at metabolic and isotopic steady state.
//
// An EMU (elementary metabolite unit; Antoniewicz, Kelleher & Stephanopoulos 2007) is a
// subset of the atoms of one element of a metabolite; its state is its mass isotopomer
// distribution (MID): the fractions of molecules with 0, 1, ... heavy atoms in the subset.
// Starting from the measured metabolites, EmuModel::compile walks the atom transitions
// backwards and keeps only the EMUs the measured MIDs depend on. EMUs of size n of
// balanced metabolites are the unknowns of one linear system
//
//     A_n(v) · X_n = B_n(v) · Y_n
//
// where Y_n holds substrate EMUs and convolutions of smaller, already solved EMUs. The
// structure of every level is built once per model: its rows are ordered into strongly
// connected blocks (A_n is block lower triangular in that order) and, within a block, by
// approximate minimum degree (AMD); the LU pattern and the elimination sequence are
// computed then, without pivoting, which A_n's diagonal dominance allows. Each flux vector
// costs one numeric factorisation per level along that fixed sequence, and every tracer
// experiment of that flux vector is one more block of right-hand sides. M+0 of each EMU
// is not solved for: it is 1 minus the other fractions.
//
// One EmuModel per traced element: a 13C network from the carbon atom maps, a 2H
// network from the hydrogen maps. Symmetric metabolites (Metabolite::symmetric) are
// produced by both of their atom orders at half the flux each.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::isotope {

// Natural abundance of the heavy isotope of each traced element (AccuCor's constants):
// 13C 1.07%, 2H 0.0115%, 15N 0.364%, 18O 0.205%.
double natural_heavy_abundance(Element e);

struct EmuOptions {
  Element element = Element::C;       // the traced element
  std::vector<std::string> measured;  // metabolites or fragments ("Ala[2,3]") whose MIDs are
                                      // simulated, in output order; empty = Model::measured (those
                                      // with atoms of the element), or every balanced metabolite
                                      // with such atoms

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

// How substrate (input pool) MIDs are made from a tracer experiment.
struct SubstrateLabelling {
  // Natural abundance of the traced element at the unlabelled atoms of these substrates
  // (labelled species and the unlabelled remainder alike). FreeFlux does this for every
  // substrate; ML-Flux and mfapy (by default) for none. "*" = every substrate.
  std::vector<std::string> natural_abundance;
};

// Substrate MIDs of a set of experiments, ready for simulation (EmuModel::inputs makes
// them; each MID sums to 1, which the simulation relies on).
struct EmuInputs {
  int n_experiments = 0;
  std::vector<double> values;  // [experiment][substrate EMU][isotopologue], packed
};

// Simulated MIDs: for each experiment, each measured metabolite's MID (0..n heavy atoms).
struct MidSet {
  int n_experiments = 0;
  std::vector<std::size_t> offsets;  // per measured metabolite, into one experiment's block
  std::size_t block = 0;             // values per experiment
  std::vector<double> values;        // [experiment][measured][isotopologue]

  std::span<const double> mid(int experiment, std::size_t measured) const {
    const std::size_t begin = static_cast<std::size_t>(experiment) * block + offsets[measured];
    const std::size_t end = measured + 1 < offsets.size() ? offsets[measured + 1] : block;
    return {values.data() + begin, end - offsets[measured]};
  }
};

enum class SimulationStatus {
  ok,
  singular,  // a level system is singular: metabolites that exchange atoms only among themselves
  step_limit,  // simulate_instationary: the tolerance needed more steps than allowed
};

class EmuModel {
 public:
  static Result<EmuModel> compile(const Model& model, const FluxSpace& space, const EmuOptions& options = {});

  Element element() const;
  const std::vector<std::size_t>& measured() const;  // metabolite of each output, in order
  std::vector<std::string> measured_ids() const;      // the outputs as named: "Glu", "Ala[2,3]"
  std::vector<int> measured_atoms() const;            // traced atoms of each output (its MID has one more entry)
  std::size_t n_emus() const;        // EMUs of balanced metabolites (the unknowns)
  std::size_t n_substrate_emus() const;
  int max_size() const;              // largest EMU size
  std::vector<std::size_t> level_sizes() const;  // unknowns per EMU size 1..max_size
  // Metabolites (Model::metabolites indices, ascending) with simulated EMUs: the pools whose
  // sizes a non-stationary simulation uses, and the pool columns of its Jacobian.
  std::vector<std::size_t> pool_metabolites() const;
  // Substrate MIDs for these experiments; errors when a tracer does not fit the model.
  Result<EmuInputs> inputs(const std::vector<TracerExperiment>& experiments,
                           const SubstrateLabelling& labelling = {}) const;

  struct Impl;

 private:
  friend class EmuSimulator;
  std::shared_ptr<const Impl> impl_;
};

// Isotopically non-stationary labelling (INST): with metabolite pool sizes C, each
// level's EMUs follow the linear ODE
//
//     C · dX/dt = A(v) · X + B(v) · Y(t)
//
// from the unlabelled state at t = 0, when the tracer substrates (constant after that:
// a step) replace the unlabelled ones. It is integrated with the two-stage, L-stable,
// stiffly accurate SDIRK method of order 2 (Alexander 1977, γ = 1 − 1/√2), whose stages run
// level by level (a level's inputs Y are its smaller EMUs at the same stage), on the
// steady-state engine's factor pattern: each stage solves (A − C/(γh)) · X = … . Between
// output times the step count doubles until two step sizes agree within the tolerance, and
// the finer result is extrapolated (Richardson).
struct InstationaryOptions {
  std::vector<double> times;     // output times, ascending, >= 0 (0: the unlabelled start)
  double tolerance = 1e-5;       // on every MID fraction at the output times (met with a wide margin: docs/benchmarks.md)
  bool natural_abundance = false;  // the unlabelled start at natural abundance (else all M+0)
  long max_steps = 10'000'000;   // per output interval, at the finest trial
  long steps = 0;                // > 0: exactly this many steps (and twice as many) per interval, no tolerance (tests)
  // which pools of EmuModel::pool_metabolites() get Jacobian columns, in that order (empty: all)
  std::vector<bool> pool_sensitivities;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

// Simulates an EmuModel; holds the factorisations and buffers of one thread.
class EmuSimulator {
 public:
  explicit EmuSimulator(const EmuModel& model);
  ~EmuSimulator();
  EmuSimulator(EmuSimulator&&) noexcept;
  EmuSimulator& operator=(EmuSimulator&&) noexcept;

  // MIDs of the measured metabolites for fluxes `v` (net and exchange per column of the
  // FluxSpace the model was compiled with) and every experiment in `inputs`. With
  // `jacobian`, also their derivatives with respect to the free parameters of that
  // FluxSpace (free net fluxes, then exchange fluxes), computed through the cascade
  // with the same factorisations: [n_experiments · MidSet::block × n_free], rows in the
  // order of MidSet::values. Where a net flux is exactly 0 the derivative is the one of
  // the forward direction (the one-way fluxes have a kink there).
  SimulationStatus simulate(const FluxVector& v, const EmuInputs& inputs, MidSet& out,
                            Eigen::MatrixXd* jacobian = nullptr);
  // INST labelling at options.times: one MidSet per time. `pools`: pool size of every
  // model metabolite (Model::metabolites order; > 0 for each metabolite with simulated
  // EMUs, others ignored), in the flux units × time. With `jacobians`, also per time the
  // derivatives of the MIDs (rows as simulate()'s) with respect to the free parameters of
  // the FluxSpace, then the pool sizes of EmuModel::pool_metabolites() (those that
  // options.pool_sensitivities selects): the exact
  // derivatives of the computed solution (forward sensitivities through every stage, with
  // the same factors). Throws std::invalid_argument on inputs of another model or invalid
  // options/pools; `singular` as simulate().
  SimulationStatus simulate_instationary(const FluxVector& v, std::span<const double> pools, const EmuInputs& inputs,
                                         const InstationaryOptions& options, std::vector<MidSet>& out,
                                         std::vector<Eigen::MatrixXd>* jacobians = nullptr);
  // After a failed simulate(): which metabolite made the system singular.
  const std::string& message() const;

  struct Work;  // factorisations and buffers (opaque)

 private:
  std::unique_ptr<Work> work_;
};

}  // namespace fluxion::isotope
