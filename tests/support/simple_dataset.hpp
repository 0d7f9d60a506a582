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

inline DatasetContents simple_dataset(long rows, const ReadOptions& read = {}) {
  auto model = io::load_model("simple");
  auto space = FluxSpace::build(model.value());
  auto table = io::load_tracer_table("simple");
  EmuOptions eo;
  auto emu = EmuModel::compile(model.value(), space.value(), eo);
  auto inputs = emu.value().inputs(table.value().experiments);
  std::vector<std::string> ids;
  for (const auto& e : table.value().experiments) ids.push_back(e.id);
  FluxSetOptions so;
  so.exchange = ExchangeSampling::log_uniform;
  auto sampler = FluxSetSampler::create(model.value(), space.value(), {}, so);
  DatasetOptions o;
  o.rows = rows;
  o.precision = MidPrecision::float64;
  DatasetGenerator g(space.value(), sampler.value(), {{emu.value(), inputs.value()}}, ids, o);
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("fluxion_test_learn_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(g.prepare(dir.string(), false).ok());
  EXPECT_TRUE(g.run(dir.string(), {.progress = false}).ok());
  auto c = read_dataset((dir / "dataset.h5").string(), read);
  std::filesystem::remove_all(dir);
  return c.value();
}

}  // namespace fluxion::test_support
