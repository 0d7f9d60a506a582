// fluxion project: FBApro, the closed-form projection of reference fluxes (reactions ×
// samples) onto the model's steady-state space, in the paper's four variants.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "commands.hpp"
#include "option_binding.hpp"
#include "fluxion/cbm/projection.hpp"
#include "fluxion/cbm/projection_report.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/reference_table.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

ProjectOnDevice project_on_device = nullptr;

namespace {

using Clock = std::chrono::steady_clock;
using Eigen::Index;

struct ProjectCli {
  std::string model, references, output, variant = "full", projector, save_projector, device = "blas";
  std::vector<std::string> fixed, noisy, unmeasured;
  std::string default_confidence = "noisy";
  int threads = 0;
  cbm::ProjectorOptions projector_options;  // the library's
};

const OptionTable<ProjectCli>& project_cli_table() {
  static const OptionTable<ProjectCli> t = [] {
    OptionTable<ProjectCli> t;
    t.add("model", &ProjectCli::model, "Model file or built-in model name").short_name("m").required().kind(OptionKind::model).label("Model").web("Inputs");
    t.add("references", &ProjectCli::references,
          "Reference fluxes: TSV/CSV with 'reaction', optional 'confidence' (fixed, noisy, unmeasured), then one column per sample")
        .short_name("r")
        .required()
        .file(".tsv,.csv,.txt")
        .label("Reference fluxes")
        .web("Inputs");
    t.add("output", &ProjectCli::output, "Output directory (fluxes.tsv, summary.tsv, run_info.json)").short_name("o").required();
    t.add("variant", &ProjectCli::variant,
          "full: fixed exact, noisy in least squares; fixed: fixed exact, all others in least squares; partial: fixed and "
          "noisy in least squares; basic: every reaction in least squares; all: the four")
        .choices({"full", "fixed", "partial", "basic", "all"})
        .label("FBApro variant")
        .web();
    t.add("fixed", &ProjectCli::fixed, "Reactions whose reference is reproduced exactly (overrides the table's confidence)").no_default();
    t.add("noisy", &ProjectCli::noisy, "Reactions matched in least squares (overrides the table's confidence)").no_default();
    t.add("unmeasured", &ProjectCli::unmeasured, "Reactions whose reference is ignored (overrides the table's confidence)").no_default();
    t.add("default-confidence", &ProjectCli::default_confidence, "Confidence of rows without a 'confidence' value")
        .choices({"fixed", "noisy", "unmeasured"})
        .label("Default confidence")
        .web();
    t.add("projector", &ProjectCli::projector, "Apply a projector saved by --save-projector instead of building one").file();
    t.add("save-projector", &ProjectCli::save_projector, "Save the projector (one variant) to reuse on new samples with the same sets");
    t.add("device", &ProjectCli::device, "Where to apply: blas (the CPU's BLAS), cpu or cuda (LibTorch; cuda: the paper's GPU batches)")
        .choices({"blas", "cpu", "cuda"});
    t.add("threads", &ProjectCli::threads, "BLAS threads applying the projection (0 = all cores)").range(0, 1024);
    return t;
  }();
  return t;
}

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

bool same_sets(const cbm::ProjectionSets& a, const cbm::ProjectionSets& b) { return a.high == b.high && a.medium == b.medium; }

}  // namespace

