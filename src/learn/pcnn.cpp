#include "fluxion/learn/pcnn.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "fluxion/core/progress.hpp"
#include "pcnn_net.hpp"

namespace fluxion::learn {

namespace detail {

PartialConvImpl::PartialConvImpl(int in, int out, int s) : stride(s) {
  conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(s).padding(1).bias(false)));
  bias = register_parameter("bias", torch::zeros({1, out, 1, 1}));
  torch::NoGradGuard guard;
  torch::nn::init::xavier_uniform_(conv->weight);  // Keras' default
}

std::pair<torch::Tensor, torch::Tensor> PartialConvImpl::forward(const torch::Tensor& x, const torch::Tensor& m) {
  torch::Tensor count;
  {
    torch::NoGradGuard guard;
    const auto ones = torch::ones({1, 1, 3, 3}, m.options());
    count = torch::conv2d(m, ones, {}, stride, 1);
  }
  const torch::Tensor update = torch::clamp(count, 0.0, 1.0);
  const torch::Tensor ratio = 9.0 / (count + 1e-8) * update;
  return {conv->forward(x * m) * ratio + bias, update};
}

PConvBlockImpl::PConvBlockImpl(int in, int out, int stride) {
  pconv = register_module("pconv", PartialConv(in, out, stride));
  norm = register_module("norm", torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(out).momentum(0.01).eps(1e-3)));
}

std::pair<torch::Tensor, torch::Tensor> PConvBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& m) {
  auto [y, mask] = pconv->forward(x, m);
  return {torch::relu(norm->forward(y)), mask};
}

PcnnNetImpl::PcnnNetImpl(const std::vector<int>& f) {
  const auto levels = f.size();
  int in = 1;
  for (std::size_t i = 0; i < levels; ++i) {
    down1.push_back(register_module("down1_" + std::to_string(i), PConvBlock(in, f[i], 1)));
    down2.push_back(register_module("down2_" + std::to_string(i), PConvBlock(f[i], f[i], 2)));
    in = f[i];
  }
  up1.resize(levels, nullptr);
  up2.resize(levels, nullptr);
  for (std::size_t i = levels; i-- > 0;) {
    const int below = i + 1 == levels ? f[i] : std::max(1, f[i + 1] / 2);
    up1[i] = register_module("up1_" + std::to_string(i), PConvBlock(below + f[i], f[i], 1));
    up2[i] = register_module("up2_" + std::to_string(i), PConvBlock(f[i], i == 0 ? 1 : std::max(1, f[i] / 2), 1));
  }
  out = register_module("out", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 1, 3).padding(1)));
}

torch::Tensor PcnnNetImpl::forward(torch::Tensor x, torch::Tensor m) {
  std::vector<std::pair<torch::Tensor, torch::Tensor>> skips;
  for (std::size_t i = 0; i < down1.size(); ++i) {
    std::tie(x, m) = down1[i]->forward(x, m);
    skips.emplace_back(x, m);
    std::tie(x, m) = down2[i]->forward(x, m);
  }
  const auto up = torch::nn::functional::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest);
  for (std::size_t i = down1.size(); i-- > 0;) {
    x = torch::nn::functional::interpolate(x, up);
    m = torch::nn::functional::interpolate(m, up);
    x = torch::cat({x, skips[i].first}, 1);
    m = torch::maximum(m, skips[i].second);
    std::tie(x, m) = up1[i]->forward(x, m);
    std::tie(x, m) = up2[i]->forward(x, m);
  }
  return torch::sigmoid(out->forward(x));
}

}  // namespace detail

namespace {

// patterns (rows × n, float) and masks into [B,1,S,S] images of ones and their masks
std::pair<torch::Tensor, torch::Tensor> images(const PcnnGeometry& g, const float* values, std::size_t n, std::int64_t rows,
                                               const std::vector<const std::vector<bool>*>& known) {
  auto img = torch::ones({rows, 1, g.size, g.size}, torch::kFloat32);
  auto mask = torch::ones({rows, 1, g.size, g.size}, torch::kFloat32);
  float* pi = img.data_ptr<float>();
  float* pm = mask.data_ptr<float>();
  const std::size_t plane = static_cast<std::size_t>(g.size) * static_cast<std::size_t>(g.size);
  for (std::int64_t b = 0; b < rows; ++b)
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t r = i / static_cast<std::size_t>(g.cols) + static_cast<std::size_t>(g.row_offset);
      const std::size_t c = i % static_cast<std::size_t>(g.cols) + static_cast<std::size_t>(g.col_offset);
      const std::size_t at = static_cast<std::size_t>(b) * plane + r * static_cast<std::size_t>(g.size) + c;
      const bool k = (*known[static_cast<std::size_t>(b)])[i];
      pi[at] = k ? values[static_cast<std::size_t>(b) * n + i] : -1.0f;
      pm[at] = k ? 1.0f : 0.0f;
    }
  return {img, mask};
}

