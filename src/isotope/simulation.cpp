#include "fluxion/isotope/simulation.hpp"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "fluxion/core/format.hpp"
#include "fluxion/isotope/emu.hpp"

namespace fluxion::isotope {

namespace {

std::string fraction_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", std::fabs(v) < 1e-15 ? 0.0 : v);
  return buf;
}

std::string key(const SimulatedMid& m, std::size_t i, bool timed) {
  return m.experiment + '\t' + std::string(element_symbol(m.element)) + '\t' + m.metabolite + '\t' + (timed ? format_number(m.time) + '\t' : "") +
         std::to_string(i);
}

bool timed(const std::vector<SimulatedMid>& mids) {
  return std::any_of(mids.begin(), mids.end(), [](const SimulatedMid& m) { return m.time >= 0; });
}

}  // namespace

Result<SimulatedMids> simulate_mids(const Model& model, const FluxSpace& space, const FluxVector& fluxes, const std::vector<TracerExperiment>& experiments,
                                    const SubstrateLabelling& labelling, const SimulationRequest& request) {
  using R = Result<SimulatedMids>;
  SimulatedMids out;
  const bool instationary = !request.times.empty();
  InstationaryOptions inst;
  if (instationary) {
    inst.times = request.times;
    inst.tolerance = request.tolerance;
    inst.natural_abundance = !labelling.natural_abundance.empty();
    if (auto problems = inst.validate(); !problems.empty()) return R::failure(problems);
    if (request.pools.size() != model.metabolites.size())
      return R::failure({Diagnostic{Severity::error, "simulate", 0, 0, "pools", "give one pool size per model metabolite"}});
  }
  for (const auto& id : space.free_net_ids()) out.parameters.push_back("net:" + id);
  for (const auto& id : space.exchange_ids()) out.parameters.push_back("xch:" + id);
  std::vector<Eigen::MatrixXd> blocks;
  std::vector<std::vector<std::size_t>> block_pools;  // per block: the pool metabolites of its columns after the fluxes'
  for (Element el : request.elements) {
    auto built = build_traced_elements(model, space, {{el, request.measured}}, experiments, labelling);
    if (!built) return R::failure(built.diagnostics());
    const TracedElement& traced = built.value().front();
    const EmuModel& emu_model = traced.model;
    EmuSimulator sim(emu_model);
    std::vector<MidSet> series(1);  // one per time (the steady state: one)
    std::vector<Eigen::MatrixXd> jacobians(1);
    const auto s0 = std::chrono::steady_clock::now();
    SimulationStatus status = SimulationStatus::ok;
    try {
      status = instationary ? sim.simulate_instationary(fluxes, request.pools, traced.inputs, inst, series, request.sensitivities ? &jacobians : nullptr)
                            : sim.simulate(fluxes, traced.inputs, series[0], request.sensitivities ? &jacobians[0] : nullptr);
    } catch (const std::invalid_argument& e) {  // a pool without a size: an output pool that is measured has one too
      std::string what = e.what();
      if (const auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
      return R::failure({Diagnostic{Severity::error, "--pools", 0, 0, {}, what + " (give it in --pools, or give --default-pool)"}});
    }
    if (status != SimulationStatus::ok) {
      out.failed = sim.message();
      return R::success(std::move(out));
    }
    out.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    const auto ids = emu_model.measured_ids();
    const std::string sym(element_symbol(el));
    for (const auto& id : ids) out.fragments.push_back(id);
    for (std::size_t t = 0; t < series.size(); ++t) {
      MidSet& mids = series[t];
      Eigen::MatrixXd& jacobian = jacobians[t];
      if (!request.fragment_formulas.empty()) {
        MidSetFormulas formulas;
        for (std::size_t k = 0; k < ids.size(); ++k) {
          Formula other;
          if (auto it = request.fragment_formulas.find(ids[k]); it != request.fragment_formulas.end()) {
            other = it->second;
            out.formulas_used.insert(ids[k]);
            const int n_traced = static_cast<int>(mids.mid(0, k).size()) - 1;
            if (other[sym] < n_traced)
              return R::failure({Diagnostic{Severity::error, request.formulas_source, 0, 0, {},
                                            "formula of '" + ids[k] + "' has fewer " + sym + " atoms than the " + std::to_string(n_traced) + " traced"}});
            other[sym] -= n_traced;
          }
          formulas.other_atoms.push_back(std::move(other));
        }
        if (auto r = add_natural_isotopes(mids, request.sensitivities ? &jacobian : nullptr, formulas); !r) return R::failure(r.diagnostics());
      }
      std::vector<Eigen::Index> rows;
      for (int x = 0; x < mids.n_experiments; ++x)
        for (std::size_t k = 0; k < ids.size(); ++k) {
          const auto mid = mids.mid(x, k);
          out.mids.push_back({experiments[static_cast<std::size_t>(x)].id, el, ids[k], std::vector<double>(mid.begin(), mid.end()),
                              instationary ? request.times[t] : -1.0});
          for (std::size_t i = 0; i < mid.size(); ++i) rows.push_back(static_cast<Eigen::Index>(static_cast<std::size_t>(x) * mids.block + mids.offsets[k] + i));
        }
      if (request.sensitivities) {
        Eigen::MatrixXd block(static_cast<Eigen::Index>(rows.size()), jacobian.cols());
        for (std::size_t i = 0; i < rows.size(); ++i) block.row(static_cast<Eigen::Index>(i)) = jacobian.row(rows[i]);
        blocks.push_back(std::move(block));
        block_pools.push_back(instationary ? emu_model.pool_metabolites() : std::vector<std::size_t>{});
      }
    }
    out.log.push_back(sym + ": " + std::to_string(emu_model.n_emus()) + " EMUs in " + std::to_string(emu_model.max_size()) + " levels, " +
                      std::to_string(series[0].n_experiments) + " experiments" +
                      (instationary ? ", " + std::to_string(series.size()) + " times" : std::string()));
  }
  if (request.sensitivities) {
    // pool columns (time courses): every pool of any element, in model order
    std::vector<std::size_t> pools;
    for (const auto& list : block_pools) pools.insert(pools.end(), list.begin(), list.end());
    std::sort(pools.begin(), pools.end());
    pools.erase(std::unique(pools.begin(), pools.end()), pools.end());
    const auto n_flux = static_cast<Eigen::Index>(out.parameters.size());
    for (std::size_t m : pools) out.parameters.push_back("pool:" + model.metabolites[m].id);
    Eigen::Index n = 0;
    for (const auto& b : blocks) n += b.rows();
    out.jacobian = Eigen::MatrixXd::Zero(n, static_cast<Eigen::Index>(out.parameters.size()));
    Eigen::Index at = 0;
    for (std::size_t k = 0; k < blocks.size(); ++k) {
      const auto& b = blocks[k];
      out.jacobian.block(at, 0, b.rows(), n_flux) = b.leftCols(n_flux);
      for (std::size_t j = 0; j < block_pools[k].size(); ++j) {
        const auto col = n_flux + (std::lower_bound(pools.begin(), pools.end(), block_pools[k][j]) - pools.begin());
        out.jacobian.block(at, col, b.rows(), 1) = b.col(n_flux + static_cast<Eigen::Index>(j));
      }
      at += b.rows();
    }
  }
  return R::success(std::move(out));
}

std::string SimulatedMids::mids_tsv() const {
  const bool t = timed(mids);
  std::string out = t ? "experiment\telement\tmetabolite\ttime\tisotopologue\tfraction\n" : "experiment\telement\tmetabolite\tisotopologue\tfraction\n";
  for (const auto& m : mids)
    for (std::size_t i = 0; i < m.fractions.size(); ++i) out += key(m, i, t) + '\t' + fraction_text(m.fractions[i]) + '\n';
  return out;
}

std::string SimulatedMids::jacobian_tsv() const {
  const bool t = timed(mids);
  std::string out = t ? "experiment\telement\tmetabolite\ttime\tisotopologue" : "experiment\telement\tmetabolite\tisotopologue";
  for (const auto& p : parameters) out += '\t' + p;
  out += '\n';
  Eigen::Index row = 0;
  for (const auto& m : mids)
    for (std::size_t i = 0; i < m.fractions.size(); ++i, ++row) {
      out += key(m, i, t);
      for (Eigen::Index p = 0; p < jacobian.cols(); ++p) out += '\t' + fraction_text(jacobian(row, p));
      out += '\n';
    }
  return out;
}

std::string SimulatedMids::mids_json(const std::string& model_id) const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : mids) {
    nlohmann::json j{{"experiment", m.experiment}, {"element", std::string(element_symbol(m.element))}, {"metabolite", m.metabolite}, {"mid", m.fractions}};
    if (m.time >= 0) j["time"] = m.time;
    list.push_back(std::move(j));
  }
  return nlohmann::json{{"model", model_id}, {"mids", list}}.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace fluxion::isotope
