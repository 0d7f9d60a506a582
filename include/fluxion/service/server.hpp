// The web service: `fluxion serve` (HTTP API + job workers) and `fluxion worker` (workers
// only, for more hosts on a PostgreSQL job store).
//
// Every analysis runs as the same fluxion command a user would type, in a child process
// (so a crash or a runaway job cannot take the server down, and cancelling is a signal):
// `fluxion <command> <args> --output output` in the job's directory
// `<data>/jobs/<id>/` (input/, output/, log.txt), with its progress bar written to a file
// the worker reads into the job store.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/options.hpp"
#include "fluxion/service/job_store.hpp"

namespace fluxion::service {

// How one option of an analysis appears in the web form and the API: the declaration of the
// command's option table (core/options.hpp), the same one the CLI binds.
using OptionKind = fluxion::OptionKind;
using OptionSpec = fluxion::OptionInfo;

// A table or plot the web page draws from one result file.
struct ResultView {
  std::string file;    // path under output/
  std::string kind;    // table | bars | line | scatter | matrix | map (an Escher flux map of x → y)
                       // | facts (values of a JSON file: x = "a.b=Label;c=Label", empty ones left out)
                       // | ranges (x: label, y: minimum, error: maximum; flux variability)
                       // | image (an SVG the command drew, shown as it is)
  std::string title;
  std::string x, y;    // columns (bars: label, value; line: x, y; scatter: measured, simulated)
  std::string error;   // bars: the error-bar column; "" = none
  std::string group;   // line: a column whose values split the series; "" = one series;
                       // bars: "open-bound" lists values at the model's open bound (±1000) apart
  bool optional = false;  // drawn only for some inputs (fit's pools.tsv: time courses); the sample run need not write it
};

struct SampleInput {
  std::string option;  // which file option it fills
  std::string path;    // on the server
  std::string label;   // "glycolysis, 3 replicates"
};

struct AnalysisSpec {
  std::string id;                      // "predict"
  std::string command;                 // the fluxion subcommand it runs
  std::string title, summary;
  std::vector<OptionSpec> options;
  std::vector<std::string> fixed_args;  // added by the server (threads, quiet)
  std::vector<ResultView> views;
  std::vector<SampleInput> samples;
  std::string example_value_set;        // a label for the sample set ("glycolysis tracer experiment")
  std::vector<std::pair<std::string, std::string>> sample_values;  // option → value used with the samples
};

// The command line a job runs: `executable <command words> <the form's args> <the
// analysis's fixed args, {threads} replaced> --output output`, in the job's directory.
// Its exit status means what core/exit_status.hpp says.
std::vector<std::string> job_command_line(const std::string& executable, const AnalysisSpec& analysis, const std::vector<std::string>& args,
                                          int threads_per_job);

// Checks an assembled argument list before the job is queued; every problem as a
// Diagnostic whose `context` names the field. `job_dir` holds input/.
using JobValidator = std::function<std::vector<Diagnostic>(const AnalysisSpec&, const std::vector<std::string>& args, const std::string& job_dir)>;

struct ServiceOptions {
  std::string host = "127.0.0.1";       // listen address; 0.0.0.0 exposes it to the network
  int port = 8080;                      // 0 = any free port (printed)
  std::string data_dir = "fluxion-data";  // jobs/<id>/ and, by default, jobs.db
  std::string database;                 // job store URL; "" = SQLite <data_dir>/jobs.db
  int workers = 1;                      // jobs run at once on this host (0: serve only)
  int job_threads = 0;                  // threads given to each job (0 = cores / workers)
  std::uint64_t max_upload_bytes = 500ull << 20;  // one submission, all files together
  double retention_days = 30;           // finished jobs and their files are deleted after this
  int max_attempts = 2;                 // a job whose worker died is retried until this many starts
  double job_timeout_s = 24 * 3600;     // a running job is stopped after this long
  double stale_after_s = 60;            // a running job without a heartbeat this long lost its worker
  int http_threads = 32;                // connections served at once (an idle kept-alive one holds a thread ≤ 1 s)
  double read_timeout_s = 60, write_timeout_s = 60;  // per socket operation
  std::string web_root;                 // the built front end (index.html, assets/); "" = API only
  std::string executable;               // the fluxion binary jobs run ("" = this process's)
  std::vector<std::string> model_dirs;  // model files offered beside the built-in ones
  std::vector<std::string> map_dirs;    // Escher maps, "<model>.<map name>.json" (BiGG's naming)

  std::vector<Diagnostic> validate() const;
  // the options of `fluxion serve` (all) and `fluxion worker` (those of the jobs and the store)
  static const OptionTable<ServiceOptions>& table();
};

struct ServiceCatalogue {
  std::vector<AnalysisSpec> analyses;
  std::vector<std::pair<std::string, std::string>> builtin_models;      // name, description
  std::vector<std::pair<std::string, std::string>> builtin_predictors;  // name, description
  JobValidator validate;
  // The reactions of a model (built-in name or library file path), for the forms' choice
  // lists: id and name, the model's objective first. Empty when the model cannot be read.
  std::function<std::vector<std::pair<std::string, std::string>>(const std::string&)> model_reactions;
  std::string openapi_json;             // the API's description
  std::string version;
};

// Runs jobs from the store: `n` threads, each claiming a job, running it and recording the
// outcome. Stops (and re-queues what it was running) on stop().
class WorkerPool {
 public:
  WorkerPool(JobStore& store, const ServiceOptions& options, const ServiceCatalogue& catalogue);
  ~WorkerPool();
  void start(int n);
  void stop();  // kills running children; their jobs are recovered on the next start
  std::size_t running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `fluxion serve`: opens the store, recovers jobs, starts workers and the HTTP server, and
// blocks until `stop` becomes true (SIGINT/SIGTERM). Prints the address when listening.
// Returns an error for bad options, a store that cannot be opened or a port that is taken.
Result<bool> serve(const ServiceOptions& options, const ServiceCatalogue& catalogue, const std::atomic<bool>& stop);

// `fluxion worker`: workers only, on a shared store and data directory.
Result<bool> work(const ServiceOptions& options, const ServiceCatalogue& catalogue, const std::atomic<bool>& stop);

}  // namespace fluxion::service
