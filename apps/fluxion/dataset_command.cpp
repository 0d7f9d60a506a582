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
#include "option_binding.hpp"
#include "fluxion/io/run_info.hpp"
#include "fluxion/io/simulation_inputs.hpp"  // split_outside_brackets
#include "fluxion/sampling/dataset_recipe.hpp"
#include "sampler_options.hpp"

namespace fluxion::cli {

namespace {

struct DatasetCli {
  std::string output;
  sampling::DatasetRecipe recipe;
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
  auto bound = bind_options(cmd, sampling::DatasetRecipe::table(), o.recipe, ctx);
  cmd->add_option("-o,--output", o.output, "Output directory (dataset.h5, manifest.json, run_info.json)")->required()->group("Required");
  for (const char* name : {"model", "rows"}) bound[name]->group("Required");
  for (const char* name : {"threads", "part-rows", "mid-precision", "density-neighbours", "validation-fraction", "test-fraction", "compression", "resume"})
    bound[name]->group("Dataset");
  for (const char* name : {"times", "pools", "pool-range", "default-pool", "inst-tolerance"}) bound[name]->group("Time course");
  declare_sampler_options(cmd, o.sampler, ctx);
  cmd->callback([&ctx, argv] {
    sampling::DatasetRecipe& r = o.recipe;
    r.measured = io::split_outside_brackets(r.measured);
    const auto t0 = std::chrono::steady_clock::now();
    World world;
    io::RunInfo info(argv);
    if (r.rows == 0 && o.sampler.draws == 0) return input_error(ctx, "--rows", "give the number of flux sets (--rows), or a draw budget (--draws)");
    auto inputs = sampling::load_dataset_inputs(r);
    if (!accept(inputs, ctx)) return;
    sampling::DatasetInputs& in = inputs.value();
    const SamplerCli& so = o.sampler;
    auto setup = sampler_setup(so, *in.model, r.model, *in.space, info, ctx);
    if (!setup) return;
    auto sampler = sampling::FluxSetSampler::create(*in.model, *in.space, setup->constraints, setup->options);
    if (!accept(sampler, ctx)) return;
    sampling::DatasetGenerator generator(*in.space, sampler.value(), std::move(in.traced), in.experiment_ids, sampling::dataset_options(r, in, so));

    // one process prepares the directory; every rank then works in it
    bool ready = true;
    if (world.rank == 0) {
      auto prepared = generator.prepare(o.output, r.resume);
      ready = accept(prepared, ctx);
    }
    if (!world.from_root(ready)) {
      if (world.rank != 0) ctx.exit_code = kExitInput;
      return;
    }
    sampling::DatasetRun run;
    run.threads = r.threads > 0 ? r.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    run.rank = world.rank;
    run.ranks = world.size;
    run.progress = spdlog::get_level() <= spdlog::level::info;
    run.stop = &interrupted;
    if (const char* v = std::getenv("FLUXION_DATASET_STOP_AFTER_PARTS")) run.stop_after_parts = std::atol(v);  // interruption tests
    auto previous = std::signal(SIGINT, on_interrupt);
    auto previous_term = std::signal(SIGTERM, on_interrupt);
    if (in.provenance.time_course.active())
      spdlog::info("time course at {} times; {} pools, {} of them drawn per flux set", in.provenance.time_course.times.size(),
                   in.provenance.time_course.pools.size(), in.provenance.time_course.output_columns().size());
    spdlog::info("{}: {} rows{}, {} experiments × {} MID fields ({} inputs), {} thread(s){}", r.model,
                 r.rows > 0 ? std::to_string(r.rows) : "?", so.draws > 0 ? " from at most " + std::to_string(so.draws) + " draws" : "",
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
    info.add_input("model", r.model);
    info.add_input("experiments", in.tracer_source);
    if (!r.pools.empty()) info.add_input("pools", r.pools);
    record_sampler(so, sampler.value(), info);
    info.set("rows", std::to_string(s.rows));
    info.set("threads", std::to_string(run.threads));
    info.set("ranks", std::to_string(world.size));
    info.set("parts_resumed", std::to_string(s.parts_resumed));
    info.set("parts_written", std::to_string(s.parts_written));
    if (r.density > 0) info.set("density_rejections", std::to_string(s.density_rejections));
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
    if (r.rows > 0 && s.rows < r.rows) spdlog::warn("{} of the {} rows asked for: {}", s.rows, r.rows, s.stream_end);
    spdlog::info("{} rows ({} draws) in {:.1f} s; wrote {}", s.rows, s.draws, total, world.mpi ? o.output + "/shard-*.h5" : s.file);
  });
}

}  // namespace fluxion::cli
