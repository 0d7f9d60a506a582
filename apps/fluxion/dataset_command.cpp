// fluxion dataset: training data for ML-Flux. Flux sets from the sampler, every tracer
// experiment simulated, written as HDF5 in ML-Flux's layout with a manifest and a
// train / validation / test split. Multithreaded, resumable, and under mpirun one shard
// per rank (docs/formats.md, "Datasets").
// the C interface only (OpenMPI and MPICH would otherwise pull in their C++ bindings)
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "commands.hpp"
#include "fluxion/core/flux_space.hpp"
#include "fluxion/io/model_io.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/io/tracer_table.hpp"
#include "fluxion/isotope/emu.hpp"
#include "fluxion/sampling/dataset.hpp"
#include "sampler_options.hpp"

namespace fluxion::cli {

namespace {

struct DatasetCli {
  std::string model, output, experiments, precision = "float32";
  std::vector<std::string> elements, measured, natural = {"none"};
  long rows = 0, part_rows = 1024;
  int threads = 0, density = 0, compression = 0;
  double validation = 0.1, test = 0.1;
  bool resume = false;
  SamplerCli sampler;
};

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) { interrupted.store(true); }

// The MPI world when started by mpirun with more than one process; otherwise one process
// and MPI is never initialised.
struct World {
  int rank = 0, size = 1;
  bool mpi = false;
  World() {
    for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
      if (const char* v = std::getenv(var); v && std::atoi(v) > 1) mpi = true;
    if (!mpi) return;
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
  }
  ~World() {
    if (mpi) MPI_Finalize();
  }
  // true on every rank only if `ok` on every rank
  bool all(bool ok) const {
    if (!mpi) return ok;
    int mine = ok ? 1 : 0, every = 0;
    MPI_Allreduce(&mine, &every, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return every == 1;
  }
  bool from_root(bool ok) const {
    if (!mpi) return ok;
    int v = ok ? 1 : 0;
    MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return v == 1;
  }
};

}  // namespace

void add_dataset_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static DatasetCli o;
  auto* cmd = app.add_subcommand("dataset",
                                 "Generate ML-Flux training data: sampled flux sets and the simulated MIDs of every tracer experiment (HDF5)");
  cmd->add_option("-m,--model", o.model, "Model: built-in name or file")->required()->group("Required");
  cmd->add_option("-o,--output", o.output, "Output directory (dataset.h5, manifest.json, run_info.json)")->required()->group("Required");
  cmd->add_option("-n,--rows", o.rows, "Flux sets wanted (0 = until --draws are spent)")->check(Range(0L, 1000000000L))->group("Required");
  cmd->add_option("-e,--experiments", o.experiments,
                  "Tracer table (experiment, substrate, label, fraction, purity); default: the built-in experiments of a built-in model");
  cmd->add_option("--element", o.elements, "Traced elements to simulate (C, H, N, O); default: those the experiments label")->delimiter(',');
  cmd->add_option("--measured", o.measured, "Metabolites in the MID vector (comma-separated; Ala[2,3] is one); default: the model's measured metabolites");
  // (no CLI11 delimiter: the callback splits at commas outside [...])
  cmd->add_option("--natural-abundance", o.natural, "Natural abundance of the traced element at unlabelled substrate atoms: none, all, or substrate ids")
      ->delimiter(',')
      ->capture_default_str();
  declare_sampler_options(cmd, o.sampler, ctx);
  const std::string g = "Dataset";
  cmd->add_option("--threads", o.threads, "Threads simulating (0 = every core)")->check(Range(0, 1024))->group(g);
  cmd->add_option("--part-rows", o.part_rows, "Rows per part: the unit of work, of writing and of resumption")
      ->check(Range(1L, 10000000L))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--mid-precision", o.precision, "MIDs stored as float32 or float64")
      ->check(CLI::IsMember({"float32", "float64"}))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--density-neighbours", o.density,
                  "Keep a flux set with probability D/Dmax, D its MIDs' mean distance to this many nearest kept sets (ML-Flux toy: 10; 0 = off)")
      ->check(Range(0, 1000))
      ->group(g);
  cmd->add_option("--validation-fraction", o.validation, "Share of rows for validation")->check(Range(0.0, 0.99))->capture_default_str()->group(g);
  cmd->add_option("--test-fraction", o.test, "Share of rows for testing")->check(Range(0.0, 0.99))->capture_default_str()->group(g);
  cmd->add_option("--compression", o.compression, "Deflate level of the HDF5 datasets (0 = none)")->check(Range(0, 9))->group(g);
  cmd->add_flag("--resume", o.resume, "Finish the unfinished dataset in the output directory (same command and settings)")->group(g);
  cmd->callback([&ctx, argv] {
    o.measured = split_outside_brackets(o.measured);
    const auto t0 = std::chrono::steady_clock::now();
    World world;
    io::RunInfo info(argv);
    auto input_error = [&ctx](const std::string& where, const std::string& what) { cli::input_error(ctx, where, what); };
    if (o.rows == 0 && o.sampler.draws == 0) return input_error("--rows", "give the number of flux sets (--rows), or a draw budget (--draws)");
    auto model = io::load_model(o.model);
    if (!accept(model, ctx)) return;
    auto space = FluxSpace::build(model.value());
    if (!accept(space, ctx)) return;
    const FluxSpace& fs = space.value();
    auto setup = sampler_setup(o.sampler, model.value(), o.model, fs, info, ctx);
    if (!setup) return;

    // tracer experiments and the traced elements
    if (o.experiments.empty() && !io::has_builtin_tracer_table(o.model))
      return input_error(o.model, "no built-in tracer experiments for this model; give --experiments");
    const std::string tracer_source = o.experiments.empty() ? o.model : o.experiments;
    auto table = io::load_tracer_table(tracer_source);
    if (!accept(table, ctx)) return;
    const auto problems = isotope::validate_experiments(model.value(), table.value().experiments, tracer_source, table.value().lines);
    print_diagnostics(problems);
    for (const auto& p : problems)
      if (p.severity == Severity::error) {
        ctx.exit_code = kExitInput;
        return;
      }
    auto labelling = isotope::natural_abundance_labelling(model.value(), o.natural);
    if (!accept(labelling, ctx)) return;
    auto elements = isotope::traced_element_list(o.elements, table.value().experiments);
    if (!accept(elements, ctx)) return;
    std::vector<isotope::TracedElementSpec> specs;
    std::vector<std::string> element_names;
    for (Element el : elements.value()) {
      specs.push_back({el, o.measured});
      element_names.emplace_back(element_symbol(el));
    }
    auto built = isotope::build_traced_elements(model.value(), fs, specs, table.value().experiments, labelling.value());
    if (!accept(built, ctx)) return;
    std::vector<isotope::TracedElement> traced = std::move(built.value());
    std::vector<std::string> experiment_ids;
    for (const auto& ex : table.value().experiments) experiment_ids.push_back(ex.id);

    auto sampler = sampling::FluxSetSampler::create(model.value(), fs, setup->constraints, setup->options);
    if (!accept(sampler, ctx)) return;

    // how the data are made: the manifest's provenance, compared on resume
    auto canonical = io::write_reaction_tsv(model.value());
    const std::string natural = isotope::natural_abundance_text(o.natural);
    const SamplerCli& so = o.sampler;
    sampling::DatasetOptions options;
    options.rows = o.rows;
    options.part_rows = o.part_rows;
    options.precision = o.precision == "float64" ? sampling::MidPrecision::float64 : sampling::MidPrecision::float32;
    options.density_neighbours = o.density;
    options.validation_fraction = o.validation;
    options.test_fraction = o.test;
    options.compression = o.compression;
    options.seed = so.seed;
    sampling::DatasetProvenance provenance;
    provenance.model = {o.model, model.value().id, canonical ? io::sha256_text(canonical.value()) : ""};
    provenance.experiments_source = tracer_source;
    provenance.experiments_table = io::write_tracer_table(table.value().experiments);
    provenance.elements = element_names;
    provenance.natural_abundance = natural;
    provenance.sampler = sampling::sampler_provenance(so);
    options.provenance = provenance.to_json();
    sampling::DatasetGenerator generator(fs, sampler.value(), std::move(traced), experiment_ids, options);

    // one process prepares the directory; every rank then works in it
    bool ready = true;
    if (world.rank == 0) {
      auto prepared = generator.prepare(o.output, o.resume);
      ready = accept(prepared, ctx);
    }
    if (!world.from_root(ready)) {
      if (world.rank != 0) ctx.exit_code = kExitInput;
      return;
    }
    sampling::DatasetRun run;
    run.threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    run.rank = world.rank;
    run.ranks = world.size;
    run.progress = spdlog::get_level() <= spdlog::level::info;
    run.stop = &interrupted;
    if (const char* v = std::getenv("FLUXION_DATASET_STOP_AFTER_PARTS")) run.stop_after_parts = std::atol(v);  // interruption tests
    auto previous = std::signal(SIGINT, on_interrupt);
    auto previous_term = std::signal(SIGTERM, on_interrupt);
    spdlog::info("{}: {} rows{}, {} experiments × {} MID fields ({} inputs), {} thread(s){}", o.model,
                 o.rows > 0 ? std::to_string(o.rows) : "?", so.draws > 0 ? " from at most " + std::to_string(so.draws) + " draws" : "",
                 generator.layout().experiments.size(), generator.layout().fields.size(), generator.layout().size(), run.threads,
                 world.mpi ? ", rank " + std::to_string(world.rank) + " of " + std::to_string(world.size) : "");
    auto summary = generator.run(o.output, run);
    std::signal(SIGINT, previous);
    std::signal(SIGTERM, previous_term);
    print_diagnostics(summary.diagnostics());
    const bool ok = summary.ok();
    if (!ok) ctx.exit_code = kExitFailure;
    const bool complete = ok && summary.value().complete;
    if (ok && !complete)
      spdlog::warn("stopped after {} new part(s) ({} rows in parts so far); run the same command with --resume to finish",
                   summary.value().parts_written, summary.value().rows);
    // every rank finished its shard: rank 0 lists them
    if (!world.all(complete)) {
      if (ctx.exit_code == kExitOk) ctx.exit_code = kExitFailure;
      return;
    }
    if (world.mpi && world.rank == 0) {
      auto listed = sampling::write_shard_manifest(o.output, world.size);
      if (!listed) {
        print_diagnostics(listed.diagnostics());
        ctx.exit_code = kExitFailure;
        return;
      }
    }
    const sampling::DatasetSummary& s = summary.value();
    if (world.rank != 0) return;
    info.add_input("model", o.model);
    info.add_input("experiments", tracer_source);
    record_sampler(so, sampler.value(), info);
    info.set("rows", std::to_string(s.rows));
    info.set("threads", std::to_string(run.threads));
    info.set("ranks", std::to_string(world.size));
    info.set("parts_resumed", std::to_string(s.parts_resumed));
    info.set("parts_written", std::to_string(s.parts_written));
    if (o.density > 0) info.set("density_rejections", std::to_string(s.density_rejections));
    if (!s.stream_end.empty()) info.set("stream_end", s.stream_end);
    info.add_output(o.output + "/manifest.json");
    info.add_output(s.file);
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    info.add_timing("simulate", s.seconds_simulating);
    info.add_timing("write_parts", s.seconds_writing);
    info.add_timing("merge", s.seconds_merging);
    info.add_timing("total", total);
    info.set("rows_per_second", format_number(static_cast<double>(s.rows_here) / total));
    if (auto w = info.write(o.output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    if (o.rows > 0 && s.rows < o.rows) spdlog::warn("{} of the {} rows asked for: {}", s.rows, o.rows, s.stream_end);
    spdlog::info("{} rows ({} draws) in {:.1f} s; wrote {}", s.rows, s.draws, total, world.mpi ? o.output + "/shard-*.h5" : s.file);
  });
}

}  // namespace fluxion::cli
