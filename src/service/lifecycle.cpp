// The service's two entry points, serve() (HTTP API and workers) and work() (workers only),
// and what they share: the options' check and opening the job store.
#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "fluxion/service/server.hpp"
#include "service_internal.hpp"

namespace fluxion::service {

namespace fs = std::filesystem;

std::vector<Diagnostic> ServiceOptions::validate() const {
  Diagnostics d("fluxion serve");
  if (port < 0 || port > 65535) d.error("--port " + std::to_string(port) + " is not a TCP port (0 to 65535)", 0, 0, "port");
  if (workers < 0 || workers > 256) d.error("--workers " + std::to_string(workers) + " must be between 0 and 256", 0, 0, "workers");
  if (job_threads < 0 || job_threads > 1024) d.error("--job-threads must be between 0 and 1024", 0, 0, "job-threads");
  if (max_upload_bytes < 1024) d.error("--max-upload must be at least 1 KB", 0, 0, "max-upload");
  if (retention_days < 0) d.error("--retention-days must not be negative (0 keeps jobs for ever)", 0, 0, "retention-days");
  if (max_attempts < 1) d.error("--max-attempts must be at least 1", 0, 0, "max-attempts");
  if (!(job_timeout_s > 0)) d.error("--job-timeout must be positive", 0, 0, "job-timeout");
  if (http_threads < 2 || http_threads > 1024) d.error("--http-threads must be between 2 and 1024", 0, 0, "http-threads");
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

}  // namespace

Result<bool> serve(const ServiceOptions& options, const ServiceCatalogue& catalogue, const std::atomic<bool>& stop) {
  if (auto problems = options.validate(); !problems.empty()) return Result<bool>::failure(problems);
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

Result<bool> work(const ServiceOptions& options, const ServiceCatalogue& catalogue, const std::atomic<bool>& stop) {
  if (auto problems = options.validate(); !problems.empty()) return Result<bool>::failure(problems);
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
