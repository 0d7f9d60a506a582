// Saving and loading a trained neural process: model.json (its description) and model.pt
// (its weights).
#include "fluxion/dynamics/neural_process.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "distributions.hpp"
#include "fluxion/dynamics/metrics.hpp"
#include "neural_process_internal.hpp"
#include "process_model.hpp"

namespace fluxion::dynamics {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

json spec_to_json(const ProcessSpec& s) {
  return {{"kind", to_string(s.kind)},
          {"encoder", to_string(s.encoder)},
          {"likelihood", to_string(s.likelihood)},
          {"lognormal_latent", s.lognormal_latent},
          {"mask_input", s.mask_input},
          {"y_dim", s.y_dim},
          {"r_dim", s.r_dim},
          {"z_dim", s.z_dim},
          {"h_dim", s.h_dim},
          {"l_dim", s.l_dim},
          {"initial_t", s.initial_t},
          {"solver", to_string(s.ode.method)},
          {"rtol", s.ode.rtol},
          {"atol", s.ode.atol},
          {"step", s.ode.step},
          {"fixed_sigma", s.fixed_sigma}};
}

Result<ProcessSpec> spec_from_json(const json& j, const std::string& source) {
  Diagnostics d(source);
  try {
    ProcessSpec s;
    const std::string kind = j.at("kind"), encoder = j.at("encoder"), likelihood = j.at("likelihood"), solver = j.at("solver");
    if (kind == "np") s.kind = ProcessKind::np;
    else if (kind == "nodep") s.kind = ProcessKind::nodep;
    else if (kind == "snodep") s.kind = ProcessKind::snodep;
    else if (kind == "lode") s.kind = ProcessKind::latent_ode;
    else if (kind == "rnn-vae") s.kind = ProcessKind::rnn_vae;
    else d.error("unknown model kind '" + kind + "'", 0, 0, "kind");
    if (encoder == "mlp") s.encoder = EncoderKind::mlp;
    else if (encoder == "lstm") s.encoder = EncoderKind::lstm;
    else if (encoder == "gru-ode") s.encoder = EncoderKind::gru_ode;
    else if (encoder == "gru") s.encoder = EncoderKind::gru;
    else d.error("unknown encoder '" + encoder + "'", 0, 0, "encoder");
    s.likelihood = likelihood == "poisson" ? Likelihood::poisson : Likelihood::normal;
    s.lognormal_latent = j.at("lognormal_latent");
    s.mask_input = j.at("mask_input");
    s.y_dim = j.at("y_dim");
    s.r_dim = j.at("r_dim");
    s.z_dim = j.at("z_dim");
    s.h_dim = j.at("h_dim");
    s.l_dim = j.at("l_dim");
    s.initial_t = j.at("initial_t");
    if (auto m = ode_method(solver)) s.ode.method = *m;
    else d.error("unknown solver '" + solver + "'", 0, 0, "solver");
    s.ode.rtol = j.at("rtol");
    s.ode.atol = j.at("atol");
    s.ode.step = j.at("step");
    s.fixed_sigma = j.value("fixed_sigma", 0.01);
    const auto in = [](int v, int lo, int hi) { return v >= lo && v <= hi; };
    if (!in(s.y_dim, 1, 1000000) || !in(s.r_dim, 1, 10000) || !in(s.z_dim, 1, 10000) || !in(s.h_dim, 1, 10000) || !in(s.l_dim, 0, s.z_dim))
      d.error("has inconsistent or implausible layer sizes");
    if (d.has_errors()) return Result<ProcessSpec>::failure(d);
    return Result<ProcessSpec>::success(s);
  } catch (const json::exception& e) {
    d.error(std::string("is not a fluxion dynamics model description: ") + e.what());
    return Result<ProcessSpec>::failure(d);
  }
}

}  // namespace

Result<NeuralProcess> NeuralProcess::load(const std::string& directory) {
  Diagnostics d(directory);
  const fs::path json_path = fs::path(directory) / "model.json", pt_path = fs::path(directory) / "model.pt";
  if (fs::exists(json_path) && !file_problem(json_path.string()).empty()) {
    d.error("model.json " + file_problem(json_path.string()));
    return Result<NeuralProcess>::failure(d);
  }
  std::ifstream in(json_path);
  if (!in) {
    d.error("has no model.json: not a directory written by `fluxion dynamics train`");
    return Result<NeuralProcess>::failure(d);
  }
  json j;
  try {
    in >> j;
  } catch (const json::exception& e) {
    Diagnostic e2;
    e2.source = json_path.string();
    e2.message = std::string("is not valid JSON: ") + e.what();
    d.add(e2);
    return Result<NeuralProcess>::failure(d);
  }
  auto spec = spec_from_json(j.value("spec", json::object()), json_path.string());
  if (!spec) return Result<NeuralProcess>::failure(spec.diagnostics());
  NeuralProcess model;
  auto& impl = *model.impl_;
  impl.spec = spec.value();
  try {
    impl.features = j.at("features").get<std::vector<std::string>>();
    impl.days = j.at("days").get<std::vector<int>>();
    impl.context_points = j.at("context_points");
    impl.time_scale = j.at("time_scale");
    impl.data_kind = j.at("data_kind");
  } catch (const json::exception& e) {
    d.error(std::string("model.json lacks a field: ") + e.what());
    return Result<NeuralProcess>::failure(d);
  }
  if (static_cast<int>(impl.features.size()) != impl.spec.y_dim || impl.context_points < 1 || static_cast<std::size_t>(impl.context_points) > impl.days.size()) {
    d.error("model.json is inconsistent (features, days and sizes disagree)");
    return Result<NeuralProcess>::failure(d);
  }
  impl.net = ProcessModel(impl.spec);
  try {
    torch::load(impl.net, pt_path.string());
  } catch (const c10::Error& e) {
    Diagnostic e2;
    e2.source = pt_path.string();
    e2.message = "cannot be read as this model's weights: " + std::string(e.what_without_backtrace());
    d.add(e2);
    return Result<NeuralProcess>::failure(d);
  }
  impl.net->eval();
  return Result<NeuralProcess>::success(std::move(model));
}

Result<bool> NeuralProcess::save(const std::string& directory) const {
  Diagnostics d(directory);
  std::error_code ec;
  fs::create_directories(directory, ec);
  json j = {{"format", "fluxion-neural-process"},
            {"version", 1},
            {"spec", spec_to_json(impl_->spec)},
            {"features", impl_->features},
            {"days", impl_->days},
            {"context_points", impl_->context_points},
            {"time_scale", impl_->time_scale},
            {"data_kind", impl_->data_kind},
            {"parameters", parameter_count()}};
  std::ofstream out(fs::path(directory) / "model.json");
  out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  if (!out) {
    d.error("cannot write model.json");
    return Result<bool>::failure(d);
  }
  try {
    torch::save(impl_->net, (fs::path(directory) / "model.pt").string());
  } catch (const c10::Error& e) {
    d.error("cannot write model.pt: " + std::string(e.what_without_backtrace()));
    return Result<bool>::failure(d);
  }
  return Result<bool>::success(true);
}
}  // namespace fluxion::dynamics
