// Workers: claim a job, run its fluxion command in a child process, record the outcome.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "fluxion/core/exit_status.hpp"
#include "fluxion/service/server.hpp"
#include "service_internal.hpp"

extern char** environ;

namespace fluxion::service {

std::vector<std::string> job_command_line(const std::string& executable, const AnalysisSpec& analysis, const std::vector<std::string>& args,
                                          int threads_per_job) {
  std::vector<std::string> argv{executable};
  std::istringstream words(analysis.command);  // "dynamics train": a command and its subcommand
  for (std::string w; words >> w;) argv.push_back(w);
  argv.insert(argv.end(), args.begin(), args.end());
  for (const auto& a : analysis.fixed_args) argv.push_back(a == "{threads}" ? std::to_string(threads_per_job) : a);
  argv.push_back("--output");
  argv.push_back("output");
  return argv;
}

namespace fs = std::filesystem;

namespace {

struct ChildOutcome {
  enum { exited, signalled, cancelled, timed_out, lost, stopping } how = exited;
  int code = 0;
};

// The lines of the job's log that say what went wrong: the first lines with "error", else the last few.
std::string failure_summary(const fs::path& log) {
  std::ifstream in(log, std::ios::binary);
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::streamoff>(in.tellg());
  in.seekg(std::max<std::streamoff>(0, size - 262144));  // the CLI prints at most 50 errors and 50 warnings
  std::string line;
  std::vector<std::string> lines, errors;
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("== ", 0) == 0) continue;
    lines.push_back(line);
    if (line.find("error") != std::string::npos) errors.push_back(line);
  }
  std::string out;
  if (!errors.empty()) {  // the first errors: a bad table's later ones repeat the first
    for (std::size_t i = 0; i < errors.size() && i < 8; ++i) out += (out.empty() ? "" : "\n") + errors[i];
    if (errors.size() > 8) out += "\n… and " + std::to_string(errors.size() - 8) + " more error lines in the job's log";
    return out;
  }
  const std::size_t from = lines.size() > 8 ? lines.size() - 8 : 0;  // no error line: how the log ends
  for (std::size_t i = from; i < lines.size(); ++i) out += (out.empty() ? "" : "\n") + lines[i];
  return out;
}

// "done total unit label" as the progress bar writes it
std::pair<double, std::string> read_progress(const fs::path& file) {
  std::ifstream in(file);
  long done = 0, total = 0;
  std::string unit, label;
  if (!(in >> done >> total >> unit)) return {-1.0, {}};
  std::getline(in >> std::ws, label);
  const double f = total > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0) : -1.0;
  return {f, label.empty() ? unit : label + " (" + std::to_string(done) + "/" + std::to_string(total) + " " + unit + ")"};
}

}  // namespace

struct WorkerPool::Impl {
  JobStore& store;
  const ServiceOptions& options;
  const ServiceCatalogue& catalogue;
  std::string worker_name, executable;
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> running{0};
  std::mutex mutex;
  std::condition_variable wake;
  int threads_per_job = 1;

