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
#include "predictor_packages.hpp"
#include "sampler_options.hpp"

namespace fluxion::cli {

namespace {

struct PredictCli {
  PackageArgs package;
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

std::string number_or_na(double v) { return std::isfinite(v) ? format_number(v) : std::string("NA"); }

nlohmann::json json_number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// value ± se, aligned for the readable summary
std::string plus_minus(double v, double se) {
  char buf[64];
  if (!std::isfinite(v)) return "NA";
  if (std::isfinite(se)) std::snprintf(buf, sizeof buf, "%10.4g ± %-9.3g", v, se);
  else std::snprintf(buf, sizeof buf, "%10.4g", v);
  return buf;
}

}  // namespace

void add_predict_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static PredictCli o;
  auto* cmd = app.add_subcommand("predict", learned_description("predict"));
  bind_options(cmd, PackageArgs::table(), o.package, ctx);
  bind_options(cmd, predict_cli_table(), o, ctx);
  bind_options(cmd, learn::PredictOptions::table(), o.options, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto input_error = [&ctx](const std::string& where, const std::string& what) { cli::input_error(ctx, where, what); };
    auto package = open_predictor_package(o.package.predictor, o.package.model, ctx);
    if (!package) return;
    const std::string& package_path = package->path();
    const Model& model = package->model();
    const FluxSpace& space = package->space();
    const learn::FluxExpansion& expansion = package->expansion();
    const sampling::MidLayout& layout = package->layout();

    // measurements
    auto table = io::load_mid_table(o.mids);
    if (!accept(table, ctx)) return;
    auto observations = package->observations(table.value(), o.mids);
    if (!accept(observations, ctx)) return;

    // KNN over another reference set
    std::optional<learn::KnnImputer> knn;
    const int k = o.options.knn_k > 0 ? o.options.knn_k : package->knn_k();
    if (!o.knn_reference.empty()) {
      std::string file = o.knn_reference;
      if (std::filesystem::is_directory(file)) file = (std::filesystem::path(file) / "dataset.h5").string();
      auto data = sampling::read_dataset(file, {.mids_float32 = true});
      if (!accept(data, ctx)) return;
      if (data.value().manifest.at("settings").at("layout") != package->layout_json()) return input_error(file, "its MID layout is not the predictor's");
      learn::MidMatrix reference(static_cast<Eigen::Index>(data.value().train.size()), data.value().n_inputs());
      for (std::size_t i = 0; i < data.value().train.size(); ++i) reference.row(static_cast<Eigen::Index>(i)) = data.value().mids32.row(static_cast<Eigen::Index>(data.value().train[i]));
      knn.emplace(package->knn_imputer(std::move(reference), k));
      info.add_input("knn_reference", file);
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
    const auto& ids = space.column_ids();
    print_diagnostics(rep.warnings);

    // outputs
    auto made = io::make_output_directory(o.output);
    if (!accept(made, ctx)) return;
    const Eigen::Index n_net = space.n_reactions();
    const auto& xcols = space.exchange_columns();
    std::vector<Eigen::Index> xch_of(static_cast<std::size_t>(space.n_columns()), -1);
    for (std::size_t i = 0; i < xcols.size(); ++i) xch_of[static_cast<std::size_t>(xcols[i])] = n_net + static_cast<Eigen::Index>(i);
    std::vector<io::FluxResultColumn> columns{{"net", {}}, {"exchange", {}}, {"net_se", {}}, {"exchange_se", {}}, {"net_sd", {}}, {"exchange_sd", {}}};
    nlohmann::json jfluxes = nlohmann::json::array();
    for (Eigen::Index c = 0; c < space.n_columns(); ++c) {
      const bool has_net = c < n_net;
      const Eigen::Index x = xch_of[static_cast<std::size_t>(c)];
      const double net = has_net ? rep.mean(c) : 0.0, xch = x >= 0 ? rep.mean(x) : 0.0;
      const double se_net = has_net ? rep.se(c) : 0.0, se_x = x >= 0 ? rep.se(x) : 0.0;
      const double sd_net = has_net ? rep.sd(c) : 0.0, sd_x = x >= 0 ? rep.sd(x) : 0.0;
      const double row[] = {net, xch, se_net, se_x, sd_net, sd_x};
      for (std::size_t k = 0; k < columns.size(); ++k) columns[k].values.push_back(row[k]);
      jfluxes.push_back({{"reaction", ids[static_cast<std::size_t>(c)]},
                         {"net", net},
                         {"exchange", xch},
                         {"net_se", json_number(se_net)},
                         {"exchange_se", json_number(se_x)},
                         {"net_sd", sd_net},
                         {"exchange_sd", sd_x},
                         {"free", std::find(expansion.free_columns().begin(), expansion.free_columns().end(), (has_net ? "net:" : "xch:") + ids[static_cast<std::size_t>(c)]) !=
                                      expansion.free_columns().end()}});
    }
    const std::string fluxes = io::write_flux_results(ids, columns);
    std::string dg = "reaction\tdelta_g_kj_per_mol\tse\tsd\n";
    nlohmann::json jdg = nlohmann::json::array();
    for (std::size_t j = 0; j < rep.dg_reactions.size(); ++j) {
      const auto i = static_cast<Eigen::Index>(j);
      dg += rep.dg_reactions[j] + '\t' + number_or_na(rep.dg_mean(i)) + '\t' + number_or_na(rep.dg_se(i)) + '\t' + number_or_na(rep.dg_sd(i)) + '\n';
      jdg.push_back({{"reaction", rep.dg_reactions[j]}, {"delta_g", json_number(rep.dg_mean(i))}, {"se", json_number(rep.dg_se(i))}, {"sd", json_number(rep.dg_sd(i))}});
    }
    // MIDs: measured (mean over replicates), what the network saw, simulated at the mean fluxes
    std::string mids = "experiment\tmetabolite\telement\tisotopologue\tmeasured\tsd\tinput\tsimulated\tstatus\n";
    nlohmann::json jmids = nlohmann::json::array();
    const auto& obs = observations.value();
    for (std::size_t f = 0; f < layout.fields.size(); ++f)
      for (std::size_t x = 0; x < layout.experiments.size(); ++x)
        for (int q = 0; q < layout.fields[f].isotopologues; ++q) {
          const auto i = static_cast<Eigen::Index>(layout.index(f, x, q));
          double measured = 0, input = 0, sd = NAN;
          int count = 0;
          for (std::size_t r = 0; r < obs.size(); ++r) {
            input += rep.replicates[r].inputs(i) / static_cast<double>(obs.size());
            if (!obs[r].known[static_cast<std::size_t>(i)]) continue;
            measured += obs[r].values(i);
            if (!std::isnan(obs[r].sd(i))) sd = obs[r].sd(i);
            ++count;
          }
          const bool was_measured = count > 0;
          if (was_measured) measured /= count;
          const double simulated = rep.fit ? rep.fit->simulated(i) : NAN;
          const std::string el(element_symbol(layout.fields[f].element));
          mids += layout.experiments[x] + '\t' + layout.fields[f].metabolite + '\t' + el + '\t' + std::to_string(q) + '\t' +
                  (was_measured ? format_number(measured) : std::string("NA")) + '\t' + number_or_na(sd) + '\t' + format_number(input) + '\t' +
                  number_or_na(simulated) + '\t' + (was_measured ? "measured" : "imputed") + '\n';
          jmids.push_back({{"experiment", layout.experiments[x]},
                           {"metabolite", layout.fields[f].metabolite},
                           {"element", el},
                           {"isotopologue", q},
                           {"measured", was_measured ? json_number(measured) : nlohmann::json(nullptr)},
                           {"input", input},
                           {"simulated", json_number(simulated)}});
        }
    std::string replicates = "replicate\tmasked_fraction\tdelta_n\terror_table\tflux\tvalue\n";
    nlohmann::json jrep = nlohmann::json::array();
    for (const auto& r : rep.replicates) {
      const std::string level = r.level ? r.level->imputer + ":" + format_number(r.level->masked_from) + "-" + format_number(r.level->masked_to) : "NA";
      nlohmann::json values = nlohmann::json::object();
      for (std::size_t j = 0; j < rep.columns.size(); ++j) {
        replicates += (r.replicate.empty() ? std::string("-") : r.replicate) + '\t' + format_number(r.masked) + '\t' + format_number(r.delta_n) + '\t' +
                      level + '\t' + rep.columns[j] + '\t' + format_number(r.full(static_cast<Eigen::Index>(j))) + '\n';
        values[rep.columns[j]] = r.full(static_cast<Eigen::Index>(j));
      }
      jrep.push_back({{"replicate", r.replicate}, {"masked_fraction", r.masked}, {"delta_n", r.delta_n}, {"imputer", r.imputer}, {"error_table", level}, {"fluxes", values}});
    }
    // the imputers used ("pcnn", "knn", "knn and pcnn", or "none" for complete patterns)
    std::set<std::string> used;
    for (const auto& r : rep.replicates)
      if (r.imputer != "none") used.insert(r.imputer);
    std::string imputers = used.empty() ? std::string("none") : "";
    for (const auto& u : used) imputers += (imputers.empty() ? "" : " and ") + u;
    nlohmann::json jfit = nullptr;
    if (rep.fit)
      jfit = {{"ssr", rep.fit->ssr},
              {"measurements", rep.fit->measurements},
              {"parameters", rep.fit->parameters},
              {"dof", rep.fit->dof},
              {"chi2_critical_0.95", rep.fit->critical},
              {"p_value", rep.fit->p_value},
              {"accepted", rep.fit->accepted},
              {"mid_sd_default", o.options.default_mid_sd}};
    const nlohmann::json out = {{"predictor", {{"file", package_path}, {"sha256", io::sha256_file(package_path)}, {"model", model.id}}},
                                {"imputer", imputers},
                                {"imputer_option", o.options.imputer},
                                {"temperature", o.options.temperature},
                                {"fluxes", jfluxes},
                                {"delta_g", jdg},
                                {"replicates", jrep},
                                {"goodness_of_fit", jfit},
                                {"mids", jmids}};
    for (const auto& [name, text] : {std::pair{std::string("/fluxes.tsv"), fluxes}, std::pair{std::string("/delta_g.tsv"), dg},
                                     std::pair{std::string("/mids.tsv"), mids}, std::pair{std::string("/replicates.tsv"), replicates},
                                     std::pair{std::string("/prediction.json"), out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"}})
      if (auto w = io::write_output_file(o.output + name, text); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
    info.add_input("mids", o.mids);
    info.add_input("predictor", package_path);
    info.set("model", model.id);
    info.set("imputer", o.options.imputer);
    info.set("temperature_K", format_number(o.options.temperature));
    for (const char* f : {"/fluxes.tsv", "/delta_g.tsv", "/mids.tsv", "/replicates.tsv", "/prediction.json"}) info.add_output(o.output + f);
    info.add_timing("prediction", predict_seconds);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }

    if (o.format == "table") {
      const double masked = rep.replicates.front().masked;
      std::cout << "fluxes (" << model.id << ", " << rep.replicates.size() << " replicate(s), "
                << (masked > 0 ? format_number(std::round(1000 * masked) / 10) + " % of MID fractions imputed by " + imputers : std::string("every MID measured"))
                << ")\n";
      std::printf("%-16s %-22s %-22s %s\n", "reaction", "net ± se", "exchange ± se", "ΔG kJ/mol ± se");
      for (Eigen::Index c = 0; c < n_net; ++c) {
        const Eigen::Index x = xch_of[static_cast<std::size_t>(c)];
        std::string g;
        for (std::size_t j = 0; j < rep.dg_reactions.size(); ++j)
          if (rep.dg_reactions[j] == ids[static_cast<std::size_t>(c)]) g = plus_minus(rep.dg_mean(static_cast<Eigen::Index>(j)), rep.dg_se(static_cast<Eigen::Index>(j)));
        std::printf("%-16s %-22s %-22s %s\n", ids[static_cast<std::size_t>(c)].c_str(), plus_minus(rep.mean(c), rep.se(c)).c_str(),
                    x >= 0 ? plus_minus(rep.mean(x), rep.se(x)).c_str() : "", g.c_str());
      }
      if (rep.fit)
        std::printf("\nMIDs of the predicted fluxes against the measured: SSR %.4g, %ld measurements, %ld free fluxes, χ² 0.95 critical %.4g (dof %ld): %s (p = %.3g)\n",
                    rep.fit->ssr, rep.fit->measurements, rep.fit->parameters, rep.fit->critical, rep.fit->dof,
                    rep.fit->accepted ? "consistent" : "NOT consistent", rep.fit->p_value);
    }
    if (o.format == "tsv") std::fputs(fluxes.c_str(), stdout);
    spdlog::info("predicted {} fluxes from {} replicate(s) in {:.3g} ms; wrote {}", rep.columns.size(), rep.replicates.size(), 1e3 * predict_seconds, o.output);
  });
}

}  // namespace fluxion::cli