void add_project_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static ProjectCli o;
  auto* cmd = app.add_subcommand("project", "FBApro: project reference fluxes onto the steady-state space (Basic, Partial, Fixed, Full)");
  bind_options(cmd, project_cli_table(), o, ctx);
  bind_options(cmd, cbm::ProjectorOptions::table(), o.projector_options, ctx);
  cmd->callback([&ctx, argv] {
    const auto t0 = Clock::now();
    io::RunInfo info(argv);
    auto loaded = io::load_model(o.model);
    if (!accept(loaded, ctx)) return;
    const Model& model = loaded.value();
    const auto default_conf = o.default_confidence == "fixed"  ? io::Confidence::fixed
                              : o.default_confidence == "noisy" ? io::Confidence::noisy
                                                                : io::Confidence::unmeasured;
    auto table = io::load_reference_table(o.references, model, default_conf);
    if (!accept(table, ctx)) return;
    io::ReferenceTable& ref = table.value();
    auto input_error = [&ctx](const std::string& where, const std::string& what) { cli::input_error(ctx, where, what); };
    for (auto [ids, conf, flag] : {std::tuple{&o.fixed, io::Confidence::fixed, "--fixed"}, std::tuple{&o.noisy, io::Confidence::noisy, "--noisy"},
                                   std::tuple{&o.unmeasured, io::Confidence::unmeasured, "--unmeasured"}}) {
      for (const auto& id : *ids) {
        const auto r = model.reaction_index(id);
        if (!r) return input_error(flag, "'" + id + "' is not a reaction of model '" + model.id + "'");
        if (auto set = io::set_confidence(ref, model, *r, conf, o.references); !accept(set, ctx)) return;
      }
    }
    if (!io::has_measured(ref))
      return input_error(o.references, "every reaction is unmeasured: there is nothing to project (mark rows fixed or noisy)");
    std::vector<Index> fixed, noisy;
    for (std::size_t j = 0; j < model.reactions.size(); ++j) {
      if (ref.confidence[j] == io::Confidence::fixed) fixed.push_back(static_cast<Index>(j));
      if (ref.confidence[j] == io::Confidence::noisy) noisy.push_back(static_cast<Index>(j));
    }
    std::vector<cbm::ProjectionVariant> variants;
    if (o.variant == "all")
      variants = {cbm::ProjectionVariant::basic, cbm::ProjectionVariant::partial, cbm::ProjectionVariant::fixed, cbm::ProjectionVariant::full};
    else
      variants = {*cbm::parse_projection_variant(o.variant)};
    if ((!o.save_projector.empty() || !o.projector.empty()) && variants.size() != 1)
      return input_error("--variant", "a projector file holds one variant: choose one instead of 'all'");
    if (!o.save_projector.empty() && !o.projector.empty())
      return input_error("--save-projector", "the projector given by --projector is already saved");
    const Index r = static_cast<Index>(model.reactions.size());
    std::vector<std::string> ids;
    for (const auto& reaction : model.reactions) ids.push_back(reaction.id);
    cbm::set_blas_threads(o.threads);

    const auto s = cbm::balanced_stoichiometry(model);
    double basis_seconds = 0.0;
    Eigen::MatrixXd basis;
    Index rank = 0;
    std::optional<cbm::Projector> saved;
    if (!o.projector.empty()) {
      auto p = cbm::Projector::load(o.projector);
      if (!accept(p, ctx)) return;
      auto& l = p.value();
      if (l.reaction_ids != ids)
        return input_error(o.projector, "this projector was built for model '" + l.model_id + "' with other reactions than model '" +
                                            model.id + "' (" + std::to_string(l.reaction_ids.size()) + " vs " + std::to_string(ids.size()) +
                                            " reactions, or another order)");
      if (l.variant != variants[0])
        return input_error(o.projector, "this projector is the '" + std::string(to_string(l.variant)) + "' variant, not '" + o.variant + "'");
      if (!same_sets(l.projector.sets(), cbm::variant_sets(variants[0], fixed, noisy, r)))
        return input_error(o.projector, "the fixed and noisy reactions of " + o.references +
                                            " differ from those this projector was built for; build a new one");
      rank = r - l.projector.kernel_dimension();
      saved = std::move(l.projector);
    } else {
      const auto tb = Clock::now();
      auto k = cbm::orthonormal_kernel(s);
      if (!k.ok()) {
        print_diagnostics(k.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      basis_seconds = seconds(tb, Clock::now());
      basis = std::move(k.value().basis);
      rank = k.value().rank;
    }
    auto dir = io::make_output_directory(o.output);
    if (!accept(dir, ctx)) return;

    std::vector<cbm::ProjectionOutcome> outcomes;
    std::vector<std::string> written;
    for (auto variant : variants) {
      const std::string name(to_string(variant));
      const auto ts = Clock::now();
      std::optional<cbm::Projector> built;
      if (saved) {
        built = std::move(*saved);
      } else {
        auto p = cbm::Projector::build(basis, cbm::variant_sets(variant, fixed, noisy, r), o.projector_options);
        if (!accept(p, ctx)) return;
        built = std::move(p.value());
      }
      const cbm::Projector& projector = *built;
      const auto ta = Clock::now();
      Eigen::MatrixXd x;
      if (o.device == "blas") {
        x = projector.apply(ref.values);
      } else {
        if (!project_on_device) {  // fluxion hands --device cpu|cuda to fluxion-learn before it gets here
          print_diagnostics({Diagnostic{Severity::error, "--device", 0, 0, {}, o.device + " needs LibTorch: run it with fluxion-learn"}});
          ctx.exit_code = kExitFailure;
          return;
        }
        auto on = project_on_device(projector, ref.values, o.device);
        if (!on.ok()) {
          print_diagnostics(on.diagnostics());
          ctx.exit_code = kExitFailure;
          return;
        }
        x = std::move(on.value());
      }
      const auto te = Clock::now();
      auto outcome = cbm::assess_projection(model, s, projector, ref, o.references, variant, std::move(x));
      outcome.setup_seconds = seconds(ts, ta);
      outcome.apply_seconds = seconds(ta, te);
      if (!o.save_projector.empty()) {
        auto w = projector.save(o.save_projector, ids, model.id, variant);
        if (!w.ok()) {
          print_diagnostics(w.diagnostics());
          ctx.exit_code = kExitFailure;
          return;
        }
        written.push_back(o.save_projector);
      }
      written.push_back(o.output + (variants.size() == 1 ? "/fluxes.tsv" : "/fluxes_" + name + ".tsv"));
      if (auto w = io::write_output_file(written.back(), io::write_reference_table(ids, ref.samples, outcome.fluxes)); !w) {
        print_diagnostics(w.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
      std::printf("%s: %ld samples, %zu fixed and %zu least-squares reactions of %ld; max |S·x|/|x| %s, max |x_H - v_H| %s; %ld values "
                  "outside the model's bounds; setup %s s, apply %s s\n",
                  name.c_str(), static_cast<long>(outcome.fluxes.cols()), outcome.fixed, outcome.noisy, static_cast<long>(r),
                  fmt(outcome.check.steady_state).c_str(), fmt(outcome.check.fixed_deviation).c_str(), outcome.outside_bounds,
                  fmt(outcome.setup_seconds).c_str(), fmt(outcome.apply_seconds).c_str());
      outcomes.push_back(std::move(outcome));
    }
    for (const auto& outcome : outcomes) print_diagnostics(outcome.notes);
    written.push_back(o.output + "/summary.tsv");
    if (auto w = io::write_output_file(written.back(), cbm::projection_summary_tsv(outcomes)); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    info.add_input("model", o.model);
    info.add_input("references", o.references);
    if (!o.projector.empty()) info.add_input("projector", o.projector);
    info.set("method", "FBApro (Bruner & Singh 2026), null-space formulation");
    info.set("variant", o.variant);
    info.set("device", o.device);
    info.set("fixed_reactions", std::to_string(fixed.size()));
    info.set("noisy_reactions", std::to_string(noisy.size()));
    info.set("rank_S", std::to_string(rank));
    info.set("relative_cutoff", fmt(o.projector_options.relative_cutoff));
    info.set("samples", std::to_string(ref.samples.size()));
    for (const auto& w : written) info.add_output(w);
    info.add_timing("basis", basis_seconds);
    info.add_timing("total", seconds(t0, Clock::now()));
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
    }
  });
}

}  // namespace fluxion::cli
