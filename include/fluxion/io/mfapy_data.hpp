// mfapy's measurement files, read beside its model text (io::read_mfapy):
//
//  - the MDV table (tab-separated, header "Name Spectrum Select MDV Std"), one row per
//    mass isotopomer of a target fragment; Name is a fragment named in the model's
//    //Target_fragments section ("Ala[M-57]" = atoms 1-3 of Ala); Select 0 leaves a row out.
//  - the status sheet (CSV "State,Id,type,value,stdev,lb,ub"): per reaction, reversible
//    pair or metabolite, whether its flux is fixed (= value), measured ('fitting':
//    value ± stdev), free (within [lb, ub]) or pseudo (free; its reactants are not drawn
//    from their pools). Metabolite rows (pool sizes, for INST-MFA) are not used here.
//
// fluxion merges each reversible pair of one-way reactions into one reversible reaction
// named after the pair (see model_io.hpp). A one-way row of a merged pair bounds the
// pair's exchange flux from above (v_fwd = xch + max(0, net) ≥ xch); fixing or measuring
// a one-way flux of a merged pair is an error (fix or measure the pair's net flux).
// Lower bounds in (0, kMfapyPositiveBound] are mfapy's way of keeping one-way fluxes
// positive. They are kept apart, as positivity bounds: on a reaction's net flux, and on a
// merged pair's exchange flux (both one-way fluxes are at least the exchange flux, so
// xch >= lb holds both directions' bounds). mfapy's own sheets contradict some of them with
// fluxes fixed smaller still (Example 2: r51 >= 1e-4 but r51 = r52 = 1e-6 by the formate
// balance), which mfapy's optimiser tolerates: the caller adds those the other constraints
// allow (mfa::fit_inputs, with a warning naming the line of each it cannot).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/core/constraints.hpp"

namespace fluxion::io {

inline constexpr double kMfapyPositiveBound = 0.001;  // mfapy's default_reaction_lb

// The MDV table as MIDs of experiment `experiment`; `model_text` is the mfapy model file
// that names the fragments.
Result<isotope::MidTable> read_mfapy_mdv(std::string_view text, const std::string& source, std::string_view model_text,
                                const std::string& experiment);

struct MfapyStatusRow {
  int line = 0;
  std::string state;  // reaction, reversible, metabolite
  std::string id;
  std::string type;   // fixed, fitting, free, pseudo
  double value = 0, sd = 1, lb = 0, ub = 0;
};

// Parses the status sheet (no model needed). Errors give line and column.
Result<std::vector<MfapyStatusRow>> read_mfapy_status(std::string_view text, const std::string& source);

// Marks the model's pseudo reactions (before its FluxSpace is built); errors for ids
// the model does not have.
Result<bool> apply_mfapy_pseudo(const std::vector<MfapyStatusRow>& rows, const std::string& source, Model& model);

struct MfapyConstraints {
  std::vector<LinearConstraint> constraints;  // fixed fluxes (equalities) and bounds
  std::vector<MeasuredFlux> measured;         // 'fitting' rows
  std::vector<LinearConstraint> positivity;   // mfapy's positivity bounds (above)
  std::vector<int> positivity_lines;          // each one's line in the sheet
};

// The rows as constraints and measured fluxes of `space`.
Result<MfapyConstraints> mfapy_status_constraints(const std::vector<MfapyStatusRow>& rows, const std::string& source,
                                                  std::string_view model_text, const Model& model, const FluxSpace& space);

}  // namespace fluxion::io
