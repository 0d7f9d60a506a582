// fluxion predict: fluxes, ΔG and standard errors from measured MIDs with a trained
// predictor package (ML-Flux); the MIDs of the predicted fluxes are simulated again and
// compared with the measurements.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>

#include "commands.hpp"
#include "option_binding.hpp"
#include "learned_commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/learn/predictor_package.hpp"
#include "sampler_options.hpp"

namespace fluxion::cli {

namespace {

struct PredictCli {
  learn::PackageRef package;
  std::string mids, output, knn_reference, format = "summary";
  learn::PredictOptions options;  // the library's: its defaults are the command's
};

const OptionTable<PredictCli>& predict_cli_table() {
  static const OptionTable<PredictCli> t = [] {
    OptionTable<PredictCli> t;
    t.add("mids", &PredictCli::mids,
          "Measured MIDs: fluxion's long table (experiment, metabolite, isotopologue, fraction, [sd], [element], [replicate]) or IsoCor's output")
        .short_name("i")
        .required()
        .file(".tsv,.csv,.txt")
        .label("Measured MIDs")
        .web("Inputs");
    t.add("output", &PredictCli::output, "Output directory (fluxes.tsv, delta_g.tsv, mids.tsv, replicates.tsv, prediction.json, run_info.json)")
        .short_name("o")
        .required();
    t.add("knn-reference", &PredictCli::knn_reference, "Reference patterns for KNN: the training rows of this dataset instead of the package's").file();
    t.add("format", &PredictCli::format, format_help({"summary", "table", "tsv"})).choices({"summary", "table", "tsv"});
    return t;
  }();
  return t;
}
}  // namespace

void add_predict_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static PredictCli o;
  auto* cmd = app.add_subcommand("predict", learned_description("predict"));
  bind_options(cmd, learn::PackageRef::table(), o.package, ctx);
  bind_options(cmd, predict_cli_table(), o, ctx);
  bind_options(cmd, learn::PredictOptions::table(), o.options, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto opened = learn::PredictorPackage::open(o.package.predictor, o.package.model);
    if (!accept(opened, ctx)) return;
    const learn::PredictorPackage* package = &opened.value();
    const std::string& package_path = package->path();
    const Model& model = package->model();

    // measurements
    auto table = io::load_mid_table(o.mids, !package->layout().times.empty());  // a time-course predictor takes a time column
    if (!accept(table, ctx)) return;
    auto observations = package->observations(table.value(), o.mids);
    if (!accept(observations, ctx)) return;

    // KNN over another reference set
    std::optional<learn::KnnImputer> knn;
    const int k = o.options.knn_k > 0 ? o.options.knn_k : package->knn_k();
    if (!o.knn_reference.empty()) {
      auto imputer = package->knn_imputer_from_dataset(o.knn_reference, k);
      if (!accept(imputer, ctx)) return;
      knn.emplace(std::move(imputer).value());
      info.add_input("knn_reference", std::filesystem::is_directory(o.knn_reference) ? (std::filesystem::path(o.knn_reference) / "dataset.h5").string()
                                                                                     : o.knn_reference);
    }
    learn::PredictOptions po = o.options;
    if (po.imputer == "auto" && !o.knn_reference.empty()) po.imputer = "knn";
    po.knn_k = k;
    const auto tp = std::chrono::steady_clock::now();
    auto result = package->predict(observations.value(), po, knn ? &*knn : nullptr, o.mids);
    const double predict_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tp).count();
    if (!result) {
      print_diagnostics(result.diagnostics());
      ctx.exit_code = kExitInput;
      return;
    }
    learn::PredictionReport& rep = result.value();
    print_diagnostics(rep.warnings);

    const auto files = package->result_files(observations.value(), rep, o.options);
    if (!write_outputs(ctx, info, o.output, with_map(files, model))) return;
    info.add_input("mids", o.mids);
    info.add_input("predictor", package_path);
    info.set("model", model.id);
    info.set("imputer", o.options.imputer);
    info.set("temperature_K", format_number(o.options.temperature));
    info.add_timing("prediction", predict_seconds);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }

    if (o.format == "table") std::fputs(package->result_table(rep).c_str(), stdout);
    if (o.format == "tsv") std::fputs(files.front().second.c_str(), stdout);
    spdlog::info("predicted {} fluxes from {} replicate(s) in {:.3g} ms; wrote {}", rep.columns.size(), rep.replicates.size(), 1e3 * predict_seconds, o.output);
  });
}

}  // namespace fluxion::cli
