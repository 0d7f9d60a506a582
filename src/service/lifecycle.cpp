// The service's two entry points, serve() (HTTP API and workers) and work() (workers only),
// and what they share: the options' check and opening the job store.
#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "fluxion/core/format.hpp"
#include "fluxion/service/server.hpp"
#include "service_internal.hpp"

namespace fluxion::service {

namespace fs = std::filesystem;

const OptionTable<ServiceOptions>& ServiceOptions::table() {
  using O = ServiceOptions;
  static const OptionTable<O> t = [] {
    OptionTable<O> t;
    t.add("host", &O::host, "Address to listen on (0.0.0.0: every interface; put a TLS proxy in front)");
    t.add("port", &O::port, "TCP port (0: any free port, printed)").range(0, 65535);
    t.add("web-root", &O::web_root, "The built front end (default: the build's web/dist, then share/fluxion/web)").no_default();
    OptionTable<O>::Custom upload;
    upload.get = [](const O& o) { return format_short(static_cast<double>(o.max_upload_bytes) / (1024.0 * 1024.0)); };
    upload.set = [](O& o, const std::string& text) -> std::string {
      char* end = nullptr;
      const double mb = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !std::isfinite(mb)) {
        std::string why = "'";
        why += text.substr(0, 40);
        why += "' is not a number";
        return why;
      }
      o.max_upload_bytes = static_cast<std::uint64_t>(std::ceil(mb * 1024 * 1024));  // reads back as at least mb
      return {};
    };
    t.add_custom("max-upload", upload, "Largest submission, MB (all files together)").range(0.01, 1e6).type("number");
    t.add("retention-days", &O::retention_days, "Finished jobs and their files are deleted after this many days (0: never)").range(0.0, 36500.0);
    t.add("http-threads", &O::http_threads, "Connections served at once").range(2, 1024);
    t.add("model-dir", &O::model_dirs, "A directory of model files (SBML, JSON, ...) offered in the forms; repeatable").no_default().no_split();
    t.add("map-dir", &O::map_dirs, "A directory of Escher maps named <model>.<map name>.json (BiGG's naming), drawn with flux results; repeatable")
        .no_default()
        .no_split();
    t.add("data", &O::data_dir, "Data directory: jobs/<id>/ with inputs, outputs and logs; jobs.db");
    t.add("db", &O::database, "Job store: a SQLite file (default <data>/jobs.db) or postgresql://user@host/database").no_default();
    t.add("workers", &O::workers, "Jobs run at once on this host (0: none; `fluxion worker`s run them)").range(0, 256);
    t.add("job-threads", &O::job_threads, "Threads per job (0: cores / workers)").range(0, 1024);
    t.add("job-timeout", &O::job_timeout_s, "A job running longer than this many seconds is stopped").positive();
    t.add("max-attempts", &O::max_attempts, "Starts of a job whose worker died before it is marked failed").range(1, 100);
    t.add("stale-after", &O::stale_after_s, "Seconds without a heartbeat after which another worker takes a running job over").range(5.0, 86400.0);
    return t;
  }();
  return t;
}

std::vector<Diagnostic> ServiceOptions::validate() const {
  Diagnostics d("fluxion serve");
  d.append(table().check(*this, "fluxion serve"));
  if (max_upload_bytes < 1024) d.error("--max-upload must be at least 1 KB", 0, 0, "max-upload");
  if (!web_root.empty() && !fs::is_regular_file(fs::path(web_root) / "index.html"))
    d.error("--web-root " + web_root + " has no index.html (build the front end: npm run build in web/)", 0, 0, "web-root");
  for (const auto& m : model_dirs)
    if (!fs::is_directory(m)) d.error("--model-dir " + m + " is not a directory", 0, 0, "model-dir");
  for (const auto& m : map_dirs)
    if (!fs::is_directory(m)) d.error("--map-dir " + m + " is not a directory", 0, 0, "map-dir");
  return d.items();
}

namespace {

Result<std::unique_ptr<JobStore>> open_store(const ServiceOptions& options) {
  std::error_code ec;
  fs::create_directories(fs::path(options.data_dir) / "jobs", ec);
  if (ec) {
    Diagnostics d(options.data_dir);
    d.error("cannot create the data directory: " + ec.message(), 0, 0, "data");
    return Result<std::unique_ptr<JobStore>>::failure(d);
  }
  // staging directories of submissions the server did not finish receiving
  for (const auto& e : fs::directory_iterator(fs::path(options.data_dir) / "jobs", ec))
    if (e.path().extension() == ".partial") fs::remove_all(e.path(), ec);
  return open_job_store(options.database.empty() ? (fs::path(options.data_dir) / "jobs.db").string() : options.database);
}

bool is_sqlite(const ServiceOptions& o) { return o.database.empty() || o.database.rfind("postgres", 0) != 0; }

// The data directory as an absolute path: each job's process starts in its own job
// directory, where a relative path (the default ./fluxion-data) would name nothing, and every
// job would fail before it ran.
ServiceOptions with_absolute_data(const ServiceOptions& given) {
  ServiceOptions o = given;
  std::error_code ec;
  const fs::path absolute = fs::absolute(o.data_dir, ec);
  if (!ec) o.data_dir = absolute.lexically_normal().string();
  return o;
}

}  // namespace

