// The job store: where the web app's and the workers' jobs live, so that a job outlives the
// process that runs it. Two back ends with one contract: SQLite (the embedded default, one
// host, WAL mode) and PostgreSQL (several hosts; workers claim jobs with
// FOR UPDATE SKIP LOCKED).
//
// A job moves queued → running → done | failed | cancelled. A running job carries a
// heartbeat; a job whose heartbeat stopped (its worker died) is put back in the queue by
// `recover` while it has attempts left, and otherwise marked failed with the reason.
// Failures of the database itself (disk full, connection lost) throw JobStoreError: they are
// not the user's input and the caller cannot fix them by changing a field.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::service {

enum class JobState { queued, running, done, failed, cancelled };
const char* to_string(JobState s);
std::optional<JobState> job_state_from_string(const std::string& s);
inline bool is_final(JobState s) { return s == JobState::done || s == JobState::failed || s == JobState::cancelled; }

struct Job {
  std::string id;                 // 32 hex digits (128 random bits): the capability to read it
  std::string analysis;           // the job type: a fluxion command ("predict", "fba", ...)
  std::string owner;              // SHA-256 of the submitting browser's token; "" = none
  std::string args;               // JSON array: the command's arguments, paths relative to the job directory
  std::string title;              // what the user called it (may be empty)
  JobState state = JobState::queued;
  double progress = -1;           // fraction done in [0, 1]; -1 = not known
  std::string progress_label;     // what is being counted ("epochs", "reactions")
  std::string message;            // failed: why; otherwise a note (re-queued after a restart)
  std::string worker;             // who runs or ran it (host:pid)
  int attempts = 0;               // times it was started
  bool cancel_requested = false;
  std::int64_t created_ms = 0, started_ms = 0, finished_ms = 0, heartbeat_ms = 0;  // Unix ms; 0 = not yet
};

struct JobStoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What `recover` did to one job.
struct RecoveredJob {
  std::string id;
  JobState now = JobState::queued;  // queued again, or failed for good
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  virtual void create(const Job& job) = 0;
  virtual std::optional<Job> get(const std::string& id) = 0;
  // The owner's jobs, newest first.
  virtual std::vector<Job> list_by_owner(const std::string& owner, int limit) = 0;
  // Oldest queued job → running for `worker` (attempts + 1); none when the queue is empty.
  virtual std::optional<Job> claim(const std::string& worker) = 0;
  // Progress and heartbeat of a running job; false when the job is no longer running here.
  virtual bool heartbeat(const std::string& id, const std::string& worker, double progress, const std::string& label) = 0;
  // running → done, failed or cancelled; the message says why (may be empty for done).
  virtual void finish(const std::string& id, JobState state, const std::string& message) = 0;
  // A queued job is cancelled at once; a running one is flagged for its worker. False when the
  // job does not exist or has finished.
  virtual bool request_cancel(const std::string& id) = 0;
  // Running jobs whose heartbeat is older than `stale_ms` (0: every running job — for a
  // single host after a restart): re-queued while attempts < max_attempts, failed otherwise.
  virtual std::vector<RecoveredJob> recover(std::int64_t stale_ms, int max_attempts) = 0;
  // Deletes finished jobs that finished before `before_ms`; returns their ids (their
  // directories are the caller's to remove).
  virtual std::vector<std::string> expire(std::int64_t before_ms) = 0;
  // Counts by state, for the health endpoint.
  virtual std::vector<std::pair<JobState, long>> counts() = 0;

  virtual std::string describe() const = 0;  // "SQLite /data/jobs.db (WAL)"
};

// Opens (and creates or migrates) a store: "postgresql://…" / "postgres://…" for PostgreSQL,
// "sqlite:PATH" or a plain path for SQLite. Errors name the URL and the reason.
Result<std::unique_ptr<JobStore>> open_job_store(const std::string& url);

std::int64_t now_ms();
// 128 random bits from the kernel as 32 lower-case hex digits.
std::string random_id();
bool is_job_id(const std::string& s);

}  // namespace fluxion::service
