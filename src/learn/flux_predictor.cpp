#include "fluxion/learn/flux_predictor.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <random>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "fluxion/core/progress.hpp"
#include "fluxion/learn/transforms.hpp"
#include "pcnn_net.hpp"

namespace fluxion::learn {

namespace {

// An exception's message without LibTorch's C++ stack (c10::Error appends one to what()).
std::string plain_message(const std::exception& e) {
  std::string what = e.what();
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) what = c->what_without_backtrace();
  if (const auto cut = what.find("\nException raised from"); cut != std::string::npos) what.resize(cut);
  return what;
}

torch::nn::Sequential make_mlp(std::size_t inputs, const std::vector<int>& hidden, std::size_t outputs) {
  torch::nn::Sequential net;
  auto in = static_cast<std::int64_t>(inputs);
  for (int h : hidden) {
    net->push_back(torch::nn::Linear(in, h));
    net->push_back(torch::nn::ReLU());
    in = h;
  }
  net->push_back(torch::nn::Linear(in, static_cast<std::int64_t>(outputs)));
  // Glorot-uniform weights and zero biases, as Keras (ML-Flux) initialises them
  torch::NoGradGuard guard;
  for (auto& p : net->named_parameters()) {
    if (p.key().find("weight") != std::string::npos) torch::nn::init::xavier_uniform_(p.value());
    else p.value().zero_();
  }
  return net;
}

// The flux network: one MLP for every output ("head"), or, with two heads, one for the
// net outputs and one for the exchange outputs (concatenated in that order): the two then
// share no weights, so neither part's gradients drown the other's.
struct FluxNetworkImpl : torch::nn::Module {
  torch::nn::Sequential head{nullptr}, exchange_head{nullptr};
  FluxNetworkImpl(std::size_t inputs, const std::vector<int>& hidden, std::size_t outputs, std::size_t net_outputs, bool two_heads) {
    if (two_heads && net_outputs > 0 && net_outputs < outputs) {
      head = register_module("head", make_mlp(inputs, hidden, net_outputs));
      exchange_head = register_module("exchange_head", make_mlp(inputs, hidden, outputs - net_outputs));
    } else {
      head = register_module("head", make_mlp(inputs, hidden, outputs));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    if (!exchange_head) return head->forward(x);
    return torch::cat({head->forward(x), exchange_head->forward(x)}, 1);
  }
  bool two_heads() const { return static_cast<bool>(exchange_head); }
};
TORCH_MODULE(FluxNetwork);

FluxNetwork make_network(std::size_t inputs, const std::vector<int>& hidden, std::size_t outputs, std::size_t net_outputs = 0, bool two_heads = false) {
  return FluxNetwork(inputs, hidden, outputs, net_outputs, two_heads);
}

// A parameter's name in packages: the single head's as a bare Sequential's ("0.weight"),
// so that packages of one head read as they always have.
std::string package_key(const std::string& key) { return key.rfind("head.", 0) == 0 ? key.substr(5) : key; }

// rows of a column-major Eigen matrix as a row-major float tensor
torch::Tensor rows_tensor(const Eigen::MatrixXd& m, const std::vector<std::uint64_t>& rows) {
  auto t = torch::empty({static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(m.cols())}, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) p[i * static_cast<std::size_t>(m.cols()) + static_cast<std::size_t>(j)] = static_cast<float>(m(static_cast<Eigen::Index>(rows[i]), j));
  return t;
}

// MID rows of a dataset, from its float32 or float64 matrix
torch::Tensor mid_tensor(const sampling::DatasetContents& d, const std::vector<std::uint64_t>& rows) {
  if (d.mids32.size() == 0) return rows_tensor(d.mids, rows);
  const auto cols = d.mids32.cols();
  auto t = torch::empty({static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(cols)}, torch::kFloat32);
  float* p = t.data_ptr<float>();
  for (std::size_t i = 0; i < rows.size(); ++i)
    std::copy_n(d.mids32.row(static_cast<Eigen::Index>(rows[i])).data(), cols, p + i * static_cast<std::size_t>(cols));
  return t;
}

double transform(bool net, double v) { return net ? net_to_output(v) : exchange_to_output(v); }
double untransform(bool net, double y) { return net ? output_to_net(y) : output_to_exchange(y); }

std::vector<std::uint64_t> all_rows(long n) {
  std::vector<std::uint64_t> r(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = i;
  return r;
}

double half_width_68(std::vector<double> e) {
  if (e.empty()) return 0;
  std::sort(e.begin(), e.end());
  auto q = [&](double f) {
    const double at = f * static_cast<double>(e.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(at));
    const auto hi = std::min(lo + 1, e.size() - 1);
    return e[lo] + (at - static_cast<double>(lo)) * (e[hi] - e[lo]);
  };
  return 0.5 * (q(0.84) - q(0.16));
}

// What must agree between a checkpoint and the run that resumes it.
std::string checkpoint_fingerprint(const TrainOptions& o, const sampling::DatasetContents& data, std::size_t inputs, std::size_t outputs) {
  nlohmann::json f{{"hidden", o.hidden},
                        {"epochs", o.epochs},
                        {"batch", o.batch},
                        {"learning_rate", o.learning_rate},
                        {"patience", o.patience},
                        {"lr_decay_after", o.lr_decay_after},
                        {"seed", o.seed},
                        {"loss", o.loss},
                        {"flux_weights", o.flux_weights},
                        {"standardize_outputs", o.standardize_outputs},
                        {"input_noise", o.input_noise},
                        {"input_noise_mode", o.input_noise_mode},
                        {"standardize_inputs", o.standardize_inputs},
                        {"input_scale_floor", o.input_scale_floor},
                        {"schedule", o.schedule},
                        {"two_heads", o.two_heads},
                        {"inputs", inputs},
                        {"outputs", outputs},
                        {"train_rows", data.train.size()},
                        {"validation_rows", data.validation.size()},
                        {"first_train_row", data.train.empty() ? 0 : data.train.front()},
                        {"last_train_row", data.train.empty() ? 0 : data.train.back()}};
  if (o.loss_spread_floor != 0.01) f["loss_spread_floor"] = o.loss_spread_floor;  // absent at the default: older checkpoints still resume
  return f.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

torch::Tensor doubles_tensor(const std::vector<double>& v) {
  return torch::from_blob(const_cast<double*>(v.data()), {static_cast<std::int64_t>(v.size())}, torch::kFloat64).clone();
}

std::vector<double> tensor_doubles(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

struct FluxPredictor::Impl {
  FluxNetwork net{nullptr};
  std::vector<std::string> columns;
  std::vector<bool> is_net;
  bool raw_outputs = false;  // the network outputs raw fluxes (weighted_mse), else transformed
  bool raw_net = false;      // hybrid: raw net fluxes, transformed exchange fluxes
  // network output z -> y = out_mean + out_scale · z (empty: y = z)
  std::vector<double> out_mean, out_scale;
  // network input: (x[in_kept] − in_mean) / in_scale (empty in_kept: x as it is)
  std::vector<std::int64_t> in_kept;
  std::vector<float> in_mean, in_scale;
  torch::Tensor kept_t, in_mean_t, in_scale_t;  // the same on the network's device

  void set_input_tensors(const torch::Device& device) {
    if (in_kept.empty()) return;
    kept_t = torch::tensor(in_kept, torch::kInt64).to(device);
    in_mean_t = torch::tensor(in_mean).to(device);
    in_scale_t = torch::tensor(in_scale).to(device);
  }
  torch::Tensor network_inputs(const torch::Tensor& x) const {
    if (in_kept.empty()) return x;
    return (x.index_select(1, kept_t) - in_mean_t) / in_scale_t;
  }
  std::size_t network_width() const { return in_kept.empty() ? inputs : in_kept.size(); }
  nlohmann::json input_manifest(double floor) const {
    if (in_kept.empty()) return nullptr;
    return {{"kept", in_kept}, {"mean", in_mean}, {"scale", in_scale}, {"scale_floor", floor}};
  }
  std::size_t inputs = 0;
  nlohmann::json manifest;
  MidMatrix knn_reference;
  std::optional<PcnnImputer> pcnn;
  // an ensemble's other networks (their own shapes and standardisations; the inputs,
  // columns, imputers and manifest are this one's): predict() averages the raw free fluxes
  std::vector<std::unique_ptr<Impl>> others;

  // raw free fluxes of this network alone
  Eigen::MatrixXd forward_fluxes(const Eigen::MatrixXd& mids) {
    torch::NoGradGuard guard;
    net->eval();
    const torch::Tensor out = net->forward(network_inputs(rows_tensor(mids, all_rows(mids.rows())))).contiguous();
    const float* p = out.data_ptr<float>();
    Eigen::MatrixXd v(mids.rows(), static_cast<Eigen::Index>(columns.size()));
    for (Eigen::Index i = 0; i < v.rows(); ++i)
      for (Eigen::Index j = 0; j < v.cols(); ++j) {
        const auto c = static_cast<std::size_t>(j);
        const double z = p[i * v.cols() + j];
        const double y = out_mean.empty() ? z : out_mean[c] + out_scale[c] * z;
        v(i, j) = raw_outputs ? (is_net[c] ? y : std::max(0.0, y)) : (raw_net && is_net[c] ? y : untransform(is_net[c], y));
      }
    return v;
  }
  // What describes this network alone in a manifest: an ensemble member's entry.
  nlohmann::json network_manifest() const {
    nlohmann::json n;
    for (const char* key : {"outputs", "hidden", "heads", "input_standardisation", "output_standardisation", "training", "training_mean"})
      if (manifest.contains(key)) n[key] = manifest.at(key);
    return n;
  }
  // Reads the network that `n` (a manifest, or an ensemble member's entry) describes, its
  // weights under `prefix` in the archive; columns, is_net and inputs must be set. Returns
  // what is wrong, or "".
  std::string read_network(const nlohmann::json& n, torch::serialize::InputArchive& a, const std::string& prefix) {
    raw_outputs = n.value("outputs", std::string("transformed")) == "raw";
    raw_net = n.value("outputs", std::string("transformed")) == "raw_net";
    if (const auto& st = n.value("output_standardisation", nlohmann::json(nullptr)); st.is_object()) {
      out_mean = st.at("mean").get<std::vector<double>>();
      out_scale = st.at("scale").get<std::vector<double>>();
      if (out_mean.size() != columns.size() || out_scale.size() != columns.size()) return "its output standardisation does not fit its outputs";
    }
    if (const auto& in = n.value("input_standardisation", nlohmann::json(nullptr)); in.is_object()) {
      in_kept = in.at("kept").get<std::vector<std::int64_t>>();
      in_mean = in.at("mean").get<std::vector<float>>();
      in_scale = in.at("scale").get<std::vector<float>>();
      if (in_kept.empty() || in_mean.size() != in_kept.size() || in_scale.size() != in_kept.size()) return "its input standardisation is damaged";
      for (std::size_t i = 0; i < in_kept.size(); ++i)
        if (in_kept[i] < 0 || static_cast<std::size_t>(in_kept[i]) >= inputs || (i > 0 && in_kept[i] <= in_kept[i - 1]) || !(in_scale[i] > 0))
          return "its input standardisation is damaged";
      set_input_tensors(torch::kCPU);
    }
    net = make_network(network_width(), n.at("hidden").get<std::vector<int>>(), columns.size(),
                       static_cast<std::size_t>(std::count(is_net.begin(), is_net.end(), true)), n.value("heads", 1) == 2);
    torch::NoGradGuard guard;
    for (auto& q : net->named_parameters()) {
      torch::Tensor t;
      a.read(prefix + package_key(q.key()), t);
      if (!t.defined() || t.sizes() != q.value().sizes()) return "weights of '" + prefix + q.key() + "' do not fit the network in its manifest";
      q.value().copy_(t);
    }
    net->eval();
    return {};
  }
};

namespace {
std::string member_prefix(std::size_t k) { return "member" + std::to_string(k) + ".flux."; }
}  // namespace

FluxPredictor::FluxPredictor() : impl_(std::make_unique<Impl>()) {}
FluxPredictor::~FluxPredictor() = default;
FluxPredictor::FluxPredictor(FluxPredictor&&) noexcept = default;
FluxPredictor& FluxPredictor::operator=(FluxPredictor&&) noexcept = default;

const std::vector<std::string>& FluxPredictor::columns() const { return impl_->columns; }
std::size_t FluxPredictor::inputs() const { return impl_->inputs; }
nlohmann::json& FluxPredictor::manifest() { return impl_->manifest; }
const MidMatrix& FluxPredictor::knn_reference() const { return impl_->knn_reference; }
void FluxPredictor::set_pcnn(PcnnImputer pcnn) {
  impl_->manifest["pcnn"] = pcnn.manifest();
  impl_->pcnn.emplace(std::move(pcnn));
}
const PcnnImputer* FluxPredictor::pcnn() const { return impl_->pcnn ? &*impl_->pcnn : nullptr; }

void FluxPredictor::set_knn_reference(MidMatrix patterns) {
  if (patterns.rows() > 0 && static_cast<std::size_t>(patterns.cols()) != impl_->inputs)
    throw std::invalid_argument("KNN reference patterns have " + std::to_string(patterns.cols()) + " entries; the network takes " +
                                std::to_string(impl_->inputs));
  impl_->knn_reference = std::move(patterns);
}
const nlohmann::json& FluxPredictor::manifest() const { return impl_->manifest; }

std::vector<double> default_loss_weights(const std::string& model_id, const std::vector<std::string>& columns) {
  if (model_id != "ccm") return {};
  static const std::vector<std::pair<double, std::vector<std::string>>> ccm = {
      {1, {"IN_GLC", "hk", "pgi", "pfk", "fba", "tpi", "gapd", "pgk", "eno", "pyk", "ldh", "IN_AC"}},
      {0.001, {"IN_CO2", "EX_CO2"}},
      {20, {"EX_DHAP", "EX_PGA", "EX_PYR", "EX_LAC", "EX_G6P"}},
      {5, {"ppck", "me", "pc", "pdh", "cs", "acitl", "icdh", "akgdh", "sucoas", "sucd", "fum", "mdh"}},
      {100, {"g6pdh", "gnd", "rpi", "rpe", "tkt2", "tkt1", "tal"}},
      {50, {"SBA", "SBPase", "EX_R5P", "EX_OAA"}},
      {10, {"PYR_Ala", "EX_PYR_Ala", "OGA_Glu", "IN_Gln", "IN_Glu", "OGA_Gln", "EX_Gln", "IN_OAA", "EX_OGA_Glu", "EX_AC_cyt"}}};
  std::vector<double> w(columns.size(), 1.0);
  for (std::size_t j = 0; j < columns.size(); ++j) {
    if (columns[j].rfind("net:", 0) != 0) continue;
    const std::string id = columns[j].substr(4);
    for (const auto& [weight, ids] : ccm)
      if (std::find(ids.begin(), ids.end(), id) != ids.end()) w[j] = weight;
  }
  return w;
}

bool torch_has_cuda() { return torch::cuda::is_available(); }

std::vector<int> default_hidden_layers(const std::string& model_id, std::size_t inputs) {
  if (model_id == "simple") return {216, 15, 15, 15, 36};
  if (model_id == "upper_glycolysis") return {246, 16, 16, 16, 35};
  if (model_id == "glycolysis") return {3456, 59, 59, 59, 432};
  if (model_id == "glyppp" || model_id == "ccm") return {1024, 512, 256, 128, 64};
  const int first = static_cast<int>(std::clamp<std::size_t>(2 * inputs, 64, 1024));
  return {first, std::max(32, first / 2), std::max(32, first / 4), 32};
}

std::vector<Diagnostic> TrainOptions::validate() const {
  Diagnostics d("training");
  if (hidden.empty()) d.error("give at least one hidden layer", 0, 0, "hidden");
  for (int h : hidden)
    if (h < 1) d.error("hidden layer sizes must be positive (got " + std::to_string(h) + ")", 0, 0, "hidden");
  if (batch < 1) d.error("must be positive", 0, 0, "batch");
  if (epochs < 1) d.error("must be positive", 0, 0, "epochs");
  if (patience < 1) d.error("must be positive", 0, 0, "patience");
  if (lr_decay_after < 0) d.error("must be >= 0", 0, 0, "lr_decay_after");
  if (loss != "mae" && loss != "weighted_mse" && loss != "balanced_mae" && loss != "hybrid")
    d.error("unknown loss '" + loss + "' (mae, weighted_mse, balanced_mae or hybrid)", 0, 0, "loss");
  if (schedule != "plateau" && schedule != "cosine") d.error("unknown schedule '" + schedule + "' (plateau or cosine)", 0, 0, "schedule");
  if (device != "cpu" && device != "cuda" && device != "auto") d.error("unknown device '" + device + "' (cpu, cuda or auto)", 0, 0, "device");
  if (!(input_noise >= 0) || !std::isfinite(input_noise)) d.error("input noise must be a finite SD >= 0", 0, 0, "input_noise");
  if (input_noise_mode != "fixed" && input_noise_mode != "ranged")
    d.error("unknown input noise mode '" + input_noise_mode + "' (fixed or ranged)", 0, 0, "input_noise_mode");
  if (!(input_scale_floor > 0) || !std::isfinite(input_scale_floor)) d.error("must be a finite number > 0", 0, 0, "input_scale_floor");
  if (!(loss_spread_floor > 0) || !std::isfinite(loss_spread_floor)) d.error("must be a finite number > 0", 0, 0, "loss_spread_floor");
  if (fine_tune_epochs < 0) d.error("fine-tuning epochs must be >= 0", 0, 0, "fine_tune_epochs");
  if (!fine_tune_columns.empty() && fine_tune_epochs == 0) d.error("fine-tuning columns are given but no fine-tuning epochs", 0, 0, "fine_tune_columns");
  if (!(learning_rate > 0) || !std::isfinite(learning_rate) || learning_rate > 10) d.error("the learning rate must be in (0, 10]", 0, 0, "learning_rate");
  if (!(time_limit_seconds >= 0)) d.error("must be >= 0", 0, 0, "time_limit_seconds");
  if (stop_after_epochs < 0) d.error("must be >= 0", 0, 0, "stop_after_epochs");
  if ((resume || time_limit_seconds > 0 || stop_after_epochs > 0) && checkpoint.empty())
    d.error("resuming or pausing a training needs a checkpoint file", 0, 0, "checkpoint");
  return d.items();
}

Result<FluxPredictor> FluxPredictor::train(const sampling::DatasetContents& data, const TrainOptions& o, TrainingHistory& history) {
  using R = Result<FluxPredictor>;
  auto fail = [](const std::string& what) { return R::failure({Diagnostic{Severity::error, "training", 0, 0, {}, what}}); };
  if (data.train.empty() || data.validation.empty()) return fail("the dataset needs training and validation rows");
  if (auto problems = o.validate(); !problems.empty()) return R::failure(problems);
  for (const auto& c : o.fine_tune_columns)
    if (std::find(data.free_columns.begin(), data.free_columns.end(), c) == data.free_columns.end()) {
      std::string names;
      for (std::size_t i = 0; i < data.free_columns.size() && i < 12; ++i) names += (i ? ", " : "") + data.free_columns[i];
      if (data.free_columns.size() > 12) names += ", …";
      return fail("cannot fine-tune '" + c + "': not a free flux of this dataset (its " + std::to_string(data.free_columns.size()) + ": " + names + ")");
    }
  if (o.resume && !std::filesystem::is_regular_file(o.checkpoint)) return fail("no checkpoint to resume at " + o.checkpoint);
  if (o.loss != "mae" && (o.kernel.cols() != data.free_fluxes.cols() || o.kernel.rows() != data.fluxes.cols()))
    return fail("the loss on full fluxes needs the kernel of the dataset's model (" + std::to_string(data.fluxes.cols()) + " × " +
                std::to_string(data.free_fluxes.cols()) + ")");
  if (o.loss == "weighted_mse") {
    if (o.kernel.cols() != data.free_fluxes.cols() || o.kernel.rows() != data.fluxes.cols())
      return fail("the weighted loss needs the kernel of the dataset's model (" + std::to_string(data.fluxes.cols()) + " × " +
                  std::to_string(data.free_fluxes.cols()) + ")");
    if (o.flux_weights.size() != static_cast<std::size_t>(data.fluxes.cols()))
      return fail("the weighted loss needs one weight per flux (" + std::to_string(data.fluxes.cols()) + ", got " + std::to_string(o.flux_weights.size()) + ")");
  }
  FluxPredictor p;
  Impl& m = *p.impl_;
  m.columns = data.free_columns;
  for (const auto& c : m.columns) m.is_net.push_back(c.rfind("net:", 0) == 0);
  m.inputs = static_cast<std::size_t>(data.n_inputs());
  const auto outputs = m.columns.size();
  if (outputs == 0 || static_cast<Eigen::Index>(outputs) != data.free_fluxes.cols()) return fail("the dataset has no free flux columns");

  try {
    return train_network(std::move(p), data, o, history);
  } catch (const std::exception& e) {
    return fail(plain_message(e));
  }
}

Result<FluxPredictor> FluxPredictor::train_network(FluxPredictor p, const sampling::DatasetContents& data, const TrainOptions& o,
                                                   TrainingHistory& history) {
  Impl& m = *p.impl_;
  const auto outputs = m.columns.size();
  torch::manual_seed(o.seed);
  torch::set_num_threads(std::max(1, o.threads));
  const bool cuda = o.device == "cuda" || (o.device == "auto" && torch::cuda::is_available());
  if (cuda && !torch::cuda::is_available()) throw std::runtime_error("no CUDA device: this LibTorch has no GPU support, or no GPU is visible");
  const torch::Device device = cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  const torch::Tensor x_train = mid_tensor(data, data.train).to(device);
  if (o.standardize_inputs) {
    const torch::Tensor mu = x_train.mean(0).to(torch::kCPU), sd = x_train.std(0, /*unbiased=*/false).to(torch::kCPU);
    m.in_kept.clear(), m.in_mean.clear(), m.in_scale.clear();
    for (std::int64_t j = 0; j < mu.size(0); ++j) {
      const float s_j = sd[j].item<float>();
      if (!(s_j > 1e-7f)) continue;  // never varies: no information
      m.in_kept.push_back(j);
      m.in_mean.push_back(mu[j].item<float>());
      m.in_scale.push_back(std::max(s_j, static_cast<float>(o.input_scale_floor)));
    }
    if (m.in_kept.empty()) throw std::runtime_error("no MID entry varies over the training rows");
    m.set_input_tensors(device);
  }
  const auto net_outputs = static_cast<std::size_t>(std::count(m.is_net.begin(), m.is_net.end(), true));
  m.net = make_network(m.network_width(), o.hidden, outputs, net_outputs, o.two_heads);  // initialised on the CPU: the same weights on every device
  m.net->to(device);

  // targets: transformed free fluxes (mae); raw full fluxes (weighted_mse, balanced_mae);
  // hybrid: raw full net fluxes, then transformed exchange fluxes
  const bool hybrid = o.loss == "hybrid";
  const bool weighted = o.loss == "weighted_mse" || o.loss == "balanced_mae";  // a loss on raw full fluxes, through the kernel
  const bool balanced = o.loss == "balanced_mae";
  m.raw_outputs = weighted;
  m.raw_net = hybrid;
  const auto n_free_net = static_cast<Eigen::Index>(std::count(m.is_net.begin(), m.is_net.end(), true));
  const Eigen::Index n_net_full = hybrid ? o.kernel.rows() - (static_cast<Eigen::Index>(outputs) - n_free_net) : 0;
  Eigen::MatrixXd y;
  if (weighted) {
    y = data.fluxes;
  } else if (hybrid) {
    y.resize(data.fluxes.rows(), n_net_full + (static_cast<Eigen::Index>(outputs) - n_free_net));
    y.leftCols(n_net_full) = data.fluxes.leftCols(n_net_full);
    for (Eigen::Index i = 0; i < y.rows(); ++i)
      for (Eigen::Index j = n_free_net; j < static_cast<Eigen::Index>(outputs); ++j) y(i, n_net_full + j - n_free_net) = exchange_to_output(data.free_fluxes(i, j));
  } else {
    y = data.free_fluxes;
    for (Eigen::Index i = 0; i < y.rows(); ++i)
      for (Eigen::Index j = 0; j < y.cols(); ++j) y(i, j) = transform(m.is_net[static_cast<std::size_t>(j)], y(i, j));
  }
  // standardised targets: the network learns z = (y − mean) / scale
  if (o.standardize_outputs) {
    m.out_mean.assign(outputs, 0.0);
    m.out_scale.assign(outputs, 1.0);
    Eigen::MatrixXd free_y = weighted || hybrid ? data.free_fluxes : y;
    if (hybrid) free_y.rightCols(static_cast<Eigen::Index>(outputs) - n_free_net) = y.rightCols(static_cast<Eigen::Index>(outputs) - n_free_net);
    for (std::size_t j = 0; j < outputs; ++j) {
      double s1 = 0, s2 = 0;
      for (auto r : data.train) {
        const double v = free_y(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j));
        s1 += v;
        s2 += v * v;
      }
      const double n = static_cast<double>(data.train.size());
      const double mu = s1 / n, var = std::max(0.0, s2 / n - mu * mu);
      m.out_mean[j] = mu;
      m.out_scale[j] = std::sqrt(var) > 1e-9 * std::max(1.0, std::fabs(mu)) ? std::sqrt(var) : 1.0;
    }
    if (!weighted) {
      const Eigen::Index first = hybrid ? n_net_full : 0, offset = hybrid ? n_free_net - n_net_full : 0;  // target column -> output
      for (Eigen::Index i = 0; i < y.rows(); ++i)
        for (Eigen::Index j = first; j < y.cols(); ++j)
          y(i, j) = (y(i, j) - m.out_mean[static_cast<std::size_t>(j + offset)]) / m.out_scale[static_cast<std::size_t>(j + offset)];
    }
  }
  torch::Tensor out_mean_t, out_scale_t;
  if ((weighted || hybrid) && o.standardize_outputs) {
    out_mean_t = torch::tensor(std::vector<float>(m.out_mean.begin(), m.out_mean.end())).to(device);
    out_scale_t = torch::tensor(std::vector<float>(m.out_scale.begin(), m.out_scale.end())).to(device);
  }
  torch::Tensor kernel_t, weights_t;
  // each full flux in units of its spread over the training rows (at least the floor), the
  // weights rescaled to the sum they have with a floor of 0.01; fixed fluxes weigh 0
  auto spread_weights = [&](Eigen::Index columns) {
    std::vector<float> w(static_cast<std::size_t>(columns), 0.0f);
    double with_floor = 0, with_default = 0;
    std::vector<double> sds(static_cast<std::size_t>(columns), 0.0);
    for (Eigen::Index j = 0; j < columns; ++j) {
      double s1 = 0, s2 = 0;
      for (auto r : data.train) {
        const double v = data.fluxes(static_cast<Eigen::Index>(r), j);
        s1 += v, s2 += v * v;
      }
      const double n = static_cast<double>(data.train.size()), mu = s1 / n, sd = std::sqrt(std::max(0.0, s2 / n - mu * mu));
      if (!(sd > 1e-6 * std::max(1.0, std::fabs(mu)))) continue;
      sds[static_cast<std::size_t>(j)] = sd;
      with_floor += 1 / std::max(sd, o.loss_spread_floor), with_default += 1 / std::max(sd, 0.01);
    }
    const double rescale = with_floor > 0 ? with_default / with_floor : 1.0;
    for (std::size_t j = 0; j < w.size(); ++j)
      if (sds[j] > 0) w[j] = static_cast<float>(o.loss_spread_floor == 0.01 ? 1 / std::max(sds[j], 0.01) : rescale / std::max(sds[j], o.loss_spread_floor));
    return w;
  };
  std::int64_t hybrid_terms = 1;
  if (hybrid) {
    kernel_t = torch::empty({n_free_net, n_net_full}, torch::kFloat32);  // free net × full net
    auto k = kernel_t.accessor<float, 2>();
    for (Eigen::Index i = 0; i < n_net_full; ++i)
      for (Eigen::Index j = 0; j < n_free_net; ++j) k[j][i] = static_cast<float>(o.kernel(i, j));
    const std::vector<float> w = spread_weights(n_net_full);
    hybrid_terms = std::max<std::int64_t>(1, std::count_if(w.begin(), w.end(), [](float v) { return v > 0; }) + (static_cast<std::int64_t>(outputs) - n_free_net));
    weights_t = torch::tensor(w).to(device);
    kernel_t = kernel_t.to(device);
  }
  if (weighted) {
    kernel_t = torch::empty({o.kernel.cols(), o.kernel.rows()}, torch::kFloat32);  // free × full
    for (Eigen::Index i = 0; i < o.kernel.rows(); ++i)
      for (Eigen::Index j = 0; j < o.kernel.cols(); ++j) kernel_t[j][i] = static_cast<float>(o.kernel(i, j));
    const std::vector<float> w = balanced ? spread_weights(data.fluxes.cols()) : std::vector<float>(o.flux_weights.begin(), o.flux_weights.end());
    weights_t = torch::tensor(w);
    kernel_t = kernel_t.to(device);
    weights_t = weights_t.to(device);
  }
  auto loss_of = [&](const torch::Tensor& out, const torch::Tensor& target) {
    if (hybrid) {
      torch::Tensor net = out.slice(1, 0, n_free_net);
      if (out_mean_t.defined()) net = net * out_scale_t.slice(0, 0, n_free_net) + out_mean_t.slice(0, 0, n_free_net);
      const torch::Tensor e_net = torch::abs(net.mm(kernel_t) - target.slice(1, 0, n_net_full)) * weights_t;
      const torch::Tensor e_x = torch::abs(out.slice(1, n_free_net) - target.slice(1, n_net_full));
      return (e_net.sum(1) + e_x.sum(1)).mean() / static_cast<double>(hybrid_terms);
    }
    if (!weighted) return torch::abs(out - target).mean();
    const torch::Tensor free = out_mean_t.defined() ? out * out_scale_t + out_mean_t : out;
    const torch::Tensor error = free.mm(kernel_t) - target;
    return ((balanced ? torch::abs(error) : torch::square(error)) * weights_t).mean();
  };
  const torch::Tensor y_train = rows_tensor(y, data.train).to(device);
  const torch::Tensor x_val = m.network_inputs(mid_tensor(data, data.validation).to(device)), y_val = rows_tensor(y, data.validation).to(device);
  std::vector<double> mean(outputs, 0.0);
  for (auto r : data.train)
    for (std::size_t j = 0; j < outputs; ++j) mean[j] += data.free_fluxes(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j)) / static_cast<double>(data.train.size());

  // the training MIDs of a batch with the augmentation noise: "ranged" draws one SD per row,
  // uniform in [0, input_noise]
  auto with_noise = [&](const torch::Tensor& xb) {
    if (!(o.input_noise > 0)) return xb;
    if (o.input_noise_mode == "ranged") return xb + o.input_noise * torch::rand({xb.size(0), 1}, xb.options()) * torch::randn_like(xb);
    return xb + o.input_noise * torch::randn_like(xb);
  };
  torch::optim::Adam adam(m.net->parameters(), torch::optim::AdamOptions(o.learning_rate));
  std::mt19937_64 rng(o.seed ^ 0x7a1eULL);
  const auto n = static_cast<std::int64_t>(data.train.size());
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::vector<torch::Tensor> best;
  double best_loss = INFINITY;
  int since_best = 0, since_decay = 0, decays = 0;
  double lr = o.learning_rate;
  history = {};
  const auto t0 = std::chrono::steady_clock::now();
  const std::string fingerprint = checkpoint_fingerprint(o, data, m.inputs, outputs);
  int first_epoch = 1;
  auto save_checkpoint = [&](int epoch) {
    torch::serialize::OutputArchive a;
    a.write("format", c10::IValue(std::string("fluxion-training-checkpoint")));
    a.write("fingerprint", c10::IValue(fingerprint));
    a.write("epoch", c10::IValue(static_cast<std::int64_t>(epoch)));
    a.write("best_epoch", c10::IValue(static_cast<std::int64_t>(history.best_epoch)));
    a.write("counters", torch::tensor({static_cast<std::int64_t>(since_best), static_cast<std::int64_t>(since_decay), static_cast<std::int64_t>(decays)}));
    a.write("scalars", doubles_tensor({lr, best_loss}));
    a.write("train_loss", doubles_tensor(history.train_loss));
    a.write("validation_loss", doubles_tensor(history.validation_loss));
    for (const auto& q : m.net->named_parameters()) a.write("net." + q.key(), q.value().detach().to(torch::kCPU));
    for (std::size_t i = 0; i < best.size(); ++i) a.write("best." + std::to_string(i), best[i].to(torch::kCPU));
    torch::serialize::OutputArchive opt;
    adam.save(opt);
    a.write("adam", opt);
    std::ostringstream r;
    r << rng;
    a.write("order_rng", c10::IValue(r.str()));
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      a.write("torch_rng", gen.get_state());
    }
    const std::string tmp = o.checkpoint + ".tmp";
    a.save_to(tmp);
    std::filesystem::rename(tmp, o.checkpoint);
  };
  if (o.resume) {
    torch::serialize::InputArchive a;
    a.load_from(o.checkpoint);
    c10::IValue format, fp, epoch, best_epoch;
    if (!a.try_read("format", format) || !format.isString() || format.toStringRef() != "fluxion-training-checkpoint")
      throw std::runtime_error(o.checkpoint + " is not a fluxion training checkpoint");
    a.read("fingerprint", fp);
    if (fp.toStringRef() != fingerprint)
      throw std::runtime_error(o.checkpoint + " was made with other training settings or another dataset; it holds " + fp.toStringRef());
    a.read("epoch", epoch);
    a.read("best_epoch", best_epoch);
    torch::Tensor counters, scalars, tl, vl;
    a.read("counters", counters);
    a.read("scalars", scalars);
    a.read("train_loss", tl);
    a.read("validation_loss", vl);
    since_best = static_cast<int>(counters[0].item<std::int64_t>());
    since_decay = static_cast<int>(counters[1].item<std::int64_t>());
    decays = static_cast<int>(counters[2].item<std::int64_t>());
    lr = scalars[0].item<double>();
    best_loss = scalars[1].item<double>();
    history.train_loss = tensor_doubles(tl);
    history.validation_loss = tensor_doubles(vl);
    history.best_epoch = static_cast<int>(best_epoch.toInt());
    {
      torch::NoGradGuard guard;
      for (auto& q : m.net->named_parameters()) {
        torch::Tensor t;
        a.read("net." + q.key(), t);
        q.value().copy_(t);
      }
      const auto params = m.net->parameters();
      for (std::size_t i = 0; i < params.size(); ++i) {
        torch::Tensor t;
        a.read("best." + std::to_string(i), t);
        best.push_back(t.to(device));
      }
    }
    torch::serialize::InputArchive opt;
    a.read("adam", opt);
    adam.load(opt);
    for (auto& g : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    c10::IValue r;
    a.read("order_rng", r);
    std::istringstream rs(r.toStringRef());
    rs >> rng;
    torch::Tensor state;
    a.read("torch_rng", state);
    {
      auto gen = at::detail::getDefaultCPUGenerator();
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(state);
    }
    first_epoch = static_cast<int>(epoch.toInt()) + 1;
    history.resumed_from = first_epoch - 1;
  }
  ProgressBar bar("training", o.epochs, "epochs", o.progress);
  bar.update(first_epoch - 1);
  int run_epochs = 0;
  for (int epoch = first_epoch; epoch <= o.epochs; ++epoch) {
    if (o.schedule == "cosine") {
      lr = o.learning_rate * 0.5 * (1 + std::cos(M_PI * static_cast<double>(epoch - 1) / static_cast<double>(o.epochs)));
      for (auto& g : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    }
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
    for (std::size_t i = order.size() - 1; i > 0; --i)  // portable Fisher–Yates
      std::swap(order[i], order[static_cast<std::size_t>((rng() >> 11) % (i + 1))]);
    const torch::Tensor perm = torch::from_blob(order.data(), {n}, torch::kInt64).to(device);
    m.net->train();
    double sum = 0;
    for (std::int64_t b = 0; b < n; b += o.batch) {
      const auto idx = perm.slice(0, b, std::min<std::int64_t>(b + o.batch, n));
      torch::Tensor xb = x_train.index_select(0, idx);
      const torch::Tensor yb = y_train.index_select(0, idx);
      xb = m.network_inputs(with_noise(xb));
      adam.zero_grad();
      const torch::Tensor loss = loss_of(m.net->forward(xb), yb);
      loss.backward();
      adam.step();
      sum += loss.item<double>() * static_cast<double>(idx.size(0));
    }
    m.net->eval();
    double val;
    {
      torch::NoGradGuard guard;
      val = loss_of(m.net->forward(x_val), y_val).item<double>();
    }
    history.train_loss.push_back(sum / static_cast<double>(n));
    history.validation_loss.push_back(val);
    if (val < best_loss) {
      best_loss = val;
      history.best_epoch = epoch;
      since_best = since_decay = 0;
      best.clear();
      for (const auto& t : m.net->parameters()) best.push_back(t.detach().clone());
    } else if (++since_best >= o.patience) {
      history.stopped_early = true;
      bar.update(epoch);
      break;
    } else if (o.schedule == "plateau" && o.lr_decay_after > 0 && ++since_decay >= o.lr_decay_after && decays < 8) {
      lr *= 0.5;
      ++decays;
      since_decay = 0;
      for (auto& g : adam.param_groups()) static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    }
    bar.update(epoch);
    ++run_epochs;
    if (!o.checkpoint.empty()) save_checkpoint(epoch);
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool asked = o.on_progress && !o.on_progress(Progress{epoch, o.epochs, "epochs", history.train_loss.back(), val});
    if (epoch < o.epochs && (asked || (o.stop_after_epochs > 0 && run_epochs >= o.stop_after_epochs) || (o.time_limit_seconds > 0 && elapsed >= o.time_limit_seconds))) {
      history.paused = true;
      break;
    }
  }
  bar.finish();
  {
    const int last = static_cast<int>(history.train_loss.size());
    const std::string best_text = "best epoch " + std::to_string(history.best_epoch);
    if (history.paused)
      history.summary = {Termination::stopped,
                         "paused after epoch " + std::to_string(last) + " of " + std::to_string(o.epochs) + "; " + best_text +
                             (o.checkpoint.empty() ? "" : "; resume from " + o.checkpoint),
                         true,
                         {}};
    else if (history.stopped_early)
      history.summary = {Termination::converged, "no better validation loss for " + std::to_string(o.patience) + " epochs; " + best_text, true, {}};
    else
      history.summary = {Termination::completed, std::to_string(o.epochs) + " epochs; " + best_text, true, {}};
  }
  if (best.empty()) throw std::runtime_error("the checkpoint holds no finished epoch");
  {
    torch::NoGradGuard guard;
    auto params = m.net->parameters();
    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(best[i]);
  }
  const bool fine_tune = !history.paused && o.fine_tune_epochs > 0 && !o.fine_tune_columns.empty();
  if (fine_tune) {
    // the output layers' rows of the chosen columns: the only weights that still learn
    struct Rows {
      torch::nn::Linear layer{nullptr};
      torch::Tensor mask;  // 1 on the rows that learn
    };
    std::vector<Rows> tuned;
    auto output_layer = [](torch::nn::Sequential& s) { return torch::nn::Linear(s->ptr<torch::nn::LinearImpl>(s->size() - 1)); };
    auto add_row = [&](torch::nn::Sequential& s, std::int64_t row) {
      torch::nn::Linear layer = output_layer(s);
      for (auto& t : tuned)
        if (t.layer.get() == layer.get()) return t.mask.index_put_({row}, 1.0f), void();
      Rows r{layer, torch::zeros({layer->weight.size(0)}, layer->weight.options())};
      r.mask.index_put_({row}, 1.0f);
      tuned.push_back(r);
    };
    const std::int64_t net_count = static_cast<std::int64_t>(net_outputs);
    for (const auto& c : o.fine_tune_columns) {
      const auto at = std::find(m.columns.begin(), m.columns.end(), c);
      const auto j = static_cast<std::int64_t>(at - m.columns.begin());
      if (m.net->two_heads() && j >= net_count) add_row(m.net->exchange_head, j - net_count);
      else add_row(m.net->head, j);
    }
    for (auto& q : m.net->parameters()) q.set_requires_grad(false);
    std::vector<torch::Tensor> trainable;
    for (auto& t : tuned) {
      t.layer->weight.set_requires_grad(true), t.layer->bias.set_requires_grad(true);
      trainable.push_back(t.layer->weight), trainable.push_back(t.layer->bias);
    }
    torch::optim::Adam tune(trainable, torch::optim::AdamOptions(o.learning_rate * 0.1));
    auto validation_loss = [&] {
      torch::NoGradGuard guard;
      m.net->eval();
      return loss_of(m.net->forward(x_val), y_val).item<double>();
    };
    double tune_best = validation_loss();
    history.fine_tune_start_validation = tune_best;
    auto snapshot = [&] {
      std::vector<torch::Tensor> v;
      for (auto& t : trainable) v.push_back(t.detach().clone());
      return v;
    };
    std::vector<torch::Tensor> tune_best_weights = snapshot();
    ProgressBar tune_bar("fine-tuning", o.fine_tune_epochs, "epochs", o.progress);
    for (int epoch = 1; epoch <= o.fine_tune_epochs; ++epoch) {
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
      for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[static_cast<std::size_t>((rng() >> 11) % (i + 1))]);
      const torch::Tensor perm = torch::from_blob(order.data(), {n}, torch::kInt64).to(device);
      m.net->train();
      double sum = 0;
      for (std::int64_t b = 0; b < n; b += o.batch) {
        const auto idx = perm.slice(0, b, std::min<std::int64_t>(b + o.batch, n));
        tune.zero_grad();
        const torch::Tensor loss = loss_of(m.net->forward(m.network_inputs(with_noise(x_train.index_select(0, idx)))), y_train.index_select(0, idx));
        loss.backward();
        for (auto& t : tuned) {  // the frozen rows of a tuned layer get no gradient, so Adam leaves them
          t.layer->weight.mutable_grad().mul_(t.mask.unsqueeze(1));
          t.layer->bias.mutable_grad().mul_(t.mask);
        }
        tune.step();
        sum += loss.item<double>() * static_cast<double>(idx.size(0));
      }
      const double val = validation_loss();
      history.fine_tune_train_loss.push_back(sum / static_cast<double>(n));
      history.fine_tune_validation_loss.push_back(val);
      if (val < tune_best) tune_best = val, history.fine_tune_best_epoch = epoch, tune_best_weights = snapshot();
      tune_bar.update(epoch);
    }
    tune_bar.finish();
    torch::NoGradGuard guard;
    for (std::size_t i = 0; i < trainable.size(); ++i) trainable[i].copy_(tune_best_weights[i]);
    for (auto& q : m.net->parameters()) q.set_requires_grad(true);
    m.net->eval();
  }
  m.net->to(torch::kCPU);  // predictions run on the CPU (one pattern at a time)
  m.set_input_tensors(torch::kCPU);
  history.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.manifest = {{"format", "fluxion-predictor"},
                {"version", kSingleNetworkFormatVersion},
                {"inputs", m.inputs},
                {"outputs", m.raw_outputs ? "raw" : (m.raw_net ? "raw_net" : "transformed")},
                {"columns", m.columns},
                {"hidden", o.hidden},
                {"heads", m.net->two_heads() ? 2 : 1},
                {"transforms",
                 {{"net", "logistic below 3.89048, log4 above; inverse clamps y into (1e-12, 1-1e-12)"},
                  {"exchange", "log10 from 1e-4, linear 1e4*x-5 below, -5 under 0; inverse 0 at or below -5"}}},
                {"training_mean", mean},
                {"input_standardisation", m.input_manifest(o.input_scale_floor)},
                {"output_standardisation", m.out_mean.empty() ? nlohmann::json(nullptr)
                                                              : nlohmann::json{{"mean", m.out_mean}, {"scale", m.out_scale},
                                                                               {"space", weighted ? "raw free fluxes" : (hybrid ? "raw free net fluxes, transformed exchange fluxes" : "transformed free fluxes")}}},
                {"training",
                 {{"epochs_run", history.train_loss.size()},
                  {"best_epoch", history.best_epoch},
                  {"best_validation_mae", best_loss},
                  {"batch", o.batch},
                  {"learning_rate", o.learning_rate},
                  {"lr_decay_after", o.lr_decay_after},
                  {"learning_rate_final", lr},
                  {"patience", o.patience},
                  {"schedule", o.schedule},
                  {"input_noise", o.input_noise},
                  {"input_noise_mode", o.input_noise_mode},
                  {"seed", o.seed},
                  {"threads", o.threads},
                  {"device", cuda ? "cuda" : "cpu"},
                  {"loss", hybrid ? "mean absolute error of raw full net fluxes (through the net kernel, each in units of its SD over the training rows) and of standardised transformed exchange fluxes"
                           : balanced ? "mean absolute error of raw full fluxes (net and exchange, through the kernels), each in units of its SD over the training rows"
                           : weighted ? "weighted mean squared error of raw full fluxes (net and exchange, through the kernels)"
                                    : "mean absolute error of transformed free fluxes"},
                  {"loss_weights", weighted && !balanced ? nlohmann::json(o.flux_weights) : nlohmann::json(nullptr)},
                  {"loss_spread_floor", hybrid || balanced ? nlohmann::json(o.loss_spread_floor) : nlohmann::json(nullptr)},
                  {"optimizer", "Adam"},
                  {"fine_tuning", !fine_tune ? nlohmann::json(nullptr)
                                             : nlohmann::json{{"columns", o.fine_tune_columns},
                                                              {"epochs", o.fine_tune_epochs},
                                                              {"learning_rate", o.learning_rate * 0.1},
                                                              {"trainable", "the output layer's weights and bias of these columns; every other weight frozen"},
                                                              {"best_epoch", history.fine_tune_best_epoch},
                                                              {"validation_before", history.fine_tune_start_validation},
                                                              {"validation_after", history.fine_tune_best_epoch > 0 ? history.fine_tune_validation_loss[static_cast<std::size_t>(history.fine_tune_best_epoch - 1)] : history.fine_tune_start_validation}}}}},
                {"dataset", data.manifest}};
  return Result<FluxPredictor>::success(std::move(p));
}

Result<FluxPredictor> FluxPredictor::from_dense_layers(const std::vector<Eigen::MatrixXf>& weights, const std::vector<Eigen::VectorXf>& biases,
                                                      nlohmann::json manifest) {
  using R = Result<FluxPredictor>;
  auto fail = [](const std::string& what) { return R::failure({Diagnostic{Severity::error, "predictor", 0, 0, {}, what}}); };
  FluxPredictor p;
  Impl& m = *p.impl_;
  try {
    m.columns = manifest.at("columns").get<std::vector<std::string>>();
    m.inputs = manifest.at("inputs").get<std::size_t>();
    m.raw_outputs = manifest.at("outputs").get<std::string>() == "raw";
    m.raw_net = manifest.at("outputs").get<std::string>() == "raw_net";
    const auto hidden = manifest.at("hidden").get<std::vector<int>>();
    if (weights.size() != hidden.size() + 1 || biases.size() != weights.size()) return fail("one weight matrix and one bias per layer");
    std::size_t in = m.inputs;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const std::size_t out = i < hidden.size() ? static_cast<std::size_t>(hidden[i]) : m.columns.size();
      if (static_cast<std::size_t>(weights[i].rows()) != out || static_cast<std::size_t>(weights[i].cols()) != in ||
          static_cast<std::size_t>(biases[i].size()) != out)
        return fail("layer " + std::to_string(i + 1) + " is not " + std::to_string(out) + " × " + std::to_string(in));
      in = out;
    }
    for (const auto& c : m.columns) m.is_net.push_back(c.rfind("net:", 0) == 0);
    m.net = make_network(m.inputs, hidden, m.columns.size());
    torch::NoGradGuard guard;
    auto params = m.net->parameters();  // weight, bias of each Linear in order
    for (std::size_t i = 0; i < weights.size(); ++i) {
      const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> w = weights[i];
      params[2 * i].copy_(torch::from_blob(const_cast<float*>(w.data()), {w.rows(), w.cols()}, torch::kFloat32));
      params[2 * i + 1].copy_(torch::from_blob(const_cast<float*>(biases[i].data()), {biases[i].size()}, torch::kFloat32));
    }
    m.net->eval();
  } catch (const std::exception& e) {
    return fail("cannot build the network: " + plain_message(e));
  }
  m.manifest = std::move(manifest);
  return R::success(std::move(p));
}

Eigen::MatrixXd FluxPredictor::predict(const Eigen::MatrixXd& mids) const {
  Impl& m = *impl_;  // forward() is not const in LibTorch; inference changes nothing
  if (static_cast<std::size_t>(mids.cols()) != m.inputs)
    throw std::invalid_argument("FluxPredictor::predict: " + std::to_string(mids.cols()) + " inputs, the network takes " + std::to_string(m.inputs));
  Eigen::MatrixXd v = m.forward_fluxes(mids);
  if (m.others.empty()) return v;
  for (const auto& other : m.others) v += other->forward_fluxes(mids);
  return v / static_cast<double>(m.others.size() + 1);
}

std::size_t FluxPredictor::members() const { return impl_->others.size() + 1; }

Result<FluxPredictor> FluxPredictor::ensemble(std::vector<FluxPredictor> members, const std::vector<std::string>& names) {
  using R = Result<FluxPredictor>;
  auto fail = [&names](std::size_t k, const std::string& what) {
    return R::failure({Diagnostic{Severity::error, k < names.size() ? names[k] : "ensemble member " + std::to_string(k + 1), 0, 0, {}, what}});
  };
  if (members.size() < 2) return fail(names.size(), "an ensemble needs at least two predictors");
  // a member that is an ensemble already gives its networks one by one (the mean stays a
  // mean over networks)
  auto networks_of = [](const Impl& x) {
    if (x.manifest.contains("ensemble")) return x.manifest.at("ensemble").at("networks");
    return nlohmann::json::array({x.network_manifest()});
  };
  FluxPredictor p = std::move(members.front());
  Impl& m = *p.impl_;
  const nlohmann::json layout = m.manifest.value("/dataset/settings/layout"_json_pointer, nlohmann::json());
  nlohmann::json networks = networks_of(m);
  for (std::size_t k = 1; k < members.size(); ++k) {
    Impl& o = *members[k].impl_;
    if (o.inputs != m.inputs || o.manifest.value("/dataset/settings/layout"_json_pointer, nlohmann::json()) != layout)
      return fail(k, "has another MID layout than the first member");
    if (o.columns != m.columns) return fail(k, "predicts other free fluxes than the first member (another model or flux space)");
    for (auto& n : networks_of(o)) networks.push_back(n);
    auto nested = std::move(o.others);
    m.others.push_back(std::move(members[k].impl_));
    for (auto& n : nested) m.others.push_back(std::move(n));
  }
  m.manifest["ensemble"] = {{"members", networks.size()},
                            {"combination", "the mean of the members' raw free fluxes"},
                            {"networks", std::move(networks)}};
  m.manifest.erase("error_tables");  // the single network's; the ensemble's are computed anew
  m.manifest["version"] = kPredictorFormatVersion;
  return R::success(std::move(p));
}

TestErrors FluxPredictor::test_errors(const sampling::DatasetContents& data) const {
  TestErrors t;
  t.columns = impl_->columns;
  t.rows = static_cast<long>(data.test.size());
  const Eigen::MatrixXd pred = predict(data.mid_rows(data.test));
  const auto mean = impl_->manifest.at("training_mean").get<std::vector<double>>();
  for (std::size_t j = 0; j < t.columns.size(); ++j) {
    std::vector<double> e, trivial;
    for (std::size_t i = 0; i < data.test.size(); ++i) {
      const double truth = data.free_fluxes(static_cast<Eigen::Index>(data.test[i]), static_cast<Eigen::Index>(j));
      e.push_back(pred(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) - truth);
      trivial.push_back(mean[j] - truth);
    }
    auto mae = [](const std::vector<double>& x) {
      double s = 0;
      for (double v : x) s += std::fabs(v);
      return x.empty() ? 0.0 : s / static_cast<double>(x.size());
    };
    t.mae.push_back(mae(e));
    t.half_width_68.push_back(half_width_68(e));
    t.trivial_mae.push_back(mae(trivial));
    t.trivial_half_width_68.push_back(half_width_68(trivial));
  }
  return t;
}

Result<bool> FluxPredictor::save(const std::string& path) const {
  try {
    torch::serialize::OutputArchive a;
    a.write("format", c10::IValue(std::string("fluxion-predictor")));
    // version 1: one network; 2: an ensemble (older readers would use its first network alone)
    a.write("version", c10::IValue(static_cast<std::int64_t>(impl_->others.empty() ? kSingleNetworkFormatVersion : kPredictorFormatVersion)));
    a.write("manifest", c10::IValue(impl_->manifest.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    for (const auto& p : impl_->net->named_parameters()) a.write("flux." + package_key(p.key()), p.value());
    for (std::size_t k = 0; k < impl_->others.size(); ++k)
      for (const auto& p : impl_->others[k]->net->named_parameters()) a.write(member_prefix(k + 1) + package_key(p.key()), p.value());
    if (impl_->pcnn) {
      auto& net = impl_->pcnn->impl().net;
      for (const auto& p : net->named_parameters()) a.write("pcnn." + p.key(), p.value());
      for (const auto& b : net->named_buffers()) a.write("pcnn." + b.key(), b.value());
    }
    const MidMatrix& knn = impl_->knn_reference;
    if (knn.rows() > 0)
      a.write("knn.reference", torch::from_blob(const_cast<float*>(knn.data()), {knn.rows(), knn.cols()}, torch::kFloat32).clone());
    const std::string tmp = path + ".tmp";
    a.save_to(tmp);
    std::filesystem::rename(tmp, path);
  } catch (const std::exception& e) {
    return Result<bool>::failure({Diagnostic{Severity::error, path, 0, 0, {}, "cannot write the predictor: " + plain_message(e)}});
  }
  return Result<bool>::success(true);
}

Result<FluxPredictor> FluxPredictor::load(const std::string& path) {
  using R = Result<FluxPredictor>;
  auto fail = [&](const std::string& what) { return R::failure({Diagnostic{Severity::error, path, 0, 0, {}, what}}); };
  if (!std::filesystem::is_regular_file(path)) return fail("no such file");
  try {
    torch::serialize::InputArchive a;
    a.load_from(path);
    c10::IValue format, version, manifest;
    if (!a.try_read("format", format) || !format.isString() || format.toStringRef() != "fluxion-predictor")
      return fail("is not a fluxion predictor package");
    a.read("version", version);
    if (version.toInt() < 1 || version.toInt() > kPredictorFormatVersion)
      return fail("is a predictor of format version " + std::to_string(version.toInt()) + "; this fluxion reads versions 1 to " +
                  std::to_string(kPredictorFormatVersion));
    a.read("manifest", manifest);
    FluxPredictor p;
    Impl& m = *p.impl_;
    m.manifest = nlohmann::json::parse(manifest.toStringRef());
    m.columns = m.manifest.at("columns").get<std::vector<std::string>>();
    for (const auto& c : m.columns) m.is_net.push_back(c.rfind("net:", 0) == 0);
    m.inputs = m.manifest.at("inputs").get<std::size_t>();
    torch::NoGradGuard guard;  // loading copies into the networks' parameters
    if (std::string problem = m.read_network(m.manifest, a, "flux."); !problem.empty()) return fail(problem);
    if (m.manifest.contains("ensemble")) {
      const auto& networks = m.manifest.at("ensemble").at("networks");
      if (version.toInt() < 2 || !networks.is_array() || networks.size() < 2) return fail("its ensemble is damaged");
      for (std::size_t k = 1; k < networks.size(); ++k) {
        auto o = std::make_unique<Impl>();
        o->columns = m.columns;
        o->is_net = m.is_net;
        o->inputs = m.inputs;
        if (std::string problem = o->read_network(networks[k], a, member_prefix(k)); !problem.empty())
          return fail("ensemble member " + std::to_string(k + 1) + ": " + problem);
        m.others.push_back(std::move(o));
      }
    }
    if (m.manifest.contains("pcnn")) {
      auto impl = std::make_unique<PcnnImputer::Impl>();
      impl->geometry = PcnnGeometry::from_json(m.manifest.at("pcnn").at("geometry"));
      impl->layout = sampling::MidLayout::from_json(m.manifest.at("dataset").at("settings").at("layout"));
      impl->training = m.manifest.at("pcnn").value("training", nlohmann::json::object());
      impl->net = detail::PcnnNet(impl->geometry.filters);
      for (auto& q : impl->net->named_parameters()) {
        torch::Tensor t;
        a.read("pcnn." + q.key(), t);
        if (!t.defined() || t.sizes() != q.value().sizes()) return fail("PCNN weights of '" + q.key() + "' do not fit its geometry");
        q.value().copy_(t);
      }
      for (auto& q : impl->net->named_buffers()) {
        torch::Tensor t;
        a.read("pcnn." + q.key(), t);
        if (!t.defined() || t.sizes() != q.value().sizes()) return fail("PCNN statistics of '" + q.key() + "' do not fit its geometry");
        q.value().copy_(t);
      }
      impl->net->eval();
      m.pcnn.emplace(PcnnImputer::from_impl(std::move(impl)));
    }
    if (m.manifest.contains("knn")) {
      torch::Tensor t;
      a.read("knn.reference", t);
      t = t.contiguous();
      if (t.dim() != 2 || static_cast<std::size_t>(t.size(1)) != m.inputs || t.scalar_type() != torch::kFloat32)
        return fail("its KNN reference patterns do not fit the network's inputs");
      m.knn_reference = Eigen::Map<const MidMatrix>(t.data_ptr<float>(), t.size(0), t.size(1));
    }
    return R::success(std::move(p));
  } catch (const c10::Error& e) {  // LibTorch's own message, without its C++ stack
    return fail("cannot be read as a predictor package (damaged or cut short?): " + plain_message(e));
  } catch (const std::exception& e) {
    return fail(std::string("cannot be read as a predictor package: ") + e.what());
  }
}

}  // namespace fluxion::learn