Result<bool> serve(const ServiceOptions& given, const ServiceCatalogue& catalogue, const std::atomic<bool>& stop) {
  if (auto problems = given.validate(); !problems.empty()) return Result<bool>::failure(problems);
  const ServiceOptions options = with_absolute_data(given);
  auto opened = open_store(options);
  if (!opened) return Result<bool>::failure(opened.diagnostics());
  JobStore& store = *opened.value();
  // one host owns a SQLite store: whatever was running when it last stopped has no worker now
  if (is_sqlite(options) && options.workers > 0)
    for (const auto& r : store.recover(0, options.max_attempts))
      log_line("job " + r.id + (r.now == JobState::queued ? " re-queued" : " marked failed") + ": the server stopped while it ran");

  httplib::Server server;
  const int http_threads = options.http_threads;
  server.new_task_queue = [http_threads] { return new httplib::ThreadPool(static_cast<std::size_t>(http_threads)); };
  server.set_payload_max_length(static_cast<std::size_t>(options.max_upload_bytes));
  server.set_read_timeout(static_cast<time_t>(options.read_timeout_s), 0);
  server.set_write_timeout(static_cast<time_t>(options.write_timeout_s), 0);
  server.set_keep_alive_timeout(1);  // an idle browser connection gives its thread back between polls (1.5 s)
  server.set_keep_alive_max_count(1000);
  server.set_tcp_nodelay(true);  // small JSON answers: no 40 ms wait for a delayed ACK (Nagle)
  server.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"Content-Security-Policy",
                               "default-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'"}});
  const auto api = install_api(server, store, options, catalogue);
  // Debian's cpp-httplib listens with a backlog of 5: under a burst of connections (200
  // browsers polling) the kernel drops SYNs and clients wait for seconds. The socket is
  // caught here and listened on again with a deep queue once bound (Linux updates the backlog).
  int listen_fd = -1;
  server.set_socket_options([&listen_fd](int fd) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = fd;
  });

  const int port = options.port == 0 ? server.bind_to_any_port(options.host) : (server.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port < 0) {
    Diagnostics d("fluxion serve");
    d.error("cannot listen on " + options.host + ":" + std::to_string(options.port) + " (in use, or not an address of this machine)", 0, 0, "port");
    return Result<bool>::failure(d);
  }
  if (listen_fd >= 0) ::listen(listen_fd, 4096);
  WorkerPool pool(store, options, catalogue);
  if (options.workers > 0) pool.start(options.workers);
  std::thread http([&] { server.listen_after_bind(); });
  std::printf("fluxion serving on http://%s:%d/ (jobs in %s, %s; %d worker%s)\n", options.host.c_str(), port, options.data_dir.c_str(),
              store.describe().c_str(), options.workers, options.workers == 1 ? "" : "s");
  std::fflush(stdout);
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  log_line("stopping: running jobs are re-queued at the next start");
  server.stop();
  http.join();
  pool.stop();
  return Result<bool>::success(true);
}

Result<bool> work(const ServiceOptions& given, const ServiceCatalogue& catalogue, const std::atomic<bool>& stop) {
  if (auto problems = given.validate(); !problems.empty()) return Result<bool>::failure(problems);
  const ServiceOptions options = with_absolute_data(given);
  if (options.workers < 1) {
    Diagnostics d("fluxion worker");
    d.error("--workers must be at least 1", 0, 0, "workers");
    return Result<bool>::failure(d);
  }
  auto opened = open_store(options);
  if (!opened) return Result<bool>::failure(opened.diagnostics());
  JobStore& store = *opened.value();
  WorkerPool pool(store, options, catalogue);
  pool.start(options.workers);
  std::printf("fluxion worker: %d worker%s on %s (jobs in %s)\n", options.workers, options.workers == 1 ? "" : "s", store.describe().c_str(),
              options.data_dir.c_str());
  std::fflush(stdout);
  while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  pool.stop();
  return Result<bool>::success(true);
}

}  // namespace fluxion::service
