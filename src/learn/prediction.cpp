#include "fluxion/learn/prediction.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <thread>

#include "fluxion/core/format.hpp"
#include "fluxion/core/progress.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "prediction_internal.hpp"

namespace fluxion::learn {

using detail::kNaN;
using detail::masked_share;
using detail::spread;

double delta_g(double net, double exchange, double temperature) {
  if (!(exchange > 0) || !std::isfinite(net) || !std::isfinite(exchange)) return kNaN;
  const double forward = exchange + std::max(0.0, net), backward = exchange - std::min(0.0, net);
  return kGasConstant * temperature * std::log(backward / forward);
}

// ---------------------------------------------------------------------------------------
// FluxExpansion

FluxExpansion::FluxExpansion(const FluxSpace& space, const Model* model, const sampling::TimeCourse* time_course) {
  n_net_ = space.n_reactions();
  n_columns_ = space.n_columns();
  exchange_columns_ = space.exchange_columns();
  const auto& ids = space.column_ids();
  for (Eigen::Index j = 0; j < n_net_; ++j) columns_.push_back("net:" + ids[static_cast<std::size_t>(j)]);
  for (Eigen::Index c : exchange_columns_) columns_.push_back("xch:" + ids[static_cast<std::size_t>(c)]);
  std::vector<std::pair<double, double>> pool_range;
  if (time_course)
    for (const auto& p : time_course->pools)
      if (p.drawn()) {
        columns_.push_back("pool:" + p.metabolite);
        pool_range.emplace_back(p.lower, p.upper);
      }
  n_pools_ = static_cast<Eigen::Index>(pool_range.size());
  const Eigen::Index nf = space.n_free_net(), nx = space.n_exchange();
  matrix_ = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(columns_.size()), nf + nx + n_pools_);
  matrix_.topLeftCorner(n_net_, nf) = space.net_kernel().topRows(n_net_);
  matrix_.bottomRightCorner(nx + n_pools_, nx + n_pools_).setIdentity();
  pool_low_.resize(n_pools_);
  pool_high_.resize(n_pools_);
  for (Eigen::Index i = 0; i < n_pools_; ++i) {
    pool_low_(i) = pool_range[static_cast<std::size_t>(i)].first;
    pool_high_(i) = pool_range[static_cast<std::size_t>(i)].second;
  }
  for (Eigen::Index c : space.free_net_columns()) {
    free_columns_.push_back("net:" + ids[static_cast<std::size_t>(c)]);
    free_in_full_.push_back(static_cast<std::size_t>(c));
  }
  for (std::size_t i = 0; i < exchange_columns_.size(); ++i) {
    const Eigen::Index c = exchange_columns_[i];
    free_columns_.push_back("xch:" + ids[static_cast<std::size_t>(c)]);
    free_in_full_.push_back(static_cast<std::size_t>(n_net_) + i);
    if (!space.is_leak_column(c)) {
      dg_reactions_.push_back(ids[static_cast<std::size_t>(c)]);
      dg_columns_.emplace_back(static_cast<std::size_t>(c), static_cast<std::size_t>(n_net_) + i);
    }
  }
  for (Eigen::Index i = 0; i < n_pools_; ++i) {
    free_columns_.push_back(columns_[static_cast<std::size_t>(n_net_ + nx + i)]);
    free_in_full_.push_back(static_cast<std::size_t>(n_net_ + nx + i));
  }
  exchange_low_ = Eigen::RowVectorXd::Zero(nx);
  exchange_high_ = Eigen::RowVectorXd::Constant(nx, std::numeric_limits<double>::infinity());
  if (model)
    for (std::size_t i = 0; i < exchange_columns_.size(); ++i) {
      const Eigen::Index c = exchange_columns_[i];
      if (space.is_leak_column(c)) continue;
      const Reaction& r = model->reactions[space.column_reaction(c)];
      exchange_low_(static_cast<Eigen::Index>(i)) = std::max(0.0, r.exchange_lower_bound);
      exchange_high_(static_cast<Eigen::Index>(i)) = std::max(exchange_low_(static_cast<Eigen::Index>(i)), r.exchange_upper_bound);
    }
}

