#include "fluxion/io/flux_table.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "fluxion/core/format.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "text.hpp"

namespace fluxion::io {

using namespace detail;

Result<FluxVector> read_flux_table(std::string_view text, const std::string& source, const Model& model,
                                   const FluxSpace& space) {
  Diagnostics d(source);
  TableReader t(text);
  if (!t.read_header(d, {"reaction", "net"}, {}, "reaction, net, exchange")) return Result<FluxVector>::failure(d);
  std::map<Eigen::Index, double> net, xch;
  std::map<Eigen::Index, int> line_of;
  std::map<std::string, Eigen::Index> column_by_id;
  for (Eigen::Index c = 0; c < space.n_columns(); ++c) column_by_id[space.column_ids()[static_cast<std::size_t>(c)]] = c;
  while (t.next()) {
    const int ln = t.line();
    const std::string id(t.get("reaction"));
    auto it = column_by_id.find(id);
    if (it == column_by_id.end()) {
      d.error("unknown reaction '" + id + "'", ln, t.column("reaction"));
      continue;
    }
    if (line_of.count(it->second)) {
      d.error("reaction '" + id + "' is listed twice (first on line " + std::to_string(line_of[it->second]) + ")", ln,
              t.column("reaction"));
      continue;
    }
    line_of[it->second] = ln;
    const std::string_view n = t.get("net");
    if (n.empty()) {
      // an exchange flux alone
    } else if (auto v = parse_number(n); v && std::isfinite(*v)) {
      net[it->second] = *v;
    } else {
      d.error("net flux '" + std::string(n) + "' is not a finite number", ln, t.column("net"));
    }
    const std::string_view x = t.get("exchange");
    if (!x.empty() && x != "NA") {  // NA: none (fluxion's own outputs write it for one-way reactions)
      auto v = parse_number(x);
      if (!v || !std::isfinite(*v) || *v < 0) d.error("exchange flux '" + std::string(x) + "' must be a number >= 0", ln, t.column("exchange"));
      else xch[it->second] = *v;
    }
  }
  if (d.has_errors()) return Result<FluxVector>::failure(d);

  FluxVector v;
  v.net = Eigen::VectorXd::Zero(space.n_columns());
  v.exchange = Eigen::VectorXd::Zero(space.n_columns());
  const auto& free = space.free_net_columns();
  bool all_free = true;
  for (auto f : free) all_free = all_free && net.count(f);
  const bool complete = static_cast<Eigen::Index>(net.size()) == space.n_reactions();
  if (all_free && !complete) {
    // the free fluxes decide; any other value given must agree with them
    Eigen::VectorXd f(space.n_free_net());
    for (std::size_t k = 0; k < free.size(); ++k) f(static_cast<Eigen::Index>(k)) = net[free[k]];
    v.net = space.net_kernel() * f;
    const double scale = std::max(1.0, v.net.cwiseAbs().maxCoeff());
    for (const auto& [c, value] : net)
      if (std::fabs(value - v.net(c)) > kSteadyStateTolerance * scale)
        d.error("net flux " + format_number(value) + " of '" + space.column_ids()[static_cast<std::size_t>(c)] +
                    "' contradicts the free fluxes, which give " + format_number(v.net(c)),
                line_of[c], 0);
    if (d.has_errors()) return Result<FluxVector>::failure(d);
  } else {
    std::string missing;
    int n_missing = 0;
    for (Eigen::Index c = 0; c < space.n_reactions(); ++c)
      if (!net.count(c)) {
        if (++n_missing <= 10) missing += (missing.empty() ? "" : ", ") + space.column_ids()[static_cast<std::size_t>(c)];
      } else {
        v.net(c) = net[c];
      }
    if (n_missing > 0) {
      d.error("give a net flux for every reaction, or for exactly the free fluxes (" + std::to_string(space.n_free_net()) +
              "); missing: " + missing + (n_missing > 10 ? " and " + std::to_string(n_missing - 10) + " more" : ""));
      return Result<FluxVector>::failure(d);
    }
    const double scale = std::max(1.0, v.net.cwiseAbs().maxCoeff());
    const double residual = space.steady_state_residual(v.net);
    if (residual > kSteadyStateTolerance * scale) {
      // name the worst metabolite
      const Eigen::VectorXd r = space.stoichiometry() * v.net;
      Eigen::Index worst = 0;
      r.cwiseAbs().maxCoeff(&worst);
      const auto& met = model.metabolites[space.balanced_metabolites()[static_cast<std::size_t>(worst)]].id;
      d.error("the net fluxes are not at steady state: metabolite '" + met + "' is produced " +
              format_number(r(worst)) + " faster than it is consumed");
      return Result<FluxVector>::failure(d);
    }
  }
  std::string no_xch;
  for (auto c : space.exchange_columns()) {
    if (xch.count(c)) v.exchange(c) = xch[c];
    else no_xch += (no_xch.empty() ? "" : ", ") + space.column_ids()[static_cast<std::size_t>(c)];
  }
  for (const auto& [c, value] : xch)
    if (std::find(space.exchange_columns().begin(), space.exchange_columns().end(), c) == space.exchange_columns().end() && value != 0)
      d.warning("reaction '" + space.column_ids()[static_cast<std::size_t>(c)] + "' has no exchange flux in this model; its exchange " +
                format_number(value) + " is ignored", line_of[c], 0);
  if (!no_xch.empty()) d.warning("no exchange flux given for " + no_xch + "; taken as 0");
  return Result<FluxVector>::success(std::move(v), d.items());
}

Result<FluxVector> load_flux_table(const std::string& path, const Model& model, const FluxSpace& space) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<FluxVector>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_flux_table(*text, path, model, space);
}

