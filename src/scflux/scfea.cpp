#include "fluxion/scflux/scfea.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <unordered_map>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "fluxion/scflux/magic.hpp"
#include "module_layer.hpp"

namespace fluxion::scflux {

const char* to_string(Normalisation n) {
  switch (n) {
    case Normalisation::automatic: return "auto";
    case Normalisation::none: return "none";
    case Normalisation::log: return "log";
    case Normalisation::cpm: return "cpm";
    case Normalisation::log_cpm: return "logcpm";
  }
  return "?";
}

CellMatrix cells_from_table(const io::ExpressionTable& table) {
  CellMatrix out;
  out.genes = table.genes;
  out.cells = table.samples;
  std::vector<Eigen::Triplet<float>> entries;
  for (Eigen::Index g = 0; g < table.values.rows(); ++g)
    for (Eigen::Index c = 0; c < table.values.cols(); ++c)
      if (const double v = table.values(g, c); v != 0.0) entries.emplace_back(static_cast<int>(c), static_cast<int>(g), static_cast<float>(v));
  out.values.resize(table.values.cols(), table.values.rows());
  out.values.setFromTriplets(entries.begin(), entries.end());
  return out;
}

const char* to_string(LossMode m) { return m == LossMode::scfea ? "scfea" : "paper"; }

namespace {

using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Everything the networks read, laid out for torch: X (cells × used genes), the packed
// (module, gene) pairs, module expression E, the scale target and the super-module map.
struct Prepared {
  RowMatrixF x;                      // cells × used genes, normalised
  std::vector<std::int64_t> gene;    // per packed entry: column of x
  std::vector<std::int64_t> module;  // per packed entry: its module
  std::vector<float> init_bound;     // per packed entry: the layer-1 weight range
  RowMatrixF expression;             // cells × modules (E)
  std::vector<float> target;         // per cell: s_j (scfea) or TA_j (paper)
  RowMatrixF supermodules;           // modules × super-modules (paper), 0/1
};

torch::Tensor tensor_of(RowMatrixF& m) {
  return torch::from_blob(m.data(), {static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())}, torch::kFloat32);
}

struct Net {
  torch::Tensor w1, w2, b2;  // [T, H], [M, H], [M]
  detail::Packing packing;

  torch::Tensor forward(const torch::Tensor& x) const {  // [B, G] -> [B, M]
    auto h = detail::module_layer(x, w1, packing);  // [B, M, H]
    auto a = h - torch::tanh(h);
    auto out = (a * w2.unsqueeze(0)).sum(2) + b2;  // [B, M]
    return out - torch::tanh(out);
  }
};

// Pearson correlation per row of a and b (across columns); rows where either does not
// vary give 0 and no gradient (scFEA's 0/0 poisoned every weight with NaN).
torch::Tensor one_minus_abs_correlation(const torch::Tensor& a, const torch::Tensor& b) {
  auto ac = a - a.mean(1, true), bc = b - b.mean(1, true);
  auto cov = (ac * bc).sum(1);
  auto prod = ac.pow(2).sum(1) * bc.pow(2).sum(1);
  auto ok = prod > 1e-24;
  auto safe = torch::where(ok, prod, torch::ones_like(prod));
  auto r = cov * torch::rsqrt(safe);
  return torch::where(ok, 1.0 - r.abs(), torch::zeros_like(r));
}

}  // namespace

