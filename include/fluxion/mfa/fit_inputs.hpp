// Everything a least-squares fit reads, assembled from the files a user gives: the model
// (with mfapy's pseudo reactions applied), its flux space, the tracer experiments, the
// measured MIDs in any of the formats fluxion reads (its own table, IsoCor's output,
// FreeFlux's MDV table, mfapy's MDV sheet), the constraints (the model's own relations,
// a constraint table, mfapy's status sheet, a bound on open exchange fluxes) and the
// measured fluxes, and the flux polytope they make. `fluxion fit` and any other front end
// call one function:
//
//   mfa::FitInputFiles files{.model = "simple", .mids = "examples/simple/mids.tsv"};
//   auto inputs = mfa::load_fit_inputs(files);
//   auto problem = mfa::FitProblem::create(inputs.value().model, *inputs.value().space, *inputs.value().polytope,
//                                          inputs.value().experiments, inputs.value().mids, inputs.value().measured, options);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fluxion/core/constraints.hpp"
#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/isotope/measured_mids.hpp"
#include "fluxion/mfa/fit.hpp"
#include "fluxion/isotope/tracer.hpp"
#include "fluxion/sampling/polytope.hpp"

namespace fluxion::mfa {

struct FitInputFiles {
  std::string model;             // a built-in model's name or a model file
  std::string experiments;       // tracer table; empty: the model's built-in experiments
  std::string mids;              // fluxion's MID table, IsoCor's output or FreeFlux's MDV table
  // or mfapy's MDV sheets, one per experiment (needs the model as an mfapy file); "FILE@TIME"
  // for a sheet of a time course (mfapy's mdvtimecourse files), several per experiment
  std::vector<std::string> mfapy_mdv;
  std::string mfapy_status;      // mfapy's status sheet: pseudo reactions, fixed and measured fluxes
  // the experiment of a one-experiment format (FreeFlux), and of each mfapy sheet in turn;
  // default: the tracer table's experiments in their order
  std::vector<std::string> mfapy_experiment;
  double mfapy_sd = 0;           // > 0: every measured fraction of the mfapy sheets has this SD (mfapy's set_std(sd, 'absolute'))
  std::string constraints;       // linear constraints between fluxes
  std::string measured_fluxes;   // measured fluxes: fluxion's table or FreeFlux's
  double exchange_max = 1000;    // upper bound of the exchange fluxes the model leaves open
  // time courses: pool sizes (io/pool_table.hpp: fixed, free or measured), and the fixed
  // size of the pools neither the table nor an mfapy status sheet gives (0: none)
  std::string pools;
  double default_pool = 0;
  // time courses: starting sizes of the fitted pools (metabolite, size, other columns
  // ignored: fluxion predict's pools.tsv, the hybrid), clamped into their bounds
  std::string start_pools;

  // Problems a caller can see before reading anything: exactly one of mids and mfapy_mdv,
  // a model, exchange_max > 0. Each names the field.
  std::vector<Diagnostic> validate() const;
  static const OptionTable<FitInputFiles>& table();  // the options a front end offers
};

struct FitInputs {
  Model model;
  std::optional<FluxSpace> space;         // set when loading succeeded
  std::string experiments_source;         // the tracer table's file, or the model's name
  std::vector<isotope::TracerExperiment> experiments;
  isotope::MidTable mids;
  std::string mids_source;                // the file the MIDs came from (the first, when several)
  std::vector<std::string> mids_sources;  // every file the MIDs came from
  std::vector<LinearConstraint> constraints;
  std::vector<MeasuredFlux> measured;
  std::optional<sampling::FluxPolytope> polytope;   // set when loading succeeded
  std::vector<FitPool> pools;             // time courses: the pools given (table, status sheet, default)
  bool time_course() const;               // MIDs with times
};

// Reads and checks everything; warnings (of the model, the experiments, the MIDs) come
// with the result, errors name the file, line and column.
Result<FitInputs> load_fit_inputs(const FitInputFiles& files);

}  // namespace fluxion::mfa
