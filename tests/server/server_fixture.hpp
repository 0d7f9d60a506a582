// Starts the real fluxion binary as a server (or worker) on loopback for the API tests.
#pragma once

#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fluxion::test {

// A child process whose stdout is read for the "serving on http://host:port/" line.
class FluxionProcess {
 public:
  // `cwd`: the directory the process starts in (empty: this one)
  explicit FluxionProcess(std::vector<std::string> args, bool wait_for_port = true, const std::string& cwd = "") {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
      dup2(out[1], 1);
      close(out[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = fdopen(out[0], "r");
    if (!wait_for_port) return;
    char line[1024];
    static const std::regex re("http://[0-9.]+:([0-9]+)/");
    while (std::fgets(line, sizeof line, out_)) {
      std::cmatch m;
      if (std::regex_search(line, m, re)) {
        port_ = std::stoi(m[1]);
        return;
      }
    }
    throw std::runtime_error("the server did not start (no 'serving on' line)");
  }
  ~FluxionProcess() { kill_now(SIGKILL); }
  FluxionProcess(const FluxionProcess&) = delete;
  FluxionProcess& operator=(const FluxionProcess&) = delete;

  int port() const { return port_; }
  // Sends a signal and waits for the process; returns its exit status (-signal when killed).
  int kill_now(int sig) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (out_) std::fclose(out_);
    out_ = nullptr;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  int port_ = 0;
};

inline std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("fluxion-test-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline nlohmann::json body_json(const httplib::Result& r) {
  if (!r) throw std::runtime_error("no response: " + httplib::to_string(r.error()));
  return nlohmann::json::parse(r->body);
}

// Polls a job until it is in a final state or `seconds` pass; returns its last status.
inline nlohmann::json wait_for_job(httplib::Client& c, const std::string& id, double seconds, const std::string& until = "") {
  const auto start = std::chrono::steady_clock::now();
  nlohmann::json j;
  for (;;) {
    j = body_json(c.Get("/api/jobs/" + id));
    const std::string s = j.value("state", "");
    if (until.empty() ? (s == "done" || s == "failed" || s == "cancelled") : s == until) return j;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) return j;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace fluxion::test