const OptionTable<ScfeaOptions>& ScfeaOptions::table() {
  static const OptionTable<ScfeaOptions> t = [] {
    OptionTable<ScfeaOptions> t;
    t.add_enum("mode", &ScfeaOptions::mode, {{"scfea", LossMode::scfea}, {"paper", LossMode::paper}},
               "scfea: the loss, initialisation and defaults of scFEA's code; paper: the papers' super-module correlation and squared scale term")
        .label("Mode")
        .web("Advanced");
    t.add_enum("normalisation", &ScfeaOptions::normalisation,
               {{"auto", Normalisation::automatic}, {"none", Normalisation::none}, {"log", Normalisation::log}, {"cpm", Normalisation::cpm}, {"logcpm", Normalisation::log_cpm}},
               "auto (scFEA: log2(x+1) when the largest value exceeds 50), none, log, cpm, logcpm")
        .label("Normalisation")
        .web();
    t.add("epochs", &ScfeaOptions::epochs, "Training epochs").range(1, 100000).label("Training epochs").web();
    t.add("learning-rate", &ScfeaOptions::learning_rate, "Adam's learning rate").range(1e-12, 10.0);
    t.add("batch-size", &ScfeaOptions::batch_size, "Cells per optimiser step (0 = all cells, scFEA's full batch)");
    t.add("chunk-size", &ScfeaOptions::chunk_size, "Cells per forward pass: bounds memory, does not change results").range(1, double(std::size_t{1} << 30));
    t.add("min-cells", &ScfeaOptions::min_cells, "Fewest samples accepted");
    t.add("w-balance", &ScfeaOptions::w_balance, "Weight of the flux-balance term").nonnegative();
    t.add("w-nonnegative", &ScfeaOptions::w_nonnegative, "Weight of the non-negativity term").nonnegative();
    t.add("w-scale", &ScfeaOptions::w_scale, "Weight of the total-activity term").nonnegative();
    t.add("w-correlation", &ScfeaOptions::w_correlation, "Weight of the correlation term (default: 0.01 in scfea mode, 0.1 in paper mode)").no_default();
    t.add("seed", &ScfeaOptions::seed, "Random seed (weights, batch order)").label("Random seed").web("Advanced");
    t.add("threads", &ScfeaOptions::threads, "Threads (0 = all cores)").range(0, 1024);
    t.add("impute", &ScfeaOptions::impute, "MAGIC imputation of the raw values before normalisation (scFEA's --sc_imputation)").label("Impute expression (MAGIC)").web();
    t.add_nested("magic-knn", &ScfeaOptions::magic, &MagicOptions::knn, "MAGIC: neighbours that set each cell's kernel width").range(1, 1000);
    t.add_nested("magic-t", &ScfeaOptions::magic, &MagicOptions::t, "MAGIC: diffusion steps").range(0, 100);
    t.add_nested("magic-neighbours", &ScfeaOptions::magic, &MagicOptions::neighbours,
                 "MAGIC: nearest neighbours exact (cells² work), hnsw (approximate, an HNSW index) or auto (exact up to 20,000 cells)")
        .choices({"auto", "exact", "hnsw"});
    t.add("keep-best", &ScfeaOptions::keep_best,
          "Return the fluxes of the epoch with the lowest loss, not the last (training still oscillates at scFEA's learning rate)");
    return t;
  }();
  return t;
}

std::vector<Diagnostic> ScfeaOptions::validate() const { return table().check(*this, "scFEA options"); }