Eigen::MatrixXd FluxExpansion::expand(const Eigen::MatrixXd& free) const {
  if (free.cols() != matrix_.cols())
    throw std::invalid_argument("FluxExpansion: " + std::to_string(free.cols()) + " free fluxes, the model has " + std::to_string(matrix_.cols()));
  Eigen::MatrixXd full = free * matrix_.transpose();
  auto x = full.middleCols(n_net_, static_cast<Eigen::Index>(exchange_columns_.size()));
  for (Eigen::Index i = 0; i < x.rows(); ++i) x.row(i) = x.row(i).cwiseMax(exchange_low_).cwiseMin(exchange_high_);
  auto pools = full.rightCols(n_pools_);
  for (Eigen::Index i = 0; i < pools.rows() && n_pools_ > 0; ++i) pools.row(i) = pools.row(i).cwiseMax(pool_low_).cwiseMin(pool_high_);
  return full;
}

Eigen::MatrixXd FluxExpansion::delta_g(const Eigen::MatrixXd& full, double temperature) const {
  Eigen::MatrixXd g(full.rows(), static_cast<Eigen::Index>(dg_columns_.size()));
  for (Eigen::Index i = 0; i < full.rows(); ++i)
    for (std::size_t j = 0; j < dg_columns_.size(); ++j)
      g(i, static_cast<Eigen::Index>(j)) =
          fluxion::learn::delta_g(full(i, static_cast<Eigen::Index>(dg_columns_[j].first)), full(i, static_cast<Eigen::Index>(dg_columns_[j].second)), temperature);
  return g;
}

FluxVector FluxExpansion::flux_vector(const Eigen::VectorXd& full) const {
  FluxVector v;
  v.net = Eigen::VectorXd::Zero(n_columns_);
  v.exchange = Eigen::VectorXd::Zero(n_columns_);
  v.net.head(n_net_) = full.head(n_net_);
  for (std::size_t i = 0; i < exchange_columns_.size(); ++i) v.exchange(exchange_columns_[i]) = full(n_net_ + static_cast<Eigen::Index>(i));
  return v;
}

// ---------------------------------------------------------------------------------------
// Observations

