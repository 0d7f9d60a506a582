#include "fluxion/cbm/expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace fluxion::cbm {

namespace {

using Index = Eigen::Index;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool rule_active(const GprNode& n, const std::unordered_set<std::string>& off) {
  switch (n.kind) {
    case GprNode::Kind::gene: return !off.count(canonical_gene_id(n.gene));
    case GprNode::Kind::all_of:
      return std::all_of(n.children.begin(), n.children.end(), [&](const GprNode& c) { return rule_active(c, off); });
    case GprNode::Kind::any_of:
      return std::any_of(n.children.begin(), n.children.end(), [&](const GprNode& c) { return rule_active(c, off); });
  }
  return true;
}

// NaN when none of the rule's genes has a value
double rule_value(const GprNode& n, const std::unordered_map<std::string, double>& value, const ExpressionOptions& o) {
  if (n.kind == GprNode::Kind::gene) {
    auto it = value.find(canonical_gene_id(n.gene));
    return it == value.end() ? kNaN : it->second;
  }
  std::vector<double> v;
  for (const auto& c : n.children) {
    const double x = rule_value(c, value, o);
    if (!std::isnan(x)) v.push_back(x);
  }
  if (v.empty()) return kNaN;
  const double k = static_cast<double>(v.size());
  if (n.kind == GprNode::Kind::all_of) {
    switch (o.and_rule) {
      case AndRule::geometric_mean: {
        double log_sum = 0.0;
        for (double x : v) {
          if (x <= 0.0) return 0.0;
          log_sum += std::log(x);
        }
        return std::exp(log_sum / k);
      }
      case AndRule::minimum: return *std::min_element(v.begin(), v.end());
      case AndRule::product: {
        double p = 1.0;
        for (double x : v) p *= x;
        return p;
      }
    }
  }
  switch (o.or_rule) {
    case OrRule::arithmetic_mean: {
      double s = 0.0;
      for (double x : v) s += x;
      return s / k;
    }
    case OrRule::maximum: return *std::max_element(v.begin(), v.end());
    case OrRule::sum: {
      double s = 0.0;
      for (double x : v) s += x;
      return s;
    }
  }
  return kNaN;
}

void collect(const GprNode& n, std::unordered_set<std::string>& out) {
  if (n.kind == GprNode::Kind::gene) out.insert(canonical_gene_id(n.gene));
  for (const auto& c : n.children) collect(c, out);
}

// Every reaction's parsed rule (nullopt: none); the genes they name go to `named`.
std::vector<std::optional<GprNode>> parse_rules(const Model& model, Diagnostics& d, std::unordered_set<std::string>& named) {
  std::vector<std::optional<GprNode>> rules(model.reactions.size());
  for (std::size_t j = 0; j < model.reactions.size(); ++j) {
    auto p = parse_gpr(model.reactions[j].gpr);
    if (!p.ok()) {
      d.error(p.message(), 0, 0, "reaction '" + model.reactions[j].id + "'");
      continue;
    }
    rules[j] = std::move(p.value());
    if (rules[j]) collect(*rules[j], named);
  }
  return rules;
}

}  // namespace

std::string canonical_gene_id(std::string_view id) {
  if (id.size() > 2 && id.substr(0, 2) == "G_") id.remove_prefix(2);
  if (auto p = id.rfind("_AT"); p != std::string_view::npos && p > 0 && all_digits(id.substr(p + 3))) id = id.substr(0, p);
  else if (auto q = id.rfind('.'); q != std::string_view::npos && q > 0 && all_digits(id.substr(q + 1))) id = id.substr(0, q);
  return std::string(id);
}

Result<KnockoutSet> knockout_reactions(const Model& model, const std::vector<std::string>& reactions, const std::vector<std::string>& genes) {
  using R = Result<KnockoutSet>;
  KnockoutSet out;
  for (const auto& id : reactions) {
    const auto r = model.reaction_index(id);
    if (!r) return R::failure({Diagnostic{Severity::error, "--knockout", 0, 0, {}, "'" + id + "' is not a reaction of the model"}});
    out.reactions.push_back(*r);
  }
  if (!genes.empty()) {
    auto g = gene_knockout_reactions(model, genes);
    if (!g) return R::failure(g.diagnostics());
    out.by_genes = std::move(g).value();
  }
  return R::success(std::move(out));
}

Result<std::vector<std::size_t>> gene_knockout_reactions(const Model& model, const std::vector<std::string>& genes) {
  Diagnostics d("gene knockouts");
  std::unordered_set<std::string> off, named;
  for (const auto& g : genes) off.insert(canonical_gene_id(g));
  const auto rules = parse_rules(model, d, named);
  for (const auto& g : genes)
    if (!named.count(canonical_gene_id(g))) d.error("gene '" + g + "' appears in no GPR rule of model '" + model.id + "'");
  if (d.has_errors()) return Result<std::vector<std::size_t>>::failure(d);
  std::vector<std::size_t> out;
  for (std::size_t j = 0; j < rules.size(); ++j)
    if (rules[j] && !rule_active(*rules[j], off)) out.push_back(j);
  return Result<std::vector<std::size_t>>::success(std::move(out));
}

const OptionTable<ExpressionOptions>& ExpressionOptions::table() {
  static const OptionTable<ExpressionOptions> t = [] {
    OptionTable<ExpressionOptions> t;
    t.add_enum("and", &ExpressionOptions::and_rule, {{"geometric", AndRule::geometric_mean}, {"min", AndRule::minimum}, {"product", AndRule::product}},
               "How AND (complexes) combines gene values");
    t.add_enum("or", &ExpressionOptions::or_rule, {{"mean", OrRule::arithmetic_mean}, {"max", OrRule::maximum}, {"sum", OrRule::sum}},
               "How OR (isozymes) combines gene values");
    t.add("min-nonzero", &ExpressionOptions::min_nonzero_fraction, "Drop genes non-zero in fewer than this fraction of samples").range(0.0, 1.0);
    return t;
  }();
  return t;
}

