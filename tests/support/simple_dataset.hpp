// A small dataset of the toy model (ML-Flux's simple network, log-uniform exchange
// fluxes, float64 MIDs), generated in a temporary directory and read back.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/sampling/dataset.hpp"
#include "fluxion/sampling/flux_sets.hpp"

namespace fluxion::test_support {

inline sampling::DatasetContents simple_dataset(long rows, const sampling::ReadOptions& read = {}) {
  auto model = io::load_model("simple");
  auto space = FluxSpace::build(model.value());
  auto table = io::load_tracer_table("simple");
  isotope::EmuOptions eo;
  auto emu = isotope::EmuModel::compile(model.value(), space.value(), eo);
  auto inputs = emu.value().inputs(table.value().experiments);
  std::vector<std::string> ids;
  for (const auto& e : table.value().experiments) ids.push_back(e.id);
  sampling::FluxSetOptions so;
  so.exchange = sampling::ExchangeSampling::log_uniform;
  auto sampler = sampling::FluxSetSampler::create(model.value(), space.value(), {}, so);
  sampling::DatasetOptions o;
  o.rows = rows;
  o.precision = sampling::MidPrecision::float64;
  sampling::DatasetGenerator g(space.value(), sampler.value(), {{emu.value(), inputs.value()}}, ids, o);
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("fluxion_test_learn_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(g.prepare(dir.string(), false).ok());
  EXPECT_TRUE(g.run(dir.string(), {.progress = false}).ok());
  auto c = sampling::read_dataset((dir / "dataset.h5").string(), read);
  std::filesystem::remove_all(dir);
  return c.value();
}

}  // namespace fluxion::test_support
