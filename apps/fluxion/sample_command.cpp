// fluxion sample: uniform flux sets in the polytope of a model's bounds and extra
// constraints; free net fluxes by rejection in the LP box or by ACHR, exchange fluxes
// from their own bounds (uniform or log-uniform).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/sampling/samplers.hpp"

namespace fluxion::cli {

namespace {

struct SampleOptions {
  std::string model, constraints, output, method = "auto", exchange = "uniform";
  long count = 1000;
  int thinning = 0;
  double exchange_floor = 1e-3;
  std::uint64_t seed = 1;
};

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return buffer;
}

}  // namespace

void add_sample_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static SampleOptions o;
  auto* cmd = app.add_subcommand("sample", "Sample flux sets uniformly in the polytope of a model's bounds and extra constraints");
  cmd->add_option("-m,--model", o.model, "Model: built-in name or file")->required();
  cmd->add_option("-c,--constraints", o.constraints, "Extra linear constraints, one per line (docs/formats.md)");
  cmd->add_option("-n,--count", o.count, "Number of flux sets")->check(CLI::Range(1L, 100000000L))->capture_default_str();
  cmd->add_option("--method", o.method,
                  "Free net fluxes: rejection in the LP box (exactly uniform), ACHR (for thin polytopes), or auto "
                  "(rejection unless it accepts nothing in its first 200,000 draws)")
      ->check(CLI::IsMember({"auto", "rejection", "achr"}))
      ->capture_default_str();
  cmd->add_option("--thinning", o.thinning, "ACHR steps per flux set (0 = number of free net fluxes)")->check(CLI::Range(0, 1000000));
  cmd->add_option("--exchange", o.exchange, "Exchange fluxes: uniform or log-uniform within their bounds")
      ->check(CLI::IsMember({"uniform", "log-uniform"}))
      ->capture_default_str();
  cmd->add_option("--exchange-floor", o.exchange_floor, "Lower end of log-uniform exchange fluxes whose bound is 0")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  cmd->add_option("-o,--output", o.output, "Output directory (samples.tsv, run_info.json)")->required();
  cmd->callback([&ctx, argv] {
    const auto t0 = std::chrono::steady_clock::now();
    io::RunInfo info(argv);
    auto model = io::load_model(o.model);
    if (!accept(model, ctx)) return;
    auto space = FluxSpace::build(model.value());
    if (!accept(space, ctx)) return;
    std::vector<LinearConstraint> extra;
    if (!o.constraints.empty()) {
      auto c = io::load_constraint_table(o.constraints, space.value());
      if (!accept(c, ctx)) return;
      extra = c.value();
    }
    auto polytope = FluxPolytope::build(model.value(), space.value(), extra);
    if (!accept(polytope, ctx)) return;
    auto box = polytope.value().bounding_box();  // feasibility, boundedness, exchange ranges
    if (!accept(box, ctx)) return;
    const Eigen::Index nf = space.value().n_free_net(), n = space.value().n_free();
    auto net = polytope.value().leading(nf);
    if (!accept(net, ctx)) return;

    std::mt19937_64 exchange_rng(o.seed ^ 0x9e3779b97f4a7c15ULL);
    std::optional<RejectionSampler> rejection;
    std::optional<AchrSampler> achr;
    std::string method = o.method;
    Eigen::VectorXd first;
    bool have_first = false;
    if (method != "achr") {
      auto s = RejectionSampler::create(net.value(), o.seed);
      if (!accept(s, ctx)) return;
      rejection = std::move(s.value());
      if (method == "auto") {
        have_first = rejection->next(first, 200000);
        if (!have_first) {
          spdlog::info("rejection in the LP box accepted none of 200,000 draws (a thin polytope); sampling with ACHR");
          rejection.reset();
          method = "achr";
        } else {
          method = "rejection";
        }
      }
    }
    if (method == "achr") {
      AchrOptions ao;
      ao.seed = o.seed;
      ao.thinning = o.thinning;
      auto s = AchrSampler::create(net.value(), ao);
      if (!accept(s, ctx)) return;
      achr = std::move(s.value());
      for (int k = 0; k < 10 * std::max<int>(1, static_cast<int>(nf)); ++k) achr->next();  // burn-in
    }
    const auto& ids = space.value().column_ids();
    std::string out = "sample";
    for (Eigen::Index c = 0; c < space.value().n_reactions(); ++c) out += "\tnet:" + ids[static_cast<std::size_t>(c)];
    for (Eigen::Index c : space.value().exchange_columns()) out += "\txch:" + ids[static_cast<std::size_t>(c)];
    out += '\n';
    Eigen::VectorXd free(n), x;
    for (long k = 0; k < o.count; ++k) {
      if (have_first) {
        x = first;
        have_first = false;
      } else if (rejection) {
        if (!rejection->next(x)) {
          print_diagnostics({Diagnostic{Severity::error, o.model, 0, 0, {},
                                        "no point of the LP box in a million draws fell inside the polytope (it fills too "
                                        "little of its box): use --method achr"}});
          ctx.exit_code = kExitFailure;
          return;
        }
      } else {
        x = achr->next();
      }
      free.head(nf) = x;
      for (Eigen::Index j = nf; j < n; ++j) {
        const double lo = box.value().lower(j), hi = box.value().upper(j);
        const double u = uniform01(exchange_rng);
        if (o.exchange == "uniform" || hi <= lo) {
          free(j) = lo + (hi - lo) * u;
        } else {
          const double a = std::log(std::max(lo, std::min(o.exchange_floor, hi))), b = std::log(hi);
          free(j) = std::exp(a + (b - a) * u);
        }
      }
      const FluxVector v = space.value().free_to_full(free);
      out += std::to_string(k + 1);
      for (Eigen::Index c = 0; c < space.value().n_reactions(); ++c) out += '\t' + number(v.net(c));
      for (Eigen::Index c : space.value().exchange_columns()) out += '\t' + number(v.exchange(c));
      out += '\n';
    }
    auto dir = io::make_output_directory(o.output);
    if (!accept(dir, ctx)) return;
    const std::string path = o.output + "/samples.tsv";
    if (auto w = io::write_output_file(path, out); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    info.add_input("model", o.model);
    if (!o.constraints.empty()) info.add_input("constraints", o.constraints);
    info.set("count", std::to_string(o.count));
    info.set("method", method == "achr" ? "artificial-centering hit-and-run" : "rejection in the LP bounding box");
    if (rejection) info.set("acceptance_rate", number(rejection->acceptance_rate()));
    info.set("exchange", o.exchange);
    info.set("seed", std::to_string(o.seed));
    info.set("lp_solver", "COIN-OR CLP");
    info.add_output(path);
    info.add_timing("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    spdlog::info("{} flux sets ({}); wrote {}", o.count, method, path);
  });
}

}  // namespace fluxion::cli
