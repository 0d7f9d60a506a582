// What `fluxion dataset` is asked for, and the inputs it makes from that: the model, its flux
// space, the tracer experiments and the traced elements to simulate, and the provenance the
// manifest records (compared when a run is resumed).
//
//   sampling::DatasetRecipe r;
//   r.model = "glycolysis";
//   auto in = sampling::load_dataset_inputs(r);   // the built-in experiments, carbon traced
//   auto sampler = sampling::FluxSetSampler::create(*in.value().model, *in.value().space, {}, {});
//   sampling::DatasetGenerator g(*in.value().space, sampler.value(), std::move(in.value().traced),
//                                in.value().experiment_ids, r.options(in.value(), settings));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/isotope/traced_elements.hpp"
#include "fluxion/sampling/dataset.hpp"
#include "fluxion/sampling/sampler_settings.hpp"

namespace fluxion::sampling {

struct DatasetRecipe {
  std::string model;        // built-in name or file
  std::string experiments;  // tracer table; "": the built-in experiments of a built-in model
  std::vector<std::string> elements;  // traced elements; empty: those the experiments label
  std::vector<std::string> measured;  // metabolites in the MID vector, one per item; empty: the model's measured ones
  std::vector<std::string> natural{"none"};  // natural abundance: none, all, or substrate ids
  long rows = 0, part_rows = 1024;
  int threads = 0, density = 0, compression = 0;
  std::string precision = "float32";
  double validation = 0.1, test = 0.1;
  bool resume = false;
  // time courses (non-stationary labelling): MIDs at these times, pool sizes from a pool
  // table (free / measured rows drawn log-uniformly in [lower, upper], fixed rows fixed),
  // the others drawn in pool_range (LOW,HIGH) or fixed at default_pool
  std::vector<std::string> times, pool_range;
  std::string pools;
  double default_pool = 0, inst_tolerance = 1e-5;

  static const OptionTable<DatasetRecipe>& table();
};

struct DatasetInputs {
  std::unique_ptr<Model> model;
  std::unique_ptr<FluxSpace> space;
  std::vector<isotope::TracedElement> traced;
  std::vector<std::string> experiment_ids;
  std::string tracer_source;      // the tracer table read: a file, or the model's name
  DatasetProvenance provenance;   // all but the sampler's part (its time_course: the time course, if any)
  std::vector<std::size_t> pool_metabolites;  // time courses: Model::metabolites index of each pool
};
// Errors: the model, the tracer table or the experiments are wrong, a built-in model has no
// experiments and none are given, an element or a measured metabolite is unknown. The
// warnings of every step come with the result.
Result<DatasetInputs> load_dataset_inputs(const DatasetRecipe& recipe);

// The generator's options: the recipe's, the sampler's seed, and the provenance with the
// sampler's settings.
DatasetOptions dataset_options(const DatasetRecipe& recipe, const DatasetInputs& inputs, const SamplerSettings& sampler);

}  // namespace fluxion::sampling