// the window of an output image, row b, entry i
float window(const torch::Tensor& out, const PcnnGeometry& g, std::int64_t b, std::size_t i) {
  const std::size_t r = i / static_cast<std::size_t>(g.cols) + static_cast<std::size_t>(g.row_offset);
  const std::size_t c = i % static_cast<std::size_t>(g.cols) + static_cast<std::size_t>(g.col_offset);
  const std::size_t plane = static_cast<std::size_t>(g.size) * static_cast<std::size_t>(g.size);
  return out.data_ptr<float>()[static_cast<std::size_t>(b) * plane + r * static_cast<std::size_t>(g.size) + c];
}

// the S×S target images of complete patterns, and where the loss counts (missing entries)
torch::Tensor missing_weights(const PcnnGeometry& g, std::size_t n, std::int64_t rows, const std::vector<const std::vector<bool>*>& known) {
  auto w = torch::zeros({rows, 1, g.size, g.size}, torch::kFloat32);
  float* p = w.data_ptr<float>();
  const std::size_t plane = static_cast<std::size_t>(g.size) * static_cast<std::size_t>(g.size);
  for (std::int64_t b = 0; b < rows; ++b)
    for (std::size_t i = 0; i < n; ++i)
      if (!(*known[static_cast<std::size_t>(b)])[i]) {
        const std::size_t r = i / static_cast<std::size_t>(g.cols) + static_cast<std::size_t>(g.row_offset);
        const std::size_t c = i % static_cast<std::size_t>(g.cols) + static_cast<std::size_t>(g.col_offset);
        p[static_cast<std::size_t>(b) * plane + r * static_cast<std::size_t>(g.size) + c] = 1.0f;
      }
  return w;
}

void copy_state(torch::nn::Module& from, std::vector<torch::Tensor>& to) {
  to.clear();
  for (const auto& p : from.parameters()) to.push_back(p.detach().clone());
  for (const auto& b : from.buffers()) to.push_back(b.detach().clone());
}

void restore_state(torch::nn::Module& into, const std::vector<torch::Tensor>& from) {
  torch::NoGradGuard guard;
  std::size_t i = 0;
  for (auto& p : into.parameters()) p.copy_(from[i++]);
  for (auto& b : into.buffers()) b.copy_(from[i++]);
}

}  // namespace

PcnnGeometry PcnnGeometry::for_model(const std::string& id, std::size_t n) {
  auto ml = [](int r, int c, int s, int ro, int co, std::vector<int> f) { return PcnnGeometry{r, c, s, ro, co, std::move(f)}; };
  if (id == "simple" && n == 120) return ml(12, 10, 16, 2, 3, {8, 16, 32, 64});
  if (id == "upper_glycolysis" && n == 35) return ml(5, 7, 8, 2, 1, {8, 16, 32});
  if (id == "glycolysis" && n == 192) return ml(16, 12, 16, 0, 2, {16, 32, 64});
  if (id == "glyppp" && n == 3456) return ml(72, 48, 80, 4, 16, {16, 32, 64, 128});
  if (id == "ccm" && n == 4800) return ml(64, 75, 80, 8, 3, {16, 32, 64, 128});
  PcnnGeometry g;
  g.cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  g.rows = static_cast<int>((n + static_cast<std::size_t>(g.cols) - 1) / static_cast<std::size_t>(g.cols));
  const int levels = g.cols <= 8 ? 3 : 4;
  const int unit = 1 << levels;
  g.size = (std::max(g.rows, g.cols) + unit - 1) / unit * unit;
  g.row_offset = (g.size - g.rows) / 2;
  g.col_offset = (g.size - g.cols) / 2;
  g.filters = levels == 3 ? std::vector<int>{8, 16, 32} : std::vector<int>{16, 32, 64, 128};
  return g;
}

nlohmann::json PcnnGeometry::to_json() const {
  return {{"rows", rows}, {"cols", cols}, {"size", size}, {"row_offset", row_offset}, {"col_offset", col_offset}, {"filters", filters}};
}

PcnnGeometry PcnnGeometry::from_json(const nlohmann::json& j) {
  try {
    PcnnGeometry g{j.at("rows").get<int>(), j.at("cols").get<int>(), j.at("size").get<int>(), j.at("row_offset").get<int>(),
                   j.at("col_offset").get<int>(), j.at("filters").get<std::vector<int>>()};
    const int unit = 1 << g.filters.size();
    if (g.rows < 1 || g.cols < 1 || g.filters.empty() || g.size % unit != 0 || g.row_offset < 0 || g.col_offset < 0 ||
        g.row_offset + g.rows > g.size || g.col_offset + g.cols > g.size)
      throw std::invalid_argument("the window does not fit the image, or the levels do not divide it");
    return g;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("PCNN geometry: ") + e.what());
  }
}