  Impl(JobStore& s, const ServiceOptions& o, const ServiceCatalogue& c) : store(s), options(o), catalogue(c) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    worker_name = std::string(host) + ":" + std::to_string(getpid());
    executable = options.executable.empty() ? fs::read_symlink("/proc/self/exe").string() : options.executable;
  }

  void sleep_for(double seconds) {
    std::unique_lock lock(mutex);
    wake.wait_for(lock, std::chrono::duration<double>(seconds), [&] { return stopping.load(); });
  }

  void loop(int index) {
    auto last_housekeeping = std::chrono::steady_clock::now() - std::chrono::hours(1);
    while (!stopping) {
      try {
        if (index == 0 && std::chrono::steady_clock::now() - last_housekeeping > std::chrono::seconds(5)) {
          last_housekeeping = std::chrono::steady_clock::now();
          housekeeping();
        }
        auto job = store.claim(worker_name);
        if (!job) {
          sleep_for(0.25);
          continue;
        }
        ++running;
        run(*job);
        --running;
      } catch (const std::exception& e) {
        log_line("worker: " + std::string(e.what()));
        sleep_for(1.0);
      }
    }
  }

  void housekeeping() {
    // jobs of a worker (on any host) that stopped sending heartbeats
    for (const auto& r : store.recover(static_cast<std::int64_t>(options.stale_after_s * 1000), options.max_attempts))
      log_line("job " + r.id + (r.now == JobState::queued ? " re-queued" : " failed") + ": its worker stopped");
    if (options.retention_days > 0) {
      const auto before = now_ms() - static_cast<std::int64_t>(options.retention_days * 86400e3);
      for (const auto& id : store.expire(before)) {
        std::error_code ec;
        fs::remove_all(job_directory(options.data_dir, id), ec);
      }
    }
  }

  const AnalysisSpec* spec(const std::string& id) const {
    for (const auto& a : catalogue.analyses)
      if (a.id == id) return &a;
    return nullptr;
  }

  void run(const Job& job) {
    const fs::path dir = job_directory(options.data_dir, job.id);
    const AnalysisSpec* analysis = spec(job.analysis);
    if (!analysis || !fs::is_directory(dir / "input")) {
      store.finish(job.id, JobState::failed, !analysis ? "this server does not know the analysis '" + job.analysis + "'" : "the job's input files are missing");
      return;
    }
    std::vector<std::string> args;
    try {
      for (const auto& a : nlohmann::json::parse(job.args)) args.push_back(a.get<std::string>());
    } catch (const std::exception& e) {
      store.finish(job.id, JobState::failed, std::string("the job's arguments are damaged: ") + e.what());
      return;
    }
    const std::vector<std::string> argv = job_command_line(executable, *analysis, args, threads_per_job);
    std::error_code ec;
    fs::remove_all(dir / "output", ec);  // a re-queued job starts clean
    fs::remove(dir / "progress", ec);
    {
      std::ofstream log(dir / "log.txt", std::ios::app);
      log << "== attempt " << job.attempts << " on " << worker_name << ": fluxion";
      for (std::size_t i = 1; i < argv.size(); ++i) log << ' ' << argv[i];
      log << "\n";
    }
    const ChildOutcome outcome = run_child(job, dir, argv);
    switch (outcome.how) {
      case ChildOutcome::exited:
        if (outcome.code == kExitOk) store.finish(job.id, JobState::done, "");
        else store.finish(job.id, JobState::failed, exit_meaning(outcome.code) + ":\n" + failure_summary(dir / "log.txt"));
        break;
      case ChildOutcome::signalled:
        store.finish(job.id, JobState::failed, "the analysis stopped with signal " + std::to_string(outcome.code) + " (" + strsignal(outcome.code) + ")");
        break;
      case ChildOutcome::cancelled: store.finish(job.id, JobState::cancelled, "cancelled while running"); break;
      case ChildOutcome::timed_out:
        store.finish(job.id, JobState::failed, "stopped after the time limit of " + std::to_string(static_cast<long>(options.job_timeout_s)) + " s");
        break;
      case ChildOutcome::lost:  // another worker recovered it meanwhile
      case ChildOutcome::stopping: break;  // recovered at the next start
    }
    std::ofstream(dir / "log.txt", std::ios::app) << "== finished\n";
  }

  ChildOutcome run_child(const Job& job, const fs::path& dir, const std::vector<std::string>& args) {
    // everything the child needs is prepared before fork: after it, only async-signal-safe calls
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      const std::string kv(*e);
      if (kv.rfind("FLUXION_PROGRESS_FILE=", 0) == 0 || kv.rfind("OMP_NUM_THREADS=", 0) == 0) continue;
      env_strings.push_back(kv);
    }
    env_strings.push_back("FLUXION_PROGRESS_FILE=" + (dir / "progress").string());
    env_strings.push_back("OMP_NUM_THREADS=" + std::to_string(threads_per_job));
    std::vector<char*> envp, argv;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args_copy = args;
    for (auto& s : args_copy) argv.push_back(s.data());
    argv.push_back(nullptr);
    const std::string dir_s = dir.string(), log_s = (dir / "log.txt").string();
    const pid_t parent = getpid();

    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // the job dies with its worker; recovery re-runs it
      if (getppid() != parent) _exit(126);
      if (chdir(dir_s.c_str()) != 0) _exit(126);
      const int log = open(log_s.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
      const int null = open("/dev/null", O_RDONLY);
      if (log < 0 || null < 0) _exit(126);
      dup2(null, 0);
      dup2(log, 1);
      dup2(log, 2);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    setpgid(pid, pid);
    const auto started = std::chrono::steady_clock::now();
    auto last_beat = started;
    ChildOutcome outcome;
    bool killed = false;
    for (;;) {
      int status = 0;
      const pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        if (killed) return outcome;
        if (WIFEXITED(status)) return {ChildOutcome::exited, WEXITSTATUS(status)};
        return {ChildOutcome::signalled, WTERMSIG(status)};
      }
      if (!killed) {
        const auto now = std::chrono::steady_clock::now();
        if (stopping) outcome.how = ChildOutcome::stopping;
        else if (std::chrono::duration<double>(now - started).count() > options.job_timeout_s) outcome.how = ChildOutcome::timed_out;
        else if (now - last_beat >= std::chrono::seconds(1)) {
          last_beat = now;
          const auto [fraction, label] = read_progress(dir / "progress");
          if (!store.heartbeat(job.id, worker_name, fraction, label)) outcome.how = ChildOutcome::lost;
          else if (auto current = store.get(job.id); current && current->cancel_requested) outcome.how = ChildOutcome::cancelled;
        }
        if (outcome.how != ChildOutcome::exited) {
          kill(-pid, SIGKILL);
          killed = true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(killed ? 20 : 100));
    }
  }
};

WorkerPool::WorkerPool(JobStore& store, const ServiceOptions& options, const ServiceCatalogue& catalogue)
    : impl_(std::make_unique<Impl>(store, options, catalogue)) {}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start(int n) {
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  impl_->threads_per_job = impl_->options.job_threads > 0 ? impl_->options.job_threads : std::max(1, cores / std::max(1, n));
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this, i] { impl_->loop(i); });
}

void WorkerPool::stop() {
  impl_->stopping = true;
  impl_->wake.notify_all();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
}

std::size_t WorkerPool::running() const { return impl_->running; }

}  // namespace fluxion::service
