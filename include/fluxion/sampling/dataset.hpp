// Training datasets: flux sets from a FluxSetSampler, every tracer experiment simulated
// with the EMU engine, written as HDF5 in ML-Flux's layout.
//
// The sampler is one seeded stream of flux sets ("draws"); everything else is a pure
// function of a draw, so a dataset depends only on its settings and seed: not on the
// number of threads, on the number of MPI ranks, or on interruptions. Work is done in
// parts of `part_rows` rows; each finished part is written to
// <dir>/parts/part-NNNNNNNN.bin under a temporary name and renamed, so a killed run
// loses at most the parts in hand. A resumed run replays the sampler stream (sampling
// is cheap next to simulation), skips the parts on disk and simulates the rest. When
// the stream is done, the parts are merged into one HDF5 file (dataset.h5, or one
// shard-R.h5 per MPI rank) and the parts are removed.
//
// HDF5 file (format "fluxion-dataset", version 1; attributes `format`, `version`,
// `manifest` (JSON) on the root group):
//   /mids          rows × layout.size()  float32 (or float64): the input vector of
//                  ML-Flux, index (field·T + experiment)·L + k, MIDs zero-padded to L
//   /free_fluxes   rows × n_free  float64: free net fluxes, then exchange fluxes (then,
//                  in a time course, the drawn pool sizes)
//   /fluxes        rows × (reactions + exchange columns) float64: every net flux, then
//                  every exchange flux (then the drawn pool sizes)
//   /draw          rows  uint64: the draw of the sampler stream each row came from
//   /row           rows  uint64: the row's index in the whole dataset (shards hold
//                  every ranks-th part)
//   /split/train, /split/validation, /split/test  uint64: rows of this file (global
//                  indices) in each subset
// Column names are the `columns` attribute of each 2-D dataset.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/isotope/traced_elements.hpp"
#include "fluxion/sampling/dataset_contents.hpp"
#include "fluxion/sampling/flux_sets.hpp"

namespace fluxion::sampling {

enum class MidPrecision { float32, float64 };

struct DatasetOptions {
  long rows = 0;          // flux sets wanted; 0 = until the sampler's stream ends (its draw budget)
  long part_rows = 1024;  // rows per part: the unit of work, of writing and of resumption
  MidPrecision precision = MidPrecision::float32;
  // > 0: ML-Flux's distance-weighted acceptance (Extended Data Fig. 1): a draw is kept
  // with probability D / D_max, D the mean Euclidean distance of its MID vector to its
  // this-many nearest rows already kept, D_max the largest distance between two kept
  // rows. Sequential in the kept rows: one host only.
  int density_neighbours = 0;
  double validation_fraction = 0.1, test_fraction = 0.1;  // ML-Flux: 0.8 / 0.1 / 0.1
  int compression = 0;     // deflate level of the HDF5 datasets, 0 = none
  std::uint64_t seed = 1;  // split and acceptance draws (the sampler has its own)
  // How the flux sets are made (model hash, tracers, sampler settings...): stored in the
  // manifest and compared when a run is resumed.
  nlohmann::json provenance = nlohmann::json::object();
  // Time courses: MIDs at time_course.times, each row with pool sizes drawn from the
  // row's draw (a pure function of seed and draw), written after the free fluxes and after
  // the full fluxes ("pool:<metabolite>"). pool_metabolites: Model::metabolites index of
  // each of time_course.pools; n_metabolites: the model's metabolite count.
  TimeCourse time_course;
  std::vector<std::size_t> pool_metabolites;
  std::size_t n_metabolites = 0;

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

struct DatasetRun {
  int threads = 1;
  int rank = 0, ranks = 1;  // MPI: this process writes parts p with p % ranks == rank
  bool progress = true;     // a progress line on stderr
  const std::atomic<bool>* stop = nullptr;  // when set: finish the part in hand, then return
  long stop_after_parts = 0;  // > 0: stop after writing this many parts (interruption tests)

  std::vector<Diagnostic> validate() const;  // each names its field; empty when valid
};

struct DatasetSummary {
  bool complete = false;  // false: stopped early; run again with resume
  long rows = 0;          // rows in the whole dataset (all ranks)
  long draws = 0;         // sampler draws consumed (after the histogram caps)
  long rows_here = 0;     // rows in this rank's file
  long parts_written = 0, parts_resumed = 0;
  long density_rejections = 0;
  std::string file;  // the HDF5 file this rank wrote
  std::string stream_end;  // why the sampler stream ended, when it did before `rows`
  double seconds_simulating = 0, seconds_writing = 0, seconds_merging = 0;  // wall time
};

class DatasetGenerator {
 public:
  // The sampler is used from a thread of its own while the parts are simulated.
  DatasetGenerator(const FluxSpace& space, FluxSetSampler& sampler, std::vector<isotope::TracedElement> elements,
                   std::vector<std::string> experiment_ids, DatasetOptions options);

  const MidLayout& layout() const { return layout_; }
  std::vector<std::string> free_columns() const;
  std::vector<std::string> full_columns() const;
  // The settings a resumed run must match (written to <dir>/settings.json).
  nlohmann::json settings() const;

  // Makes the directory ready, once (rank 0 of an MPI run): writes settings.json. Errors:
  // a finished dataset there, an unfinished one without `resume`, or one made with other
  // settings (the first difference is named).
  Result<bool> prepare(const std::string& directory, bool resume) const;
  // Generates (or finishes) the dataset in a prepared directory. Errors: other settings
  // there, a flux set the EMU engine cannot simulate, files that cannot be written.
  Result<DatasetSummary> run(const std::string& directory, const DatasetRun& run);

 private:
  const FluxSpace& space_;
  FluxSetSampler& sampler_;
  std::vector<isotope::TracedElement> elements_;
  MidLayout layout_;
  DatasetOptions options_;
};

// After every rank of an MPI run has finished: manifest.json listing the shards.
Result<bool> write_shard_manifest(const std::string& directory, int ranks);

}  // namespace fluxion::sampling