PcnnImputer::PcnnImputer() : impl_(std::make_unique<Impl>()) {}
PcnnImputer::~PcnnImputer() = default;
PcnnImputer::PcnnImputer(PcnnImputer&&) noexcept = default;
PcnnImputer& PcnnImputer::operator=(PcnnImputer&&) noexcept = default;
const PcnnGeometry& PcnnImputer::geometry() const { return impl_->geometry; }
const sampling::MidLayout& PcnnImputer::layout() const { return impl_->layout; }
nlohmann::json PcnnImputer::manifest() const { return {{"geometry", impl_->geometry.to_json()}, {"training", impl_->training}}; }

PcnnImputer PcnnImputer::from_impl(std::unique_ptr<Impl> impl) {
  PcnnImputer p;
  p.impl_ = std::move(impl);
  p.impl_->padding = padding_entries(p.impl_->layout);
  return p;
}

std::vector<Diagnostic> PcnnTrainOptions::validate() const {
  Diagnostics d("PCNN training options");
  if (epochs < 1) d.error("must be at least 1", 0, 0, "epochs");
  if (batch < 2) d.error("must be at least 2", 0, 0, "batch");
  if (!(learning_rate > 0) || !std::isfinite(learning_rate)) d.error("must be a finite number > 0", 0, 0, "learning_rate");
  if (patience < 1) d.error("must be at least 1", 0, 0, "patience");
  if (max_experiments < 1) d.error("must be at least 1", 0, 0, "max_experiments");
  if (!(keep > 0 && keep <= 1)) d.error("must be in (0, 1]", 0, 0, "keep");
  if (threads < 1) d.error("must be at least 1", 0, 0, "threads");
  return d.items();
}

Result<PcnnImputer> PcnnImputer::train(const sampling::DatasetContents& data, const sampling::MidLayout& layout, const PcnnGeometry& g, const PcnnTrainOptions& o,
                                       PcnnHistory& history) {
  using R = Result<PcnnImputer>;
  auto fail = [](const std::string& what) { return R::failure({Diagnostic{Severity::error, "PCNN training", 0, 0, {}, what}}); };
  if (auto problems = o.validate(); !problems.empty()) return R::failure(problems);
  const std::size_t n = layout.size();
  if (static_cast<std::size_t>(data.n_inputs()) != n) return fail("the dataset's patterns do not have the layout's size");
  if (static_cast<std::size_t>(g.rows) * static_cast<std::size_t>(g.cols) < n) return fail("the image window is smaller than the input");
  if (data.train.empty() || data.validation.empty()) return fail("the dataset needs training and validation rows");
  if (data.mids32.size() == 0) return fail("read the dataset with float32 MIDs for PCNN training");
  try {
    auto impl = std::make_unique<Impl>();
    impl->geometry = g;
    impl->layout = layout;
    torch::manual_seed(o.seed);
    torch::set_num_threads(std::max(1, o.threads));
    impl->net = detail::PcnnNet(g.filters);
    PcnnImputer p = from_impl(std::move(impl));
    Impl& m = *p.impl_;
    torch::optim::Adam adam(m.net->parameters(), torch::optim::AdamOptions(o.learning_rate));
    std::mt19937_64 rng(o.seed ^ 0x9c2aULL);
    const auto masks_for = [&](std::size_t count, std::mt19937_64& r) {
      std::vector<std::vector<bool>> k(count);
      for (auto& v : k) v = random_mask(layout, 1 + static_cast<int>((r() >> 11) % static_cast<std::uint64_t>(std::max(1, o.max_experiments))), o.keep, r);
      return k;
    };
    // a batch: images, masks, targets and where the loss counts
    const auto batch_of = [&](const std::vector<std::uint64_t>& rows, const std::vector<std::vector<bool>>& k) {
      const auto b = static_cast<std::int64_t>(rows.size());
      std::vector<float> values(rows.size() * n);
      for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(data.mids32.row(static_cast<Eigen::Index>(rows[i])).data(), n, values.data() + i * n);
      std::vector<const std::vector<bool>*> kp;
      for (const auto& v : k) kp.push_back(&v);
      std::vector<bool> all(n, true);
      std::vector<const std::vector<bool>*> complete(rows.size(), &all);
      auto [img, mask] = images(g, values.data(), n, b, kp);
      auto [target, unused] = images(g, values.data(), n, b, complete);
      return std::tuple{img, mask, target, missing_weights(g, n, b, kp)};
    };
    const auto masked_mae = [](const torch::Tensor& out, const torch::Tensor& target, const torch::Tensor& w) {
      return (torch::abs(out - target) * w).sum() / torch::clamp(w.sum(), 1.0);
    };
    // validation: at most 2,000 rows with masks fixed once
    std::vector<std::uint64_t> vrows(data.validation.begin(), data.validation.begin() + std::min<std::size_t>(2000, data.validation.size()));
    std::mt19937_64 vrng(o.seed ^ 0x7a11ULL);
    const auto vmasks = masks_for(vrows.size(), vrng);
    const auto [vimg, vmask, vtarget, vweight] = batch_of(vrows, vmasks);

    std::vector<std::uint64_t> order(data.train.begin(), data.train.end());
    std::vector<torch::Tensor> best;
    double best_loss = INFINITY;
    int since = 0;
    history = {};
    const auto t0 = std::chrono::steady_clock::now();
    ProgressBar bar("training the PCNN imputer", o.epochs, "epochs", o.progress);
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[static_cast<std::size_t>((rng() >> 11) % (i + 1))]);
      m.net->train();
      double sum = 0;
      long count = 0;
      for (std::size_t at = 0; at < order.size(); at += static_cast<std::size_t>(o.batch)) {
        const std::vector<std::uint64_t> rows(order.begin() + static_cast<std::ptrdiff_t>(at),
                                              order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), at + static_cast<std::size_t>(o.batch))));
        if (rows.size() < 2) continue;  // batch normalisation needs two patterns
        const auto [img, mask, target, weight] = batch_of(rows, masks_for(rows.size(), rng));
        adam.zero_grad();
        const torch::Tensor loss = masked_mae(m.net->forward(img, mask), target, weight);
        loss.backward();
        adam.step();
        sum += loss.item<double>() * static_cast<double>(rows.size());
        count += static_cast<long>(rows.size());
      }
      m.net->eval();
      double val;
      {
        torch::NoGradGuard guard;
        val = masked_mae(m.net->forward(vimg, vmask), vtarget, vweight).item<double>();
      }
      history.train_loss.push_back(count ? sum / static_cast<double>(count) : 0.0);
      history.validation_loss.push_back(val);
      bar.update(epoch);
      if (val < best_loss) {
        best_loss = val;
        history.best_epoch = epoch;
        since = 0;
        copy_state(*m.net, best);
      } else if (++since >= o.patience) {
        break;
      }
    }
    bar.finish();
    restore_state(*m.net, best);
    m.net->eval();
    history.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    m.training = {{"epochs_run", history.train_loss.size()},
                  {"best_epoch", history.best_epoch},
                  {"best_validation_mae_missing", best_loss},
                  {"batch", o.batch},
                  {"learning_rate", o.learning_rate},
                  {"patience", o.patience},
                  {"masks", {{"experiments", "1 to " + std::to_string(o.max_experiments)}, {"metabolite_keep_probability", o.keep}}},
                  {"seed", o.seed},
                  {"loss", "mean absolute error over the missing entries"}};
    return R::success(std::move(p));
  } catch (const std::exception& e) {
    return fail(std::string("LibTorch: ") + e.what());
  }
}