std::vector<Diagnostic> ExpressionOptions::validate() const { return table().check(*this, "expression options"); }

Result<ReactionActivity> reaction_activity(const Model& model, const std::vector<std::string>& genes, const Eigen::MatrixXd& expression,
                                           const ExpressionOptions& o) {
  if (auto problems = o.validate(); !problems.empty()) return Result<ReactionActivity>::failure(problems);
  Diagnostics d("gene expression");
  ReactionActivity out;
  const Index ns = expression.cols();
  out.genes_in_data = genes.size();
  if (static_cast<Index>(genes.size()) != expression.rows()) {
    d.error("the expression matrix has " + std::to_string(expression.rows()) + " rows but " + std::to_string(genes.size()) + " gene ids");
    return Result<ReactionActivity>::failure(d);
  }
  if (ns == 0) {
    d.error("the expression table has no samples");
    return Result<ReactionActivity>::failure(d);
  }
  // 1. genes expressed in too few samples
  std::vector<Index> kept;
  for (Index g = 0; g < expression.rows(); ++g) {
    const double nonzero = static_cast<double>((expression.row(g).array() != 0.0).count());
    if (nonzero >= o.min_nonzero_fraction * static_cast<double>(ns)) kept.push_back(g);
  }
  out.genes_kept = kept.size();
  Eigen::MatrixXd x(static_cast<Index>(kept.size()), ns);
  for (std::size_t k = 0; k < kept.size(); ++k) x.row(static_cast<Index>(k)) = expression.row(kept[k]);
  const Index ng = x.rows();
  // 2. quantile normalisation, then [0, 1]
  if (o.quantile_normalise && ng > 0) {
    std::vector<std::vector<Index>> order(static_cast<std::size_t>(ns));
    Eigen::VectorXd reference = Eigen::VectorXd::Zero(ng);
    for (Index s = 0; s < ns; ++s) {
      auto& ord = order[static_cast<std::size_t>(s)];
      ord.resize(static_cast<std::size_t>(ng));
      std::iota(ord.begin(), ord.end(), 0);
      std::stable_sort(ord.begin(), ord.end(), [&](Index a, Index b) { return x(a, s) < x(b, s); });
      for (Index i = 0; i < ng; ++i) reference(i) += x(ord[static_cast<std::size_t>(i)], s) / static_cast<double>(ns);
    }
    for (Index s = 0; s < ns; ++s)
      for (Index i = 0; i < ng; ++i) x(order[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)], s) = reference(i);
  }
  if (ng > 0) {
    const double lo = x.minCoeff(), hi = x.maxCoeff();
    x = hi > lo ? Eigen::MatrixXd((x.array() - lo) / (hi - lo)) : Eigen::MatrixXd::Zero(ng, ns);
  }
  // 3. rules
  std::unordered_map<std::string, Index> row_of;
  for (std::size_t k = 0; k < kept.size(); ++k) {
    const std::string id = canonical_gene_id(genes[static_cast<std::size_t>(kept[k])]);
    if (!row_of.emplace(id, static_cast<Index>(k)).second) d.warning("gene '" + id + "' has more than one row; the first is used");
  }
  std::unordered_set<std::string> named;
  const auto rules = parse_rules(model, d, named);
  if (d.has_errors()) return Result<ReactionActivity>::failure(d);
  out.model_genes = named.size();
  for (const auto& g : named) out.model_genes_found += row_of.count(g);
  out.activity = Eigen::MatrixXd::Constant(static_cast<Index>(model.reactions.size()), ns, kNaN);
  std::unordered_map<std::string, double> value;
  for (Index s = 0; s < ns; ++s) {
    value.clear();
    for (const auto& [id, row] : row_of) value.emplace(id, x(row, s));
    for (std::size_t j = 0; j < rules.size(); ++j)
      if (rules[j]) out.activity(static_cast<Index>(j), s) = rule_value(*rules[j], value, o);
  }
  for (Index j = 0; j < out.activity.rows(); ++j) out.reactions_scored += !std::isnan(out.activity(j, 0));
  if (out.model_genes > 0 && out.model_genes_found == 0)
    d.warning("none of the model's " + std::to_string(out.model_genes) +
              " genes is in the expression table (ids are compared after dropping 'G_' and transcript suffixes)");
  return Result<ReactionActivity>::success(std::move(out), d.items());
}

Eigen::MatrixXd activity_to_flux(const Eigen::MatrixXd& activity, const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                                 std::vector<bool>& scored) {
  const Index r = activity.rows(), ns = activity.cols();
  Eigen::MatrixXd out(r, ns);
  scored.assign(static_cast<std::size_t>(r), false);
  for (Index j = 0; j < r; ++j) {
    const double lb = lower(j), ub = upper(j);
    const bool forward = lb >= 0.0, backward = ub <= 0.0;
    const bool has = ns > 0 && !std::isnan(activity(j, 0)) && (forward || backward) && std::isfinite(lb) && std::isfinite(ub);
    scored[static_cast<std::size_t>(j)] = has;
    for (Index s = 0; s < ns; ++s) {
      const double a = activity(j, s);
      if (!has || std::isnan(a)) out(j, s) = std::isfinite(lb) && std::isfinite(ub) ? 0.5 * (lb + ub) : 0.0;
      else out(j, s) = forward ? lb + a * (ub - lb) : ub + a * (lb - ub);
    }
  }
  return out;
}

}  // namespace fluxion::cbm