Result<std::vector<Observation>> arrange_observations(const isotope::MidTable& table, const sampling::MidLayout& layout, const std::string& source) {
  using R = Result<std::vector<Observation>>;
  Diagnostics d(source);
  std::map<std::pair<int, std::string>, std::size_t> field_of;
  std::string inputs;
  for (std::size_t f = 0; f < layout.fields.size(); ++f) {
    field_of[{static_cast<int>(layout.fields[f].element), layout.fields[f].metabolite}] = f;
    inputs += (f ? ", " : "") + layout.fields[f].metabolite;
    if (layout.fields[f].element != Element::C) inputs += " (" + std::string(element_symbol(layout.fields[f].element)) + ")";
  }
  std::map<std::string, std::size_t> experiment_of;  // a time course: the tracer experiment's first block
  std::string experiments, times;
  const std::size_t n_times = layout.times.size(), step = std::max<std::size_t>(n_times, 1);
  for (std::size_t x = 0; x < layout.experiments.size(); x += step) {
    const std::string& name = layout.experiments[x];
    const std::string id = n_times > 0 ? name.substr(0, name.rfind('@')) : name;
    experiment_of[id] = x;
    experiments += (x ? ", " : "") + id;
  }
  for (std::size_t k = 0; k < n_times; ++k) times += (k ? ", " : "") + format_number(layout.times[k]);
  std::vector<std::string> replicates;
  for (const auto& m : table.mids)
    if (!m.replicate.empty() && std::find(replicates.begin(), replicates.end(), m.replicate) == replicates.end()) replicates.push_back(m.replicate);
  if (replicates.empty()) replicates.push_back("");
  const std::vector<bool> pad = padding_entries(layout);
  std::vector<Observation> obs;
  for (const auto& r : replicates) {
    Observation o;
    o.replicate = r;
    o.values = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(layout.size()));
    o.sd = Eigen::VectorXd::Constant(static_cast<Eigen::Index>(layout.size()), kNaN);
    o.known = pad;
    obs.push_back(std::move(o));
  }
  std::set<std::tuple<std::size_t, std::size_t, std::string>> seen;  // field, experiment, replicate
  for (const auto& m : table.mids) {
    const std::string el(element_symbol(m.element));
    const std::string what = "'" + m.fragment + "' (" + el + ", experiment '" + m.experiment + "')";
    const auto f = field_of.find({static_cast<int>(m.element), m.fragment});
    if (f == field_of.end()) {
      d.error("metabolite " + what + " is not an input of this predictor; it takes " + inputs, m.line, 0);
      continue;
    }
    const auto found = experiment_of.find(m.experiment);
    if (found == experiment_of.end()) {
      d.error("experiment '" + m.experiment + "' is not one of this predictor's tracer experiments (" + experiments + ")", m.line, 0);
      continue;
    }
    std::size_t block = found->second;
    if (n_times == 0 && m.time >= 0) {
      d.error(what + " has a time (" + format_number(m.time) + "); this predictor takes steady-state MIDs", m.line, 0);
      continue;
    }
    if (n_times > 0) {
      if (m.time < 0) {
        d.error(what + " has no time; this predictor takes time courses: give the table a time column (times " + times + ")", m.line, 0);
        continue;
      }
      std::size_t k = 0;
      while (k < n_times && !(std::abs(layout.times[k] - m.time) <= 1e-9 * std::max(1.0, std::abs(m.time)))) ++k;
      if (k == n_times) {
        d.error(what + " at time " + format_number(m.time) + ": this predictor takes the times " + times, m.line, 0);
        continue;
      }
      block += k;
    }
    const std::size_t x = block;
    const auto& field = layout.fields[f->second];
    if (static_cast<int>(m.fraction.size()) != field.isotopologues) {
      d.error(what + " has " + std::to_string(m.fraction.size()) + " isotopologues (M+0 to M+" + std::to_string(m.fraction.size() - 1) +
                  "); the predictor's " + field.metabolite + " has " + std::to_string(field.isotopologues) + " (M+0 to M+" +
                  std::to_string(field.isotopologues - 1) + ")",
              m.line, 0);
      continue;
    }
    bool complete = true;
    for (std::size_t k = 0; k < m.fraction.size(); ++k)
      if (std::isnan(m.fraction[k])) {
        d.error(what + " lacks M+" + std::to_string(k) + "; give every isotopologue of a MID, or leave the MID out", m.line, 0);
        complete = false;
        break;
      }
    if (!complete) continue;
    for (std::size_t r = 0; r < obs.size(); ++r) {
      if (!m.replicate.empty() && m.replicate != obs[r].replicate) continue;
      if (!seen.insert({f->second, x, obs[r].replicate}).second) {
        d.error(what + " is given both for every replicate and for replicate '" + obs[r].replicate + "'", m.line, 0);
        continue;
      }
      for (int k = 0; k < field.isotopologues; ++k) {
        const auto i = layout.index(f->second, x, k);
        obs[r].values(static_cast<Eigen::Index>(i)) = m.fraction[static_cast<std::size_t>(k)];
        obs[r].sd(static_cast<Eigen::Index>(i)) = m.sd[static_cast<std::size_t>(k)];
        obs[r].known[i] = true;
      }
    }
  }
  if (d.has_errors()) return R::failure(d);
  for (auto& o : obs) {
    o.masked = masked_share(o.known, pad);
    if (o.masked >= 1.0)
      d.error(o.replicate.empty() ? std::string("no MID of the table is an input of this predictor")
                                  : "replicate '" + o.replicate + "' has no MID that is an input of this predictor",
              0, 0);
  }
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(obs), d.items());
}

// ---------------------------------------------------------------------------------------
// The pipeline

PredictionPipeline::PredictionPipeline(const FluxPredictor& predictor, const FluxExpansion& expansion, const ErrorTables* tables,
                                       const KnnImputer* imputer, sampling::MidLayout layout)
    : predictor_(predictor), expansion_(expansion), tables_(tables), imputer_(imputer), layout_(std::move(layout)) {}