std::string write_flux_table(const FluxSpace& space, const FluxVector& fluxes) {
  const auto n = static_cast<std::size_t>(space.n_columns());
  return write_flux_results(space.column_ids(), {{"net", {fluxes.net.data(), fluxes.net.data() + n}},
                                                 {"exchange", {fluxes.exchange.data(), fluxes.exchange.data() + n}}});
}

std::string write_flux_results(const std::vector<std::string>& reactions, const std::vector<FluxResultColumn>& columns) {
  std::string out = "reaction";
  for (const auto& c : columns) out += '\t' + c.name;
  out += '\n';
  for (std::size_t i = 0; i < reactions.size(); ++i) {
    out += reactions[i];
    for (const auto& c : columns) {
      const double v = i < c.values.size() ? c.values[i] : std::numeric_limits<double>::quiet_NaN();
      out += '\t';
      out += std::isfinite(v) ? fluxion::format_number(v) : std::string("NA");  // %.10g, as every result table
    }
    out += '\n';
  }
  return out;
}

Result<std::vector<MeasuredFlux>> read_measured_fluxes(std::string_view text, const std::string& source, const FluxSpace& space) {
  using R = Result<std::vector<MeasuredFlux>>;
  Diagnostics d(source);
  TableReader t(text);
  if (!t.read_header(d, {"flux", "value", "sd"}, {}, "flux, value, sd")) return R::failure(d);
  std::map<std::string, Eigen::Index> column_by_id;
  for (Eigen::Index c = 0; c < space.n_columns(); ++c) column_by_id[space.column_ids()[static_cast<std::size_t>(c)]] = c;
  std::vector<MeasuredFlux> out;
  while (t.next()) {
    const int ln = t.line();
    std::string id(t.get("flux"));
    const bool exchange = id.size() > 5 && id.substr(0, 4) == "xch(" && id.back() == ')';
    const std::string reaction = exchange ? id.substr(4, id.size() - 5) : id;
    auto it = column_by_id.find(reaction);
    std::vector<FluxTerm> terms;
    if (it == column_by_id.end()) {
      // a linear combination ("IN_Gln - EX_OGA_Gln": uptake net of secretion)
      std::string error;
      int column = 0;
      if (id.find_first_of("+-* ()") == std::string::npos) {
        d.error("unknown reaction '" + reaction + "'", ln, t.column("flux"));
        continue;
      }
      if (!parse_flux_expression(id, space, terms, error, column)) {
        d.error("flux '" + id + "': " + error, ln, t.column("flux") + std::max(0, column - 1));
        continue;
      }
    } else if (exchange) {
      const auto& ex = space.exchange_columns();
      if (!std::binary_search(ex.begin(), ex.end(), it->second)) {
        d.error("'" + reaction + "' has no exchange flux (it cannot run backwards)", ln, t.column("flux"));
        continue;
      }
    }
    const auto value = parse_number(t.get("value"));
    if (!value || !std::isfinite(*value)) {
      d.error("value '" + std::string(t.get("value")) + "' is not a finite number", ln, t.column("value"));
      continue;
    }
    const auto sd = parse_number(t.get("sd"));
    if (!sd || !std::isfinite(*sd) || !(*sd > 0)) {
      d.error("sd '" + std::string(t.get("sd")) + "' is not a number > 0", ln, t.column("sd"));
      continue;
    }
    if (terms.empty()) terms.push_back(FluxTerm{it->second, exchange, 1.0});
    out.push_back({id, std::move(terms), *value, *sd, ln, source});
  }
  if (out.empty() && !d.has_errors()) d.error("no measured fluxes", 0, 0);
  if (d.has_errors()) return R::failure(d);
  return R::success(std::move(out), d.items());
}

Result<std::vector<MeasuredFlux>> load_measured_fluxes(const std::string& path, const FluxSpace& space) {
  std::string error;
  auto text = read_file(path, error);
  if (!text) return Result<std::vector<MeasuredFlux>>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return read_measured_fluxes(*text, path, space);
}

}  // namespace fluxion::io
