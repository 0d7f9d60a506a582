// Flux and metabolite-balance time series from an expression time series, with fluxion's scFEA
// engine (../shared/notes/snodep.md §6), and the knockout experiments of SNODEP's Algorithm 1.
//
// One scFEA estimator is fitted on the cells of all days pooled (always on log2(x + 1) of the
// counts) and maps every day; the paper's S_t notation suggests one fit per day, but a pooled
// fit keeps the days on one scale. A knockout zeroes its genes in every cell and fits again
// ("estimate again"); its series carry, after the module fluxes (or balances), one indicator
// row per expression feature b^g (1 = present, 0 = knocked out), named "present:<gene>".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/dynamics/time_series.hpp"
#include "fluxion/io/scfea_network.hpp"
#include "fluxion/scflux/scfea.hpp"

namespace fluxion::dynamics {

struct FluxSeries {
  TimeSeries flux;     // module fluxes, per day [cells × modules]
  TimeSeries balance;  // metabolite balances, per day [cells × compounds]
  double final_loss = 0;
  std::string normalisation;  // what scFEA applied
};

// `options.normalisation` is forced to log2(x + 1) (the notes' choice; scFEA's automatic rule
// would log some pathways and not others).
Result<FluxSeries> estimate_flux_series(const TimeSeries& expression, const io::ScfeaNetwork& network, scflux::ScfeaOptions options);

struct KnockoutOptions {
  int top_genes = 20;  // k: the most expressed genes (counts pooled over all days) to draw from
  int sets = 5;        // S: knockout configurations
  int max_size = 10;   // genes per configuration: uniform in 1…max_size (≤ top_genes)
  std::uint64_t seed = 2023;
  std::vector<Diagnostic> validate(std::size_t n_genes) const;
};

struct KnockoutSet {
  std::string name;                // ko_1, ko_2, …
  std::vector<std::string> genes;  // knocked out
};

// Algorithm 1's draw: S random subsets of the top-k expressed genes.
Result<std::vector<KnockoutSet>> draw_knockouts(const TimeSeries& expression, const KnockoutOptions& options);

struct KnockoutSeries {
  std::vector<NamedSeries> flux;     // all_genes first, then each set; indicator rows appended
  std::vector<NamedSeries> balance;
};

// Fits scFEA on the unperturbed data and on each knockout; `on_configuration` (optional) is told
// each configuration's index as it starts.
Result<KnockoutSeries> knockout_series(const TimeSeries& expression, const io::ScfeaNetwork& network, const std::vector<KnockoutSet>& sets,
                                       const scflux::ScfeaOptions& options, const std::function<void(std::size_t)>& on_configuration = {});

// `fluxion dynamics scfea`: scFEA on a time series, and optionally on knockouts of it.
struct SeriesFluxOptions {
  int epochs = 100;
  double learning_rate = 0.008;
  std::uint64_t seed = 16;
  int threads = 0;
  KnockoutOptions knockouts{20, 0, 10, 2023};  // sets = 0: no knockouts
  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
  scflux::ScfeaOptions scfea() const;
  static const OptionTable<SeriesFluxOptions>& table();
};

// The result as files: per-day tables under flux/ and balance/ (with knockouts, per
// configuration under flux_knockout/ and balance_knockout/, and knockouts.csv).
struct SeriesFluxRun {
  std::vector<NamedSeries> series;  // the directory under the output, and its tables
  std::vector<std::pair<std::string, std::string>> files;
  std::string summary;  // one line, for the terminal
  std::vector<std::pair<std::string, std::string>> settings;  // for run_info.json
  Result<std::vector<std::string>> write(const std::string& directory) const;  // the series directories and files written
};
// `on_configuration` as knockout_series's (told 0 … sets as each fit starts).
Result<SeriesFluxRun> run_series_flux(const TimeSeries& expression, const io::ScfeaNetwork& network, const SeriesFluxOptions& options,
                                      const std::function<void(std::size_t)>& on_configuration = {});

}  // namespace fluxion::dynamics