Result<ScfeaResult> run_scfea(const io::ScfeaNetwork& network, const CellMatrix& expression, const ScfeaOptions& options) {
  using R = Result<ScfeaResult>;
  if (auto problems = options.validate(); !problems.empty()) return R::failure(problems);
  Diagnostics d("scFEA");
  const auto n_cells = static_cast<std::size_t>(expression.values.rows());
  const auto n_modules = network.modules.size();
  if (n_cells < options.min_cells)
    d.error(std::to_string(n_cells) + " samples; scFEA needs at least " + std::to_string(options.min_cells) +
            " (cells or bulk samples) to learn from (--min-cells to change)");
  if (n_modules == 0) d.error("the network has no modules");
  if (static_cast<std::size_t>(network.matrix.cols()) != n_modules) d.error("the network's matrix does not have one column per module");
  if (options.epochs < 1) d.error("epochs must be at least 1");
  if (d.has_errors()) return R::failure(d);
  const bool paper = options.mode == LossMode::paper;
  const double w_cor = options.w_correlation >= 0 ? options.w_correlation : (paper ? 0.1 : 0.01);

  ScfeaResult out;
  Prepared p;
  // normalisation, on every gene of the input (library sizes need them all), applied to each
  // value as it is read (no copy of the matrix: an atlas is gigabytes)
  const Eigen::SparseMatrix<float, Eigen::RowMajor>& values = expression.values;
  using It = Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator;
  // genes the reader left out (CellMatrixOptions::only_genes) count through their statistics
  const io::OtherGenes& others = expression.others;
  const bool has_others = others.n_genes > 0 && others.total.size() == static_cast<std::size_t>(values.rows());
  if (others.n_genes > 0 && !has_others) {
    d.error("the statistics of the genes left out do not match the cells");
    return R::failure(d);
  }
  if (has_others && options.impute) {
    d.error("MAGIC imputation needs every gene of the input: read it without leaving genes out");
    return R::failure(d);
  }
  float largest = has_others ? others.largest : 0.0f;
  for (Eigen::Index i = 0; i < values.outerSize(); ++i)
    for (It it(values, i); it; ++it) {
      if (!std::isfinite(it.value()) || it.value() < 0) {
        d.error("expression values must be finite and >= 0");
        return R::failure(d);
      }
      largest = std::max(largest, it.value());
    }
  Normalisation how = options.normalisation;
  if (how == Normalisation::automatic) how = largest > 50.0f ? Normalisation::log : Normalisation::none;
  out.normalisation_applied = how == Normalisation::log ? "log2(x + 1)" : how == Normalisation::cpm ? "CPM" : how == Normalisation::log_cpm ? "log2(CPM + 1)" : "none";
  if (options.normalisation == Normalisation::automatic)
    out.normalisation_applied += largest > 50.0f ? " (the largest value, " + std::to_string(largest) + ", exceeds 50)" : " (the largest value is at most 50)";
  // a value of cell i normalised, given the cell's total over every gene
  auto normalised = [how](float v, double total) {
    if (how == Normalisation::cpm || how == Normalisation::log_cpm) v = total > 0 ? static_cast<float>(v * 1e6 / total) : 0.0f;
    if (how == Normalisation::log || how == Normalisation::log_cpm) v = std::log2(v + 1.0f);
    return v;
  };
  // the genes used: the network's genes found in the data, sorted (as scFEA)
  std::unordered_map<std::string, std::int64_t> column_of;
  for (std::size_t g = 0; g < expression.genes.size(); ++g) column_of.emplace(expression.genes[g], static_cast<std::int64_t>(g));
  std::vector<std::string> used;
  for (const auto& m : network.modules)
    for (const auto& g : m.genes)
      if (column_of.count(g)) used.push_back(g);
  std::sort(used.begin(), used.end());
  used.erase(std::unique(used.begin(), used.end()), used.end());
  if (used.empty()) {
    d.error("none of the network's " + std::to_string(network.n_genes()) +
            " genes is in the expression data (gene symbols must match exactly, case included; map Ensembl ids to symbols first)");
    return R::failure(d);
  }
  out.genes_used = used.size();
  std::unordered_map<std::string, std::int64_t> used_index;
  for (std::size_t g = 0; g < used.size(); ++g) used_index.emplace(used[g], static_cast<std::int64_t>(g));
  std::vector<std::int64_t> used_column(used.size());
  for (std::size_t g = 0; g < used.size(); ++g) used_column[g] = column_of.at(used[g]);
  std::vector<std::int64_t> to_used(expression.genes.size(), -1);
  for (std::size_t g = 0; g < used.size(); ++g) to_used[static_cast<std::size_t>(used_column[g])] = static_cast<std::int64_t>(g);

  const auto N = static_cast<Eigen::Index>(n_cells), G = static_cast<Eigen::Index>(used.size()), M = static_cast<Eigen::Index>(n_modules);
  p.x = RowMatrixF::Zero(N, G);
  std::vector<double> all_total(n_cells, 0.0), net_total(n_cells, 0.0);
  if (!options.impute) {
    for (Eigen::Index i = 0; i < N; ++i) {
      const auto c = static_cast<std::size_t>(i);
      double all = has_others ? others.total[c] : 0.0;  // the cell's total over every gene
      for (It it(values, i); it; ++it) all += it.value();
      if (has_others)  // the left-out genes' share of the cell's total, normalised alike
        all_total[c] += how == Normalisation::log       ? others.log_total[c]
                        : how == Normalisation::log_cpm ? others.log_cpm_total[c]
                        : how == Normalisation::cpm     ? (all > 0 ? others.total[c] * 1e6 / all : 0.0)
                                                        : others.total[c];
      for (It it(values, i); it; ++it) {
        const float v = normalised(it.value(), all);
        all_total[c] += v;
        if (const auto u = to_used[static_cast<std::size_t>(it.col())]; u >= 0) {
          p.x(i, u) += v;
          net_total[c] += v;
        }
      }
    }
  } else {
    // MAGIC on the raw values of every gene (scFEA imputes before normalising), then the
    // normalisation, a block of genes at a time so that all genes are never dense at once
    auto op = magic_operator(values, options.magic);
    if (!op) {
      d.append(op.diagnostics());
      return R::failure(d);
    }
    const auto& P = op.value();
    Eigen::VectorXd raw_total = Eigen::VectorXd::Zero(N);
    for (Eigen::Index i = 0; i < N; ++i)
      for (Eigen::SparseMatrix<float, Eigen::RowMajor>::InnerIterator it(values, i); it; ++it) raw_total(i) += it.value();
    {  // P is row-stochastic: the imputed cells' totals are P^t times the raw totals
      Eigen::MatrixXd t = raw_total;
      magic_diffuse(P, options.magic.t, t);
      raw_total = t.col(0);
    }
    const Eigen::SparseMatrix<float> by_gene = values;  // column access
    const Eigen::Index width = 256;
    for (Eigen::Index g0 = 0; g0 < by_gene.cols(); g0 += width) {
      const Eigen::Index nb = std::min(width, by_gene.cols() - g0);
      Eigen::MatrixXd block = by_gene.middleCols(g0, nb).cast<double>().toDense();
      magic_diffuse(P, options.magic.t, block);
      for (Eigen::Index c = 0; c < nb; ++c) {
        const auto u = to_used[static_cast<std::size_t>(g0 + c)];
        for (Eigen::Index i = 0; i < N; ++i) {
          double v = block(i, c);
          if (how == Normalisation::cpm || how == Normalisation::log_cpm) v = raw_total(i) > 0 ? v * 1e6 / raw_total(i) : 0.0;
          if (how == Normalisation::log || how == Normalisation::log_cpm) v = std::log2(v + 1.0);
          all_total[static_cast<std::size_t>(i)] += v;
          if (u >= 0) {
            p.x(i, u) += static_cast<float>(v);
            net_total[static_cast<std::size_t>(i)] += v;
          }
        }
      }
    }
    out.normalisation_applied = "MAGIC (knn " + std::to_string(options.magic.knn) + ", t " + std::to_string(options.magic.t) + "), then " +
                                out.normalisation_applied;
  }
  const auto& totals = paper ? net_total : all_total;
  const double mean_total = std::accumulate(totals.begin(), totals.end(), 0.0) / static_cast<double>(n_cells);
  if (!(mean_total > 0)) {
    d.error(paper ? "every cell has zero expression of the network's genes" : "every cell has zero expression");
    return R::failure(d);
  }
  p.target.resize(n_cells);
  for (std::size_t i = 0; i < n_cells; ++i) p.target[i] = static_cast<float>(totals[i] / mean_total);

  // packed (module, gene) pairs; module expression
  p.expression = RowMatrixF::Zero(N, M);
  out.genes_found.assign(n_modules, 0);
  const float wide = 1.0f / std::sqrt(static_cast<float>(G));
  for (std::size_t m = 0; m < n_modules; ++m) {
    std::vector<std::int64_t> cols;
    for (const auto& g : network.modules[m].genes)
      if (auto it = used_index.find(g); it != used_index.end()) cols.push_back(it->second);
    std::sort(cols.begin(), cols.end());
    cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
    out.genes_found[m] = cols.size();
    const float bound = paper ? 1.0f / std::sqrt(static_cast<float>(std::max<std::size_t>(1, cols.size()))) : wide;
    for (auto c : cols) {
      p.gene.push_back(c);
      p.module.push_back(static_cast<std::int64_t>(m));
      p.init_bound.push_back(bound);
    }
    const float listed = static_cast<float>(std::max<std::size_t>(1, network.modules[m].genes.size()));
    for (auto c : cols) p.expression.col(static_cast<Eigen::Index>(m)) += p.x.col(c) / listed;
  }
  if (paper) {
    std::map<int, Eigen::Index> index;
    for (const auto& m : network.modules)
      if (m.supermodule > 0) index.emplace(m.supermodule, 0);
    if (index.empty()) {
      d.error("paper mode correlates super-modules, and the network names none (give its module information file)");
      return R::failure(d);
    }
    Eigen::Index k = 0;
    for (auto& [id, i] : index) i = k++;
    p.supermodules = RowMatrixF::Zero(M, k);
    for (std::size_t m = 0; m < n_modules; ++m)
      if (network.modules[m].supermodule > 0) p.supermodules(static_cast<Eigen::Index>(m), index.at(network.modules[m].supermodule)) = 1.0f;
  }

#ifdef __GLIBC__
  // Training allocates and frees the same few MB-sized tensors for every chunk. glibc hands
  // such blocks back to the kernel (mmap, or trimming the heap) and the next chunk
  // page-faults them in again: a quarter of the time went to the kernel. Keep them.
  static std::once_flag malloc_tuned;
  std::call_once(malloc_tuned, [] {
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  });
#endif
  // the networks
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  torch::manual_seed(options.seed);
  const auto T = static_cast<std::int64_t>(p.gene.size());
  const std::int64_t H = options.hidden;
  Net net;
  net.packing.gene = p.gene;
  net.packing.module = p.module;
  net.packing.modules = M;
  {
    torch::NoGradGuard no_grad;
    auto bound = torch::from_blob(p.init_bound.data(), {1, T}, torch::kFloat32).clone();
    net.w1 = ((torch::rand({H, T}) * 2.0 - 1.0) * bound).t().contiguous();
    const double b2 = 1.0 / std::sqrt(static_cast<double>(H));
    net.w2 = ((torch::rand({H, M}) * 2.0 - 1.0) * b2).t().contiguous();
    net.b2 = (torch::rand({M}) * 2.0 - 1.0) * b2;
  }
  net.w1.set_requires_grad(true);
  net.w2.set_requires_grad(true);
  net.b2.set_requires_grad(true);
  torch::optim::Adam adam({net.w1, net.w2, net.b2}, torch::optim::AdamOptions(options.learning_rate));

  RowMatrixF cm = network.matrix.cast<float>();
  auto cm_t = tensor_of(cm).t().contiguous();  // [M, K]
  auto x_all = tensor_of(p.x);
  auto e_all = tensor_of(p.expression);
  auto target_all = torch::from_blob(p.target.data(), {N}, torch::kFloat32);
  torch::Tensor super_t;
  if (paper) super_t = tensor_of(p.supermodules);

  auto loss_terms = [&](const torch::Tensor& f, const torch::Tensor& e, const torch::Tensor& target) {
    auto balance = f.mm(cm_t).pow(2).sum();
    auto nonnegative = (f.abs() - f).sum();
    auto diff = f.sum(1) - target;
    auto scale = paper ? diff.pow(2).sum() : diff.abs().sum();
    auto correlation = paper ? one_minus_abs_correlation(f.mm(super_t), e.mm(super_t)).sum() : one_minus_abs_correlation(f, e).sum();
    return std::array<torch::Tensor, 4>{balance * options.w_balance, nonnegative * options.w_nonnegative, scale * options.w_scale,
                                        correlation * w_cor};
  };

  const std::size_t batch = options.batch_size == 0 ? n_cells : std::min(options.batch_size, n_cells);
  const std::size_t chunk = std::max<std::size_t>(1, options.chunk_size);
  std::vector<std::int64_t> order(n_cells);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 shuffle(options.seed);
  const auto t0 = std::chrono::steady_clock::now();
  // the weights before the step of the best epoch so far (its loss was computed with them)
  std::array<torch::Tensor, 3> best;
  double best_loss = INFINITY;
  int best_epoch = 0;
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    if (batch < n_cells) std::shuffle(order.begin(), order.end(), shuffle);
    LossTerms sum;
    std::array<torch::Tensor, 3> before;
    if (options.keep_best) before = {net.w1.detach().clone(), net.w2.detach().clone(), net.b2.detach().clone()};
    for (std::size_t first = 0; first < n_cells; first += batch) {
      const std::size_t last = std::min(n_cells, first + batch);
      adam.zero_grad();
      for (std::size_t c = first; c < last; c += chunk) {
        const std::size_t end = std::min(last, c + chunk);
        torch::Tensor x, e, target;
        if (batch == n_cells) {  // rows in order: slices, no copies
          x = x_all.slice(0, static_cast<std::int64_t>(c), static_cast<std::int64_t>(end));
          e = e_all.slice(0, static_cast<std::int64_t>(c), static_cast<std::int64_t>(end));
          target = target_all.slice(0, static_cast<std::int64_t>(c), static_cast<std::int64_t>(end));
        } else {
          auto rows = torch::from_blob(order.data() + c, {static_cast<std::int64_t>(end - c)}, torch::kInt64);
          x = x_all.index_select(0, rows);
          e = e_all.index_select(0, rows);
          target = target_all.index_select(0, rows);
        }
        auto terms = loss_terms(net.forward(x), e, target);
        auto total = terms[0] + terms[1] + terms[2] + terms[3];
        total.backward();
        sum.balance += terms[0].item<double>();
        sum.nonnegative += terms[1].item<double>();
        sum.scale += terms[2].item<double>();
        sum.correlation += terms[3].item<double>();
      }
      adam.step();
    }
    sum.total = sum.balance + sum.nonnegative + sum.scale + sum.correlation;
    if (!std::isfinite(sum.total)) {
      d.error("the loss became " + std::to_string(sum.total) + " at epoch " + std::to_string(epoch) +
              " (try a smaller --learning-rate, or check the input for extreme values)");
      return R::failure(d);
    }
    out.loss.push_back(sum);
    out.epoch_returned = epoch;
    if (options.keep_best && sum.total < best_loss) {
      best_loss = sum.total;
      best = before;
      best_epoch = epoch;
    }
    if (options.progress && !options.progress(Progress{epoch, options.epochs, "epochs", sum.total})) {
      out.summary = {Termination::stopped, "after " + std::to_string(epoch) + " of " + std::to_string(options.epochs) + " epochs", true, {}};
      break;
    }
  }
  out.seconds_training = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (out.summary.termination != Termination::stopped) out.summary.message = std::to_string(out.loss.size()) + " epochs";
  out.summary.details = {{"epochs", std::to_string(out.loss.size())},
                         {"final loss", out.loss.empty() ? "" : format_short(out.loss.back().total)},
                         {"seconds", format_short(out.seconds_training)}};

  // every cell, whatever the batch size
  torch::NoGradGuard no_grad;
  if (options.keep_best && best_epoch > 0) {
    net.w1 = best[0];
    net.w2 = best[1];
    net.b2 = best[2];
    out.epoch_returned = best_epoch;
  }
  out.flux.resize(N, M);
  RowMatrixF flux(N, M);
  for (std::size_t c = 0; c < n_cells; c += chunk) {
    const std::size_t end = std::min(n_cells, c + chunk);
    auto f = net.forward(x_all.slice(0, static_cast<std::int64_t>(c), static_cast<std::int64_t>(end))).contiguous();
    std::copy(f.data_ptr<float>(), f.data_ptr<float>() + f.numel(), flux.data() + static_cast<Eigen::Index>(c) * M);
  }
  out.flux = flux;
  out.balance = out.flux * network.matrix.cast<float>().transpose();
  return R::success(std::move(out), d.items());
}

}  // namespace fluxion::scflux