const OptionTable<PredictOptions>& PredictOptions::table() {
  static const OptionTable<PredictOptions> t = [] {
    OptionTable<PredictOptions> t;
    t.add("imputer", &PredictOptions::imputer,
          "Imputation of unmeasured MIDs: pcnn, knn, none (complete inputs only), or auto (of the package's imputers, the one whose error table at the "
          "input's masking is tighter)")
        .choices({"auto", "pcnn", "knn", "none"})
        .label("Imputer for unmeasured MIDs")
        .web();
    t.add("knn-k", &PredictOptions::knn_k, "Neighbours of the KNN imputer (default: the package's, 3)").range(1, 1000).no_default();
    t.add("temperature", &PredictOptions::temperature, "Temperature of ΔG = RT ln(v_rev / v_fwd), K").range(1.0, 1000.0).label("Temperature").web("Advanced");
    t.add("mid-sd", &PredictOptions::default_mid_sd, "Standard deviation of a measured fraction where the table gives none (χ² test)")
        .range(1e-9, 1.0)
        .label("MID standard deviation")
        .web();
    return t;
  }();
  return t;
}

std::vector<Diagnostic> PredictOptions::validate() const {
  Diagnostics d("prediction options");
  d.append(table().check(*this, "prediction options"));
  return d.items();
}

