#include "fluxion/mfa/fit_inputs.hpp"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>

#include "fluxion/core/format.hpp"
#include "fluxion/io/constraint_table.hpp"
#include "fluxion/io/flux_table.hpp"
#include "fluxion/io/freeflux.hpp"
#include "fluxion/io/ftbl.hpp"
#include "fluxion/io/measurements.hpp"
#include "fluxion/io/mfapy_data.hpp"
#include "fluxion/io/mid_table.hpp"
#include "fluxion/io/pool_table.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/text_file.hpp"
#include "fluxion/io/tracer_table.hpp"

namespace fluxion::mfa {

namespace {

std::optional<std::string> slurp(const std::string& path) {
  auto text = io::read_text_file(path);
  if (!text) return std::nullopt;
  return text.value();
}

bool is_ftbl(const std::string& path) { return io::format_from_path(path) == io::ModelFormat::ftbl; }

std::string eight_digits(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

}  // namespace

const OptionTable<FitInputFiles>& FitInputFiles::table() {
  static const OptionTable<FitInputFiles> t = [] {
    const std::string tables = ".tsv,.csv,.txt";
    OptionTable<FitInputFiles> t;
    t.add("model", &FitInputFiles::model, "Model file or built-in model name; an FTBL file (.ftbl, influx_si) brings its tracer, MIDs and measured fluxes").short_name("m").required().kind(OptionKind::model).label("Model").web("Inputs");
    t.add("mids", &FitInputFiles::mids,
          "Measured MIDs: fluxion's long table (experiment, metabolite, isotopologue, fraction, [sd], [element]), IsoCor's output or FreeFlux's MDV table (not needed with an FTBL model)")
        .short_name("i")
        .file(tables)
        .label("Measured MIDs")
        .web("Inputs");
    t.add("experiments", &FitInputFiles::experiments, "Tracer table (experiment, substrate, label, fraction, purity); default: a built-in model's")
        .short_name("e")
        .file(tables)
        .label("Tracer experiments")
        .web("Inputs");
    t.add("mfapy-mdv", &FitInputFiles::mfapy_mdv,
          "Measured MIDs as mfapy's MDV table (Name, Spectrum, Select, MDV, Std); the model must be an mfapy model file; repeat it for parallel experiments")
        .file();
    t.add("mfapy-experiment", &FitInputFiles::mfapy_experiment,
          "Tracer experiment of each --mfapy-mdv table in turn, or of a FreeFlux MDV table (default: the tracer table's experiments in their order)");
    t.add("mfapy-sd", &FitInputFiles::mfapy_sd, "SD of every fraction of the --mfapy-mdv tables, in place of their Std column (mfapy's set_std(sd, 'absolute'))")
        .range(1e-9, 1.0)
        .no_default();
    t.add("mfapy-status", &FitInputFiles::mfapy_status, "mfapy status sheet: fixed, measured ('fitting'), free and pseudo reactions with bounds").file();
    t.add("constraints", &FitInputFiles::constraints, "Extra linear constraints on net and exchange fluxes (fixed fluxes: 'v == 1')").file();
    t.add("measured-fluxes", &FitInputFiles::measured_fluxes, "Measured fluxes: flux (reaction or xch(reaction)), value, sd; or FreeFlux's table (reaction_ID, mean, sd)")
        .file(tables)
        .label("Measured fluxes")
        .web("Inputs");
    t.add("exchange-max", &FitInputFiles::exchange_max, "Upper bound of the exchange fluxes the model leaves unbounded").range(1e-6, 1e9);
    t.add("pools", &FitInputFiles::pools,
          "Time courses: metabolite pool sizes (metabolite, size, [status fixed|free|measured], [lower], [upper], [sd]); free and measured pools are fitted")
        .file(tables)
        .label("Pool sizes")
        .web("Time course");
    t.add("default-pool", &FitInputFiles::default_pool, "Time courses: fixed size of every pool that --pools (or an mfapy status sheet) leaves out")
        .range(0, 1e12)
        .label("Default pool size")
        .web("Time course");
    t.add("start-pools", &FitInputFiles::start_pools,
          "Time courses: start the fitted pools at these sizes (metabolite, size; other columns ignored: fluxion predict's pools.tsv, the hybrid "
          "with --start-from its fluxes.tsv); sampled starts draw around them")
        .file(tables)
        .label("Starting pool sizes")
        .web("Time course");
    return t;
  }();
  return t;
}


std::vector<Diagnostic> FitInputFiles::validate() const {
  std::vector<Diagnostic> d;
  auto error = [&d](const std::string& where, const std::string& what) { d.push_back({Severity::error, where, 0, 0, {}, what}); };
  const bool ftbl = is_ftbl(model);
  if (!mids.empty() && !mfapy_mdv.empty()) error("fit", "give the measured MIDs with one of --mids and --mfapy-mdv, not both");
  if (mids.empty() && mfapy_mdv.empty() && !ftbl)
    error("fit", "give the measured MIDs with --mids or --mfapy-mdv (an FTBL model file carries its own)");
  if (!mids.empty() && mfapy_experiment.size() > 1)
    error("--mfapy-experiment", "names " + std::to_string(mfapy_experiment.size()) + " experiments; a --mids table takes at most one (its own experiment column names the others)");
  if (model.empty()) error("--model", "is required");
  if (!(exchange_max > 0) || !std::isfinite(exchange_max)) error("--exchange-max", "must be a finite number > 0");
  if (!(default_pool >= 0) || !std::isfinite(default_pool)) error("--default-pool", "must be a finite number >= 0");
  return d;
}

bool FitInputs::time_course() const {
  return std::any_of(mids.mids.begin(), mids.mids.end(), [](const auto& m) { return m.time >= 0; });
}

Result<FitInputs> load_fit_inputs(const FitInputFiles& f) {
  using R = Result<FitInputs>;
  std::vector<Diagnostic> warnings;
  auto failed = [&warnings](const std::vector<Diagnostic>& d) {
    std::vector<Diagnostic> all = warnings;
    all.insert(all.end(), d.begin(), d.end());
    return R::failure(std::move(all));
  };
  auto error = [&failed](const std::string& where, const std::string& what) { return failed({Diagnostic{Severity::error, where, 0, 0, {}, what}}); };
  auto keep = [&warnings](const std::vector<Diagnostic>& d) {
    bool ok = true;
    for (const auto& x : d) {
      warnings.push_back(x);
      ok = ok && x.severity != Severity::error;
    }
    return ok;
  };
  if (auto problems = f.validate(); !problems.empty()) return failed(problems);
  FitInputs in;
  auto model = io::load_model(f.model);
  if (!keep(model.diagnostics()) || !model) return failed({});
  in.model = model.value();
  // an FTBL file carries its tracer experiment, MIDs and measured fluxes too
  std::optional<io::FtblFile> ftbl;
  if (is_ftbl(f.model)) {
    auto text = io::read_text_file(f.model);
    if (!text) return failed(text.diagnostics());
    auto file = io::read_ftbl(text.value(), f.model, io::ftbl_experiment_id(f.model));
    if (!file) return failed(file.diagnostics());  // its warnings came with the model
    ftbl = std::move(file.value());
  }
  std::optional<std::string> model_text;
  if (!f.mfapy_mdv.empty() || !f.mfapy_status.empty()) {
    model_text = slurp(f.model);
    if (!model_text || io::format_from_path(f.model, *model_text) != io::ModelFormat::mfapy)
      return error(f.model, "--mfapy-mdv and --mfapy-status need the model as an mfapy model file (.txt)");
  }
  std::vector<io::MfapyStatusRow> status_rows;
  if (!f.mfapy_status.empty()) {
    auto text = io::read_text_file(f.mfapy_status);  // a failure says why (missing, a directory, unreadable)
    if (!keep(text.diagnostics()) || !text) return failed({});
    auto rows = io::read_mfapy_status(text.value(), f.mfapy_status);
    if (!keep(rows.diagnostics()) || !rows) return failed({});
    status_rows = rows.value();
    if (auto p = io::apply_mfapy_pseudo(status_rows, f.mfapy_status, in.model); !keep(p.diagnostics()) || !p) return failed({});
  }
  auto space = FluxSpace::build(in.model);
  if (!keep(space.diagnostics()) || !space) return failed({});
  in.space.emplace(std::move(space.value()));
  const FluxSpace& fs = *in.space;

  // tracer experiments
  in.experiments_source = f.experiments.empty() ? f.model : f.experiments;
  if (ftbl && f.experiments.empty()) {
    in.experiments = {ftbl->experiment};
    if (!keep(isotope::validate_experiments(in.model, in.experiments, f.model, ftbl->tracer_lines))) return failed({});
  } else {
    if (f.experiments.empty() && !io::has_builtin_tracer_table(f.model)) return error(f.model, "no built-in tracer experiments for this model; give --experiments");
    auto tracers = io::load_tracer_table(in.experiments_source);
    if (!keep(tracers.diagnostics()) || !tracers) return failed({});
    in.experiments = tracers.value().experiments;
    if (!keep(isotope::validate_experiments(in.model, in.experiments, in.experiments_source, tracers.value().lines))) return failed({});
  }

  // measurements: FreeFlux's MDV table, fluxion's table (or IsoCor's output), or mfapy's MDV sheet
  const std::string experiment = f.mfapy_experiment.empty() ? in.experiments.front().id : f.mfapy_experiment.front();
  if (ftbl && f.mids.empty() && f.mfapy_mdv.empty() && !ftbl->labcin.empty()) {
    // influx_i's time course: the file_labcin table beside the FTBL file
    std::filesystem::path labcin(ftbl->labcin);
    if (labcin.is_relative()) labcin = std::filesystem::path(f.model).parent_path() / labcin;
    auto text = io::read_text_file(labcin.string());
    if (!text) {
      std::vector<Diagnostic> why = text.diagnostics();
      why.push_back({Severity::error, f.model, ftbl->labcin_line, 2, {}, "file_labcin names " + labcin.string() + ", which cannot be read"});
      return failed(why);
    }
    auto table = io::read_ftbl_labcin(text.value(), labcin.string(), *ftbl);
    if (!keep(table.diagnostics()) || !table) return failed({});
    in.mids = table.value();
    in.mids_source = labcin.string();
    in.mids_sources = {f.model, labcin.string()};
  } else if (ftbl && f.mids.empty() && f.mfapy_mdv.empty()) {
    // checked by the reader (metabolites, carbons); a group may leave isotopologues out
    // (Suc M+1..M+4) and need not sum to 1 (it is scaled)
    if (ftbl->mids.mids.empty()) return error(f.model, "the FTBL file has no MASS_SPECTROMETRY measurements; give --mids");
    in.mids = ftbl->mids;
    in.mids_source = f.model;
    in.mids_sources = {f.model};
  } else if (!f.mids.empty()) {
    auto text = io::read_text_file(f.mids);
    if (!keep(text.diagnostics()) || !text) return failed({});
    const bool freeflux = io::detect_mid_format(text.value()) == io::MidFileFormat::freeflux;
    auto table = freeflux ? io::read_freeflux_mdvs(text.value(), f.mids, experiment, true) : io::read_mid_table(text.value(), f.mids, true);
    if (!keep(table.diagnostics()) || !table) return failed({});
    // fluxion's table and IsoCor's name their experiments and fragments: checked against the model
    if (!freeflux && !keep(io::validate_mids(in.model, table.value(), f.mids, &in.experiments))) return failed({});
    in.mids = table.value();
    in.mids_source = f.mids;
    in.mids_sources = {f.mids};
  } else {
    // one sheet per experiment: named by --mfapy-experiment, else the tracer table's in order;
    // sheets of a time course ("FILE@TIME") of one experiment, the first unless named
    std::vector<std::string> files;
    std::vector<double> times;
    for (const auto& arg : f.mfapy_mdv) {
      const auto at = arg.rfind('@');
      std::optional<double> time;
      if (at != std::string::npos && at + 1 < arg.size()) {
        char* end = nullptr;
        const double t = std::strtod(arg.c_str() + at + 1, &end);
        if (end && *end == '\0' && std::isfinite(t)) time = t;
      }
      if (time && *time < 0) return error("--mfapy-mdv", "'" + arg + "': the time after @ must be >= 0");
      files.push_back(time ? arg.substr(0, at) : arg);
      times.push_back(time ? *time : -1.0);
    }
    const bool timed = std::any_of(times.begin(), times.end(), [](double t) { return t >= 0; });
    if (timed && std::any_of(times.begin(), times.end(), [](double t) { return t < 0; }))
      return error("--mfapy-mdv", "some sheets have a time (FILE@TIME) and some not; a time course gives every sheet its time");
    if (timed && f.mfapy_experiment.empty() && in.experiments.size() > 1)
      return error("--mfapy-experiment", in.experiments_source + " has " + std::to_string(in.experiments.size()) +
                                             " experiments; name the experiment of each time-course sheet");
    auto experiment_of = [&](std::size_t k) {
      return !f.mfapy_experiment.empty() ? f.mfapy_experiment[k] : timed ? in.experiments.front().id : in.experiments[k].id;
    };
    if (!f.mfapy_experiment.empty() && f.mfapy_experiment.size() != f.mfapy_mdv.size())
      return error("--mfapy-experiment", "names " + std::to_string(f.mfapy_experiment.size()) + " experiments for " + std::to_string(f.mfapy_mdv.size()) +
                                             " --mfapy-mdv tables; give one per table, in the same order");
    if (f.mfapy_experiment.empty() && !timed && f.mfapy_mdv.size() > in.experiments.size())
      return error("--mfapy-mdv", std::to_string(f.mfapy_mdv.size()) + " tables, but " + in.experiments_source + " has " +
                                      std::to_string(in.experiments.size()) + " experiments; name each table's with --mfapy-experiment");
    for (std::size_t k = 0; k < f.mfapy_mdv.size(); ++k) {
      const std::string& file = files[k];
      const std::string ex = experiment_of(k);
      for (std::size_t j = 0; j < k; ++j)
        if (ex == experiment_of(j) && times[j] == times[k])
          return error("--mfapy-experiment", "experiment '" + ex + "'" + (timed ? " at time " + format_short(times[k]) : std::string()) +
                                                 " is given to two --mfapy-mdv tables (" + files[j] + " and " + file + ")");
      if (std::none_of(in.experiments.begin(), in.experiments.end(), [&](const auto& e) { return e.id == ex; }))
        return error("--mfapy-experiment", "experiment '" + ex + "' is not in " + in.experiments_source);
      auto text = io::read_text_file(file);
      if (!keep(text.diagnostics()) || !text) return failed({});
      auto table = io::read_mfapy_mdv(text.value(), file, *model_text, ex);
      if (!keep(table.diagnostics()) || !table) return failed({});
      for (auto& m : table.value().mids) {
        m.time = times[k];
        if (f.mfapy_sd > 0)
          for (std::size_t i = 0; i < m.sd.size(); ++i)
            if (!std::isnan(m.fraction[i])) m.sd[i] = f.mfapy_sd;
        in.mids.mids.push_back(std::move(m));
      }
      if (k == 0) in.mids.source = table.value().source;
      in.mids_sources.push_back(file);
    }
    in.mids_source = files.front();
  }

  // constraints and measured fluxes
  if (!in.model.relations.empty()) {  // the model's own constraints between fluxes
    auto r = io::model_relations(in.model, fs, f.model);
    if (!keep(r.diagnostics()) || !r) return failed({});
    in.constraints = r.value();
  }
  if (!f.constraints.empty()) {
    auto c = io::load_constraint_table(f.constraints, fs);
    if (!keep(c.diagnostics()) || !c) return failed({});
    in.constraints.insert(in.constraints.end(), c.value().begin(), c.value().end());
  }
  std::vector<LinearConstraint> positivity;
  std::vector<int> positivity_lines;
  if (!status_rows.empty()) {
    auto c = io::mfapy_status_constraints(status_rows, f.mfapy_status, *model_text, in.model, fs);
    if (!keep(c.diagnostics()) || !c) return failed({});
    in.constraints.insert(in.constraints.end(), c.value().constraints.begin(), c.value().constraints.end());
    in.measured = c.value().measured;
    positivity = c.value().positivity;
    positivity_lines = c.value().positivity_lines;
  }
  if (ftbl)
    for (const auto& m : ftbl->fluxes) {
      const auto& ids = fs.column_ids();
      const auto c = static_cast<Eigen::Index>(std::find(ids.begin(), ids.end(), m.reaction) - ids.begin());
      in.measured.push_back({m.reaction, {FluxTerm{c, false, 1.0}}, m.value, m.sd, m.line, f.model});
    }
  if (!f.measured_fluxes.empty()) {
    auto m = io::load_any_measured_fluxes(f.measured_fluxes, fs);
    if (!keep(m.diagnostics()) || !m) return failed({});
    in.measured.insert(in.measured.end(), m.value().begin(), m.value().end());
  }
  // the pools of a time course: the table's, then the status sheet's metabolite rows for
  // the others, then the default for the rest
  if (in.time_course()) {
    std::map<std::string, FitPool> pools;
    if (!f.pools.empty()) {
      auto table = io::load_pool_table(f.pools);
      if (!keep(table.diagnostics()) || !table) return failed({});
      for (const auto& [id, p] : table.value()) {
        if (!in.model.metabolite_index(id))
          return failed({Diagnostic{Severity::error, f.pools, p.line, 1, {}, "'" + id + "' is not a metabolite of model '" + in.model.id + "'"}});
        pools[id] = FitPool{id, p.size, p.fitted(), p.lower, p.upper, p.status == "measured" ? p.sd : 0.0, p.line, f.pools, false};
      }
    }
    if (ftbl)  // influx_i's METABOLITE_POOLS (and METAB_MEASUREMENTS), bounded as influx_si bounds them
      for (const auto& p : ftbl->pools)
        if (!pools.count(p.metabolite))
          pools[p.metabolite] = FitPool{p.metabolite, std::clamp(p.size, ftbl->pool_lower, ftbl->pool_upper), p.fitted, p.fitted ? ftbl->pool_lower : 0.0,
                                        p.fitted ? ftbl->pool_upper : 0.0, p.sd, p.line, f.model, true};
    for (const auto& r : status_rows) {
      if (r.state != "metabolite" || pools.count(r.id) || !in.model.metabolite_index(r.id)) continue;
      // mfapy: fixed, free (between lb and ub) or fitting (measured ± stdev); a lower bound of
      // 0 (mfapy's usual) becomes ub/1e4: a pool must stay > 0
      FitPool p{r.id, r.value, r.type != "fixed", 0, 0, r.type == "fitting" ? r.sd : 0.0, r.line, f.mfapy_status, true};
      if (p.fitted) {
        p.upper = r.ub;
        p.lower = r.lb > 0 ? r.lb : r.ub * 1e-4;
      }
      pools[r.id] = p;
    }
    for (const auto& m : in.model.metabolites)
      if (f.default_pool > 0 && !pools.count(m.id)) pools[m.id] = FitPool{m.id, f.default_pool, false, 0, 0, 0, 0, "--default-pool", true};
    if (!f.start_pools.empty()) {
      auto starts = io::load_pool_starts(f.start_pools);
      if (!keep(starts.diagnostics()) || !starts) return failed({});
      for (const auto& [id, at] : starts.value()) {
        if (!in.model.metabolite_index(id))
          return failed({Diagnostic{Severity::error, f.start_pools, at.line, 1, {}, "'" + id + "' is not a metabolite of model '" + in.model.id + "'"}});
        auto it = pools.find(id);
        if (it == pools.end() || !it->second.fitted) {
          warnings.push_back({Severity::warning, f.start_pools, at.line, 1, {}, "'" + id + "' is not a fitted pool: its starting size is not used"});
          continue;
        }
        it->second.size = std::clamp(at.size, it->second.lower, it->second.upper);
      }
    }
    for (auto& [id, p] : pools) in.pools.push_back(std::move(p));
  } else if (!f.pools.empty() || !f.start_pools.empty()) {
    warnings.push_back({Severity::warning, f.pools, 0, 0, {}, "pool sizes are used only with time-course MIDs (a time column, or --mfapy-mdv FILE@TIME); not read"});
  }

  // exchange fluxes the model leaves unbounded get exchange_max (the polytope must be
  // bounded to sample starting points in it)
  for (Eigen::Index c : fs.exchange_columns())
    if (c < fs.n_reactions() && !std::isfinite(in.model.reactions[fs.column_reaction(c)].exchange_upper_bound))
      in.constraints.push_back({"--exchange-max (xch(" + fs.column_ids()[static_cast<std::size_t>(c)] + ") <= " + eight_digits(f.exchange_max) + ")",
                                {FluxTerm{c, true, 1.0}},
                                -kInfinity,
                                f.exchange_max});
  // mfapy's positivity bounds: each one the other constraints allow (its flux can reach
  // the bound), a warning naming the sheet's line for each they do not
  if (!positivity.empty()) {
    auto hard = sampling::FluxPolytope::build(in.model, fs, in.constraints);
    if (!keep(hard.diagnostics()) || !hard) return failed({});
    std::vector<LinearConstraint> all = in.constraints;
    all.insert(all.end(), positivity.begin(), positivity.end());
    auto with = sampling::FluxPolytope::build(in.model, fs, all);
    if (!with) return failed(with.diagnostics());
    const Eigen::Index first = with.value().n_rows() - static_cast<Eigen::Index>(positivity.size());
    for (std::size_t k = 0; k < positivity.size(); ++k) {
      const Eigen::VectorXd row = with.value().rows().row(first + static_cast<Eigen::Index>(k)).transpose();
      const auto best = hard.value().optimize(row, true);
      const double bound = positivity[k].lower;
      if (best.status == LpStatus::unbounded || (best.status == LpStatus::optimal && best.objective >= bound * (1 - 1e-9))) {
        in.constraints.push_back(positivity[k]);
        continue;
      }
      const std::string flux = positivity[k].name.substr(positivity[k].name.find('(') + 1);
      warnings.push_back({Severity::warning, f.mfapy_status, positivity_lines[k], 6, {},
                          "mfapy's positivity bound " + flux.substr(0, flux.size() - 1) + " is not applied: the other constraints allow at most " +
                              (best.status == LpStatus::optimal ? format_short(best.objective) : std::string("no value"))});
    }
  }
  auto polytope = sampling::FluxPolytope::build(in.model, fs, in.constraints);
  if (!keep(polytope.diagnostics()) || !polytope) return failed({});
  if (auto conflict = polytope.value().conflicting_rows(); !conflict.empty()) {
    std::string rows;
    for (const auto& r : conflict) rows += "\n  " + r;
    return error("constraints", "no flux satisfies these together:" + rows);
  }
  in.polytope.emplace(std::move(polytope.value()));
  return R::success(std::move(in), std::move(warnings));
}

}  // namespace fluxion::mfa
