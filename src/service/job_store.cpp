// Shared parts of the job stores and the SQLite back end.
#include "fluxion/service/job_store.hpp"

#include <sqlite3.h>
#include <sys/random.h>

#include <chrono>
#include <cstring>
#include <mutex>

#include "job_store_backends.hpp"

namespace fluxion::service {

const char* to_string(JobState s) {
  switch (s) {
    case JobState::queued: return "queued";
    case JobState::running: return "running";
    case JobState::done: return "done";
    case JobState::failed: return "failed";
    case JobState::cancelled: return "cancelled";
  }
  return "unknown";
}

std::optional<JobState> job_state_from_string(const std::string& s) {
  for (JobState st : {JobState::queued, JobState::running, JobState::done, JobState::failed, JobState::cancelled})
    if (s == to_string(st)) return st;
  return std::nullopt;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string random_id() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += hex[b >> 4];
    id += hex[b & 15];
  }
  return id;
}

bool is_job_id(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string recovery_message(int attempts, int max_attempts, bool requeued) {
  const std::string which = "attempt " + std::to_string(attempts) + " of " + std::to_string(max_attempts);
  return requeued ? "re-queued: the worker running it stopped (" + which + ")"
                  : "failed: the worker running it stopped during " + which + "; not retried";
}

namespace {

constexpr int kSchemaVersion = 1;

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) throw JobStoreError(std::string("SQLite: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  Statement& bind(int i, double v) {
    check(sqlite3_bind_double(stmt_, i, v));
    return *this;
  }
  // true: a row is ready; false: done
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw JobStoreError(std::string("SQLite: ") + sqlite3_errmsg(db_));
  }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c))) : std::string();
  }
  std::int64_t integer(int c) const { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const { return sqlite3_column_double(stmt_, c); }

 private:
  void check(int rc) const {
    if (rc != SQLITE_OK) throw JobStoreError(std::string("SQLite: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

constexpr const char* kColumns =
    "id, analysis, owner, args, title, state, progress, progress_label, message, worker, attempts, cancel_requested, "
    "created_ms, started_ms, finished_ms, heartbeat_ms";

Job read_job(const Statement& s) {
  Job j;
  j.id = s.text(0);
  j.analysis = s.text(1);
  j.owner = s.text(2);
  j.args = s.text(3);
  j.title = s.text(4);
  j.state = job_state_from_string(s.text(5)).value_or(JobState::failed);
  j.progress = s.real(6);
  j.progress_label = s.text(7);
  j.message = s.text(8);
  j.worker = s.text(9);
  j.attempts = static_cast<int>(s.integer(10));
  j.cancel_requested = s.integer(11) != 0;
  j.created_ms = s.integer(12);
  j.started_ms = s.integer(13);
  j.finished_ms = s.integer(14);
  j.heartbeat_ms = s.integer(15);
  return j;
}

class SqliteJobStore final : public JobStore {
 public:
  explicit SqliteJobStore(std::string path) : path_(std::move(path)) {}
  ~SqliteJobStore() override {
    if (db_) sqlite3_close_v2(db_);
  }

  Result<bool> open() {
    Diagnostics d(path_);
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
      d.error(std::string("cannot open the job database: ") + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
      return Result<bool>::failure(d);
    }
    sqlite3_busy_timeout(db_, 10000);  // other processes (a second server, a CLI) wait, not fail
    try {
      exec("PRAGMA journal_mode=WAL");
      exec("PRAGMA synchronous=NORMAL");
      exec("PRAGMA foreign_keys=ON");
      exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      {
        Statement s(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
        if (s.step() && std::stoi(s.text(0)) != kSchemaVersion) {
          d.error("the job database has schema version " + s.text(0) + "; this fluxion reads version " + std::to_string(kSchemaVersion));
          return Result<bool>::failure(d);
        }
      }
      exec("CREATE TABLE IF NOT EXISTS jobs ("
           " id TEXT PRIMARY KEY, analysis TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '', args TEXT NOT NULL,"
           " title TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, progress REAL NOT NULL DEFAULT -1,"
           " progress_label TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', worker TEXT NOT NULL DEFAULT '',"
           " attempts INTEGER NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0,"
           " created_ms INTEGER NOT NULL, started_ms INTEGER NOT NULL DEFAULT 0, finished_ms INTEGER NOT NULL DEFAULT 0,"
           " heartbeat_ms INTEGER NOT NULL DEFAULT 0)");
      exec("CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, created_ms)");
      exec("CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, created_ms)");
      exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '" + std::to_string(kSchemaVersion) + "')");
      Statement mode(db_, "PRAGMA journal_mode");
      if (mode.step()) journal_ = mode.text(0);
    } catch (const JobStoreError& e) {
      d.error(e.what());
      return Result<bool>::failure(d);
    }
    return Result<bool>::success(true);
  }

  void create(const Job& j) override {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "INSERT INTO jobs (id, analysis, owner, args, title, state, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)");
    s.bind(1, j.id).bind(2, j.analysis).bind(3, j.owner).bind(4, j.args).bind(5, j.title).bind(6, j.created_ms ? j.created_ms : now_ms());
    s.step();
  }

  std::optional<Job> get(const std::string& id) override {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?1").c_str());
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return read_job(s);
  }

  std::vector<Job> list_by_owner(const std::string& owner, int limit) override {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string("SELECT ") + kColumns + " FROM jobs WHERE owner = ?1 ORDER BY created_ms DESC, id LIMIT ?2").c_str());
    s.bind(1, owner).bind(2, static_cast<std::int64_t>(limit));
    std::vector<Job> out;
    while (s.step()) out.push_back(read_job(s));
    return out;
  }

  std::optional<Job> claim(const std::string& worker) override {
    std::lock_guard lock(mutex_);
    const std::int64_t now = now_ms();
    Statement s(db_, (std::string("UPDATE jobs SET state = 'running', worker = ?1, attempts = attempts + 1, started_ms = ?2,"
                                  " heartbeat_ms = ?2, progress = -1, progress_label = ''"
                                  " WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY created_ms, id LIMIT 1)"
                                  " AND state = 'queued' RETURNING ") +
                          kColumns)
                             .c_str());
    s.bind(1, worker).bind(2, now);
    if (!s.step()) return std::nullopt;
    Job j = read_job(s);
    while (s.step()) {
    }
    return j;
  }

  bool heartbeat(const std::string& id, const std::string& worker, double progress, const std::string& label) override {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "UPDATE jobs SET progress = ?3, progress_label = ?4, heartbeat_ms = ?5 WHERE id = ?1 AND worker = ?2 AND state = 'running'");
    s.bind(1, id).bind(2, worker).bind(3, progress).bind(4, label).bind(5, now_ms());
    s.step();
    return sqlite3_changes(db_) > 0;
  }

  void finish(const std::string& id, JobState state, const std::string& message) override {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "UPDATE jobs SET state = ?2, message = ?3, finished_ms = ?4,"
                " progress = CASE WHEN ?2 = 'done' THEN 1 ELSE progress END,"
                " progress_label = CASE WHEN ?2 = 'done' THEN '' ELSE progress_label END WHERE id = ?1 AND state IN ('running', 'queued')");
    s.bind(1, id).bind(2, std::string(to_string(state))).bind(3, message).bind(4, now_ms());
    s.step();
  }

  bool request_cancel(const std::string& id) override {
    std::lock_guard lock(mutex_);
    exec("BEGIN IMMEDIATE");
    try {
      Statement q(db_, "UPDATE jobs SET state = 'cancelled', message = 'cancelled before it started', finished_ms = ?2 WHERE id = ?1 AND state = 'queued'");
      q.bind(1, id).bind(2, now_ms());
      q.step();
      bool changed = sqlite3_changes(db_) > 0;
      if (!changed) {
        Statement r(db_, "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1 AND state = 'running'");
        r.bind(1, id);
        r.step();
        changed = sqlite3_changes(db_) > 0;
      }
      exec("COMMIT");
      return changed;
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
  }

  std::vector<RecoveredJob> recover(std::int64_t stale_ms, int max_attempts) override {
    std::lock_guard lock(mutex_);
    const std::int64_t now = now_ms();
    std::vector<RecoveredJob> out;
    exec("BEGIN IMMEDIATE");
    try {
      std::vector<std::pair<std::string, int>> stale;
      {
        Statement s(db_, "SELECT id, attempts FROM jobs WHERE state = 'running' AND heartbeat_ms <= ?1");
        s.bind(1, stale_ms <= 0 ? now : now - stale_ms);
        while (s.step()) stale.emplace_back(s.text(0), static_cast<int>(s.integer(1)));
      }
      for (const auto& [id, attempts] : stale) {
        const bool requeue = attempts < max_attempts;
        Statement u(db_, requeue ? "UPDATE jobs SET state = 'queued', worker = '', message = ?2, progress = -1, progress_label = '' WHERE id = ?1"
                                 : "UPDATE jobs SET state = 'failed', message = ?2, finished_ms = ?3 WHERE id = ?1");
        u.bind(1, id).bind(2, recovery_message(attempts, max_attempts, requeue));
        if (!requeue) u.bind(3, now);
        u.step();
        out.push_back({id, requeue ? JobState::queued : JobState::failed});
      }
      exec("COMMIT");
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
    return out;
  }

  std::vector<std::string> expire(std::int64_t before_ms) override {
    std::lock_guard lock(mutex_);
    Statement s(db_, "DELETE FROM jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished_ms < ?1 RETURNING id");
    s.bind(1, before_ms);
    std::vector<std::string> ids;
    while (s.step()) ids.push_back(s.text(0));
    return ids;
  }

  std::vector<std::pair<JobState, long>> counts() override {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT state, COUNT(*) FROM jobs GROUP BY state");
    std::vector<std::pair<JobState, long>> out;
    while (s.step())
      if (auto st = job_state_from_string(s.text(0))) out.emplace_back(*st, static_cast<long>(s.integer(1)));
    return out;
  }

  std::string describe() const override { return "SQLite " + path_ + " (journal " + journal_ + ")"; }

 private:
  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      throw JobStoreError("SQLite: " + m + " (in: " + sql.substr(0, 60) + ")");
    }
  }

  std::string path_, journal_ = "?";
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

Result<std::unique_ptr<JobStore>> open_sqlite_job_store(const std::string& path) {
  auto store = std::make_unique<SqliteJobStore>(path);
  auto opened = store->open();
  if (!opened) return Result<std::unique_ptr<JobStore>>::failure(opened.diagnostics());
  return Result<std::unique_ptr<JobStore>>::success(std::move(store));
}

Result<std::unique_ptr<JobStore>> open_job_store(const std::string& url) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return open_postgres_job_store(url);
  if (url.rfind("sqlite:", 0) == 0) return open_sqlite_job_store(url.substr(7));
  if (url.find("://") != std::string::npos) {
    Diagnostics d(url);
    d.error("unknown job store: use a file path (SQLite), sqlite:PATH or postgresql://user@host/database");
    return Result<std::unique_ptr<JobStore>>::failure(d);
  }
  return open_sqlite_job_store(url);
}

}  // namespace fluxion::service