Result<PredictionReport> PredictionPipeline::run(const std::vector<Observation>& observations, const PredictOptions& o) const {
  using R = Result<PredictionReport>;
  auto fail = [](const std::string& what) { return R::failure({Diagnostic{Severity::error, "prediction", 0, 0, {}, what}}); };
  if (observations.empty()) return fail("no measurements");
  if (auto problems = o.validate(); !problems.empty()) return R::failure(problems);
  // auto: the tighter error table at this masking — the geometric mean over net fluxes of
  // se_knn / se_pcnn (scale-free: a flux of 1,000 does not outvote one of 0.1)
  auto choose = [&](double masked) -> std::string {
    if (!pcnn_ || !imputer_) return pcnn_ ? "pcnn" : "knn";
    const ErrorLevel* lp = tables_ ? tables_->match("pcnn", masked) : nullptr;
    const ErrorLevel* lk = tables_ ? tables_->match("knn", masked) : nullptr;
    if (!lp || !lk) return "pcnn";
    double log_ratio = 0;
    for (std::size_t j = 0; j < tables_->columns.size(); ++j) {
      const double k = lk->half_width_68[j], p = lp->half_width_68[j];
      if (tables_->columns[j].rfind("net:", 0) == 0 && std::isfinite(k) && std::isfinite(p) && k > 0 && p > 0) log_ratio += std::log(k / p);
    }
    return log_ratio < 0 ? "knn" : "pcnn";
  };
  PredictionReport rep;
  rep.columns = expansion_.columns();
  rep.dg_reactions = expansion_.dg_reactions();
  const auto n = static_cast<Eigen::Index>(observations.size());
  const auto nc = static_cast<Eigen::Index>(rep.columns.size()), ng = static_cast<Eigen::Index>(rep.dg_reactions.size());
  Eigen::MatrixXd inputs(n, static_cast<Eigen::Index>(layout_.size()));
  for (Eigen::Index r = 0; r < n; ++r) {
    const Observation& ob = observations[static_cast<std::size_t>(r)];
    ReplicatePrediction p;
    p.replicate = ob.replicate;
    p.masked = ob.masked;
    if (ob.masked > 0) {
      if (o.imputer == "none")
        return fail((ob.replicate.empty() ? std::string("the input") : "replicate '" + ob.replicate + "'") +
                    " is incomplete and no imputer was chosen (give every MID of every experiment, or use --imputer knn)");
      if (o.imputer == "auto" && !pcnn_ && !imputer_)
        return fail("this predictor package holds no imputer (neither PCNN nor KNN reference patterns); give --knn-reference DATASET");
      p.imputer = o.imputer == "auto" ? choose(ob.masked) : o.imputer;
      if (p.imputer == "knn" && !imputer_) return fail("this predictor package holds no KNN reference patterns; give --knn-reference DATASET");
      if (p.imputer == "pcnn" && !pcnn_) return fail("this predictor package holds no PCNN imputer; use --imputer knn");
      Imputation im = p.imputer == "pcnn" ? pcnn_->impute(ob.values, ob.known) : imputer_->impute(ob.values, ob.known);
      p.inputs = std::move(im.values);
      p.delta_n = im.delta_n;
    } else {
      p.inputs = ob.values;
      p.delta_n = ob.values.sum() - static_cast<double>(layout_.fields.size() * layout_.experiments.size());
    }
    inputs.row(r) = p.inputs.transpose();
    if (tables_) p.level = tables_->match(p.imputer, ob.masked);
    rep.replicates.push_back(std::move(p));
  }
  const Eigen::MatrixXd free = predictor_.predict(inputs);
  const Eigen::MatrixXd full = expansion_.expand(free);
  const Eigen::MatrixXd dg = expansion_.delta_g(full, o.temperature);
  for (Eigen::Index r = 0; r < n; ++r) {
    auto& p = rep.replicates[static_cast<std::size_t>(r)];
    p.free = free.row(r).transpose();
    p.full = full.row(r).transpose();
    p.dg = dg.row(r).transpose();
  }
  // mean, spread and standard errors
  const double nn = static_cast<double>(n);
  rep.mean = full.colwise().mean().transpose();
  rep.sd = Eigen::VectorXd::Zero(nc);
  if (n > 1) rep.sd = ((full.rowwise() - rep.mean.transpose()).array().square().colwise().sum() / (nn - 1)).sqrt().transpose();
  rep.se = Eigen::VectorXd::Constant(nc, kNaN);
  bool tables_for_all = tables_ != nullptr;
  for (const auto& p : rep.replicates) tables_for_all = tables_for_all && p.level;
  if (tables_for_all) {
    for (Eigen::Index j = 0; j < nc; ++j) {
      double s2 = 0;
      for (const auto& p : rep.replicates) s2 += std::pow(p.level->half_width_68[static_cast<std::size_t>(j)], 2) / nn;
      rep.se(j) = std::sqrt(s2 + rep.sd(j) * rep.sd(j) / nn);
    }
  }
  rep.dg_mean = Eigen::VectorXd::Constant(ng, kNaN);
  rep.dg_sd = Eigen::VectorXd::Constant(ng, kNaN);
  rep.dg_se = Eigen::VectorXd::Constant(ng, kNaN);
  for (Eigen::Index j = 0; j < ng; ++j) {
    std::vector<double> v;
    double s2 = 0;
    for (Eigen::Index r = 0; r < n; ++r)
      if (std::isfinite(dg(r, j))) {
        v.push_back(dg(r, j));
        if (tables_for_all) s2 += std::pow(rep.replicates[static_cast<std::size_t>(r)].level->dg_half_width_68[static_cast<std::size_t>(j)], 2);
      }
    if (v.empty()) continue;
    const double m = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    double ss = 0;
    for (double x : v) ss += (x - m) * (x - m);
    rep.dg_mean(j) = m;
    rep.dg_sd(j) = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
    if (tables_for_all) rep.dg_se(j) = std::sqrt(s2 / static_cast<double>(v.size()) + rep.dg_sd(j) * rep.dg_sd(j) / static_cast<double>(v.size()));
  }
  if (!tables_) rep.warnings.push_back({Severity::warning, "prediction", 0, 0, {}, "the predictor package has no error tables: no standard errors"});

  // the measured MIDs against those of the mean fluxes
  if (simulate_) {
    auto sim = simulate_(rep.mean);
    if (!sim) {
      rep.warnings.push_back({Severity::warning, "prediction", 0, 0, {}, "the MIDs of the predicted fluxes could not be simulated: no goodness of fit"});
    } else {
      GoodnessOfFit g;
      g.simulated = *sim;
      const std::vector<bool> pad = padding_entries(layout_);
      for (const auto& ob : observations)
        for (std::size_t i = 0; i < layout_.size(); ++i) {
          if (pad[i] || !ob.known[i]) continue;
          const double sd = std::isnan(ob.sd(static_cast<Eigen::Index>(i))) ? o.default_mid_sd : ob.sd(static_cast<Eigen::Index>(i));
          const double z = (ob.values(static_cast<Eigen::Index>(i)) - g.simulated(static_cast<Eigen::Index>(i))) / sd;
          g.ssr += z * z;
          ++g.measurements;
        }
      g.parameters = static_cast<long>(expansion_.free_columns().size());
      g.dof = std::max(1L, g.measurements - g.parameters);
      g.critical = chi_squared_critical(static_cast<double>(g.dof));
      g.p_value = chi_squared_upper_tail(g.ssr, static_cast<double>(g.dof));
      g.accepted = g.ssr <= g.critical;
      rep.fit = std::move(g);
    }
  }
  return R::success(std::move(rep));
}