Eigen::MatrixXd PcnnImputer::impute_batch(const Eigen::MatrixXd& values, const std::vector<std::vector<bool>>& known) const {
  Impl& m = *impl_;
  const std::size_t n = m.layout.size();
  if (static_cast<std::size_t>(values.cols()) != n || known.size() != static_cast<std::size_t>(values.rows()))
    throw std::invalid_argument("PcnnImputer: patterns and masks do not fit the layout");
  const auto rows = values.rows();
  std::vector<float> v(static_cast<std::size_t>(rows) * n);
  std::vector<const std::vector<bool>*> kp;
  for (Eigen::Index b = 0; b < rows; ++b) {
    for (std::size_t i = 0; i < n; ++i) v[static_cast<std::size_t>(b) * n + i] = static_cast<float>(values(b, static_cast<Eigen::Index>(i)));
    kp.push_back(&known[static_cast<std::size_t>(b)]);
  }
  auto [img, mask] = images(m.geometry, v.data(), n, rows, kp);
  torch::NoGradGuard guard;
  m.net->eval();
  const torch::Tensor out = m.net->forward(img, mask).contiguous();
  Eigen::MatrixXd r(rows, static_cast<Eigen::Index>(n));
  for (Eigen::Index b = 0; b < rows; ++b)
    for (std::size_t i = 0; i < n; ++i) {
      const auto j = static_cast<Eigen::Index>(i);
      r(b, j) = m.padding[i] ? 0.0 : (known[static_cast<std::size_t>(b)][i] ? values(b, j) : static_cast<double>(window(out, m.geometry, b, i)));
    }
  return r;
}

Imputation PcnnImputer::impute(const Eigen::VectorXd& values, const std::vector<bool>& known) const {
  Imputation out;
  out.values = impute_batch(values.transpose(), {known}).row(0).transpose();
  out.delta_n = renormalise_imputed(impl_->layout, out.values, known);
  return out;
}

}  // namespace fluxion::learn
