// The output of a least-squares fit as files: fluxes.tsv, residuals.tsv, starts.tsv,
// pools.tsv (time courses), profile.tsv, monte_carlo.tsv and fit.json. `fluxion fit`, the web app's jobs and any
// program that fits write the same tables from the same FitReport.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/mfa/fit.hpp"

namespace fluxion::mfa {

// A fit and the intervals computed around it.
struct FitReport {
  std::string model_id;
  FitResult fit;
  std::vector<ProfileInterval> profile;  // empty: no profile-likelihood intervals
  double profile_seconds = 0;
  std::optional<FitProblem::MonteCarlo> monte_carlo;
  double monte_carlo_seconds = 0;

  // Starts whose SSR is within 1 % of the best one's, or within 0.5 where that is more (a
  // difference of χ² far below 1 means nothing): reached_best in starts.tsv.
  bool near_best(const StartResult& s) const;
  int starts_near_best() const;
  // The lowest SSR that a profile refit met; below the fit's SSR (beyond rounding), the
  // starts missed the optimum.
  double lowest_ssr() const;
  bool profiles_found_lower_ssr() const;
  // Why a profile interval may be too narrow, or "": its end refits did not converge, or
  // (with Monte Carlo) it is narrower than half the Monte-Carlo interval of its flux.
  std::string profile_doubt(const ProfileInterval& p) const;

  // One table each; net_ci95 is the linearised interval net ± 1.96 SE, NA where a flux is
  // not identifiable or a column has no exchange flux.
  std::string fluxes_tsv(const FluxSpace& space) const;
  std::string residuals_tsv() const;
  std::string starts_tsv() const;
  std::string pools_tsv() const;                            // a time course's pool sizes; "" at steady state
  std::string profile_tsv() const;                          // "" without intervals
  std::string monte_carlo_tsv(const FluxSpace& space) const;  // "" without Monte Carlo
  std::string json(const FluxSpace& space) const;          // fit.json: the statistics, fluxes and intervals

  // What a fit says: the χ² test, the starts, the intervals computed, and a note when the
  // profiles met a lower SSR than the fit. One line each.
  std::string summary() const;
  // The fluxes aligned: reaction, net, the 95 % half width (n.i. where not identifiable), exchange.
  std::string table(const FluxSpace& space) const;

  // Every file of the output directory, by name, in the order they are written.
  std::vector<std::pair<std::string, std::string>> files(const FluxSpace& space) const;
  // Writes them into `directory` (made if missing); the paths written.
  Result<std::vector<std::string>> write(const std::string& directory, const FluxSpace& space) const;
};

}  // namespace fluxion::mfa