// ---------------------------------------------------------------------------------------
// Simulated MIDs in a layout

// The traced elements of the package's dataset: its EMU networks and tracer experiments.
Result<std::vector<isotope::TracedElement>> package_traced_elements(const Model& model, const FluxSpace& space, const sampling::DatasetProvenance& provenance,
                                                   const sampling::MidLayout& layout) {
  using R = Result<std::vector<isotope::TracedElement>>;
  auto table = io::read_tracer_table(provenance.experiments_table, "the package's tracer table");
  if (!table) return R::failure(table.diagnostics());
  auto labelling = isotope::natural_abundance_labelling(model, {provenance.natural_abundance},
                                               "the package's natural abundance");
  if (!labelling) return R::failure(labelling.diagnostics());
  auto elements = isotope::traced_element_list(provenance.elements, table.value().experiments, "predictor package");
  if (!elements) return R::failure(elements.diagnostics());
  std::vector<isotope::TracedElementSpec> specs;
  for (Element el : elements.value()) {
    specs.push_back({el, {}});
    for (const auto& f : layout.fields)
      if (f.element == el) specs.back().measured.push_back(f.metabolite);
  }
  auto out = isotope::build_traced_elements(model, space, specs, table.value().experiments, labelling.value());
  if (!out) return R::failure(out.diagnostics());
  return R::success(std::move(out.value()));
}

LayoutSimulator::LayoutSimulator(sampling::MidLayout layout, std::vector<isotope::TracedElement> elements) : layout_(std::move(layout)), elements_(std::move(elements)) {
  std::vector<bool> covered(layout_.fields.size(), false);
  for (const auto& e : elements_) {
    simulators_.emplace_back(e.model);
    std::vector<std::size_t> fields;
    for (const auto& id : e.model.measured_ids()) {
      std::size_t f = 0;
      while (f < layout_.fields.size() && !(layout_.fields[f].element == e.model.element() && layout_.fields[f].metabolite == id)) ++f;
      if (f == layout_.fields.size()) throw std::invalid_argument("LayoutSimulator: output " + id + " is not in the layout");
      covered[f] = true;
      fields.push_back(f);
    }
    field_of_.push_back(std::move(fields));
  }
  for (std::size_t f = 0; f < covered.size(); ++f)
    if (!covered[f]) throw std::invalid_argument("LayoutSimulator: no simulator gives " + layout_.fields[f].metabolite);
}

LayoutSimulator::LayoutSimulator(sampling::MidLayout layout, std::vector<isotope::TracedElement> elements, const Model& model,
                                 const sampling::TimeCourse& tc)
    : LayoutSimulator(std::move(layout), std::move(elements)) {
  if (!tc.active()) return;
  if (layout_.times != tc.times) throw std::invalid_argument("LayoutSimulator: the layout's times are not the time course's");
  inst_.times = tc.times;
  inst_.tolerance = tc.tolerance;
  pool_sizes_.assign(model.metabolites.size(), 0.0);
  std::vector<Eigen::Index> output_of(model.metabolites.size(), -1);  // drawn pool → its output column
  for (const auto& p : tc.pools) {
    const auto m = model.metabolite_index(p.metabolite);
    if (!m) throw std::invalid_argument("LayoutSimulator: pool " + p.metabolite + " is not a metabolite of model " + model.id);
    pool_sizes_[*m] = p.lower;
    if (p.drawn()) {
      output_of[*m] = static_cast<Eigen::Index>(drawn_metabolites_.size());
      drawn_metabolites_.push_back(*m);
    }
  }
  for (const auto& e : elements_) {
    isotope::InstationaryOptions o = inst_;
    std::vector<Eigen::Index> columns;
    for (std::size_t m : e.model.pool_metabolites()) {
      if (!(pool_sizes_[m] > 0)) throw std::invalid_argument("LayoutSimulator: the time course gives no pool size for " + model.metabolites[m].id);
      o.pool_sensitivities.push_back(output_of[m] >= 0);
      if (output_of[m] >= 0) columns.push_back(output_of[m]);
    }
    element_inst_.push_back(std::move(o));
    pool_column_of_.push_back(std::move(columns));
  }
}

std::optional<Eigen::VectorXd> LayoutSimulator::simulate(const FluxVector& v) { return simulate(v, nullptr); }

std::optional<Eigen::VectorXd> LayoutSimulator::simulate(const FluxVector& v, Eigen::MatrixXd* jacobian) {
  if (time_course()) return std::nullopt;  // needs the pools
  return simulate(v, Eigen::VectorXd(), jacobian);
}

std::optional<Eigen::VectorXd> LayoutSimulator::simulate(const FluxVector& v, const Eigen::VectorXd& pools, Eigen::MatrixXd* jacobian) {
  Eigen::VectorXd out = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(layout_.size()));
  if (time_course()) {
    if (pools.size() != static_cast<Eigen::Index>(drawn_metabolites_.size())) return std::nullopt;
    for (std::size_t j = 0; j < drawn_metabolites_.size(); ++j) {
      if (!(pools(static_cast<Eigen::Index>(j)) > 0)) return std::nullopt;
      pool_sizes_[drawn_metabolites_[j]] = pools(static_cast<Eigen::Index>(j));
    }
    const std::size_t n_times = inst_.times.size();
    std::vector<isotope::MidSet> series;
    std::vector<Eigen::MatrixXd> blocks;
    for (std::size_t e = 0; e < simulators_.size(); ++e) {
      try {
        if (simulators_[e].simulate_instationary(v, pool_sizes_, elements_[e].inputs, element_inst_[e], series, jacobian ? &blocks : nullptr) !=
            isotope::SimulationStatus::ok)
          return std::nullopt;
      } catch (const std::exception&) {
        return std::nullopt;
      }
      const Eigen::Index n_flux = jacobian ? blocks.front().cols() - static_cast<Eigen::Index>(pool_column_of_[e].size()) : 0;
      if (jacobian && e == 0) jacobian->setZero(out.size(), n_flux + static_cast<Eigen::Index>(drawn_metabolites_.size()));
      for (std::size_t k = 0; k < n_times; ++k) {
        const isotope::MidSet& mids = series[k];
        if (static_cast<std::size_t>(mids.n_experiments) * n_times != layout_.experiments.size()) return std::nullopt;
        for (int x = 0; x < mids.n_experiments; ++x)
          for (std::size_t m = 0; m < field_of_[e].size(); ++m) {
            const auto mid = mids.mid(x, m);
            const std::size_t first = static_cast<std::size_t>(mid.data() - mids.values.data());
            for (std::size_t q = 0; q < mid.size(); ++q) {
              const auto at = static_cast<Eigen::Index>(layout_.index(field_of_[e][m], static_cast<std::size_t>(x) * n_times + k, static_cast<int>(q)));
              out(at) = mid[q];
              if (!jacobian) continue;
              const auto row = static_cast<Eigen::Index>(first + q);
              jacobian->row(at).head(n_flux) = blocks[k].row(row).head(n_flux);
              for (std::size_t c = 0; c < pool_column_of_[e].size(); ++c)
                (*jacobian)(at, n_flux + pool_column_of_[e][c]) = blocks[k](row, n_flux + static_cast<Eigen::Index>(c));
            }
          }
      }
    }
    return out;
  }
  Eigen::MatrixXd block;
  for (std::size_t e = 0; e < simulators_.size(); ++e) {
    isotope::MidSet mids;
    if (simulators_[e].simulate(v, elements_[e].inputs, mids, jacobian ? &block : nullptr) != isotope::SimulationStatus::ok) return std::nullopt;
    if (static_cast<std::size_t>(mids.n_experiments) != layout_.experiments.size()) return std::nullopt;
    if (jacobian && e == 0) jacobian->setZero(out.size(), block.cols());
    for (std::size_t x = 0; x < layout_.experiments.size(); ++x)
      for (std::size_t m = 0; m < field_of_[e].size(); ++m) {
        const auto mid = mids.mid(static_cast<int>(x), m);
        const std::size_t first = static_cast<std::size_t>(mid.data() - mids.values.data());
        for (std::size_t q = 0; q < mid.size(); ++q) {
          const auto at = static_cast<Eigen::Index>(layout_.index(field_of_[e][m], x, static_cast<int>(q)));
          out(at) = mid[q];
          if (jacobian) jacobian->row(at) = block.row(static_cast<Eigen::Index>(first + q));
        }
      }
  }
  return out;
}

}  // namespace fluxion::learn
