// The PostgreSQL job store (libpqxx): several hosts share one queue. A worker claims the
// oldest queued job with FOR UPDATE SKIP LOCKED, so two workers never take the same job and
// neither waits for the other's transaction.
#include <pqxx/pqxx>

#include <mutex>

#include "job_store_backends.hpp"

namespace fluxion::service {

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kColumns =
    "id, analysis, owner, args, title, state, progress, progress_label, message, worker, attempts, cancel_requested, "
    "created_ms, started_ms, finished_ms, heartbeat_ms";

Job read_job(const pqxx::row& r) {
  Job j;
  j.id = r[0].as<std::string>();
  j.analysis = r[1].as<std::string>();
  j.owner = r[2].as<std::string>();
  j.args = r[3].as<std::string>();
  j.title = r[4].as<std::string>();
  j.state = job_state_from_string(r[5].as<std::string>()).value_or(JobState::failed);
  j.progress = r[6].as<double>();
  j.progress_label = r[7].as<std::string>();
  j.message = r[8].as<std::string>();
  j.worker = r[9].as<std::string>();
  j.attempts = r[10].as<int>();
  j.cancel_requested = r[11].as<bool>();
  j.created_ms = r[12].as<std::int64_t>();
  j.started_ms = r[13].as<std::int64_t>();
  j.finished_ms = r[14].as<std::int64_t>();
  j.heartbeat_ms = r[15].as<std::int64_t>();
  return j;
}

// The URL without its password, for messages.
std::string redact(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

class PostgresJobStore final : public JobStore {
 public:
  explicit PostgresJobStore(std::string url) : url_(std::move(url)) {}

  Result<bool> open() {
    Diagnostics d(redact(url_));
    try {
      conn_ = std::make_unique<pqxx::connection>(url_);
      pqxx::work w(*conn_);
      w.exec("SELECT pg_advisory_xact_lock(727274)");  // two processes creating the schema at once
      w.exec("CREATE TABLE IF NOT EXISTS fluxion_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      const auto v = w.exec("SELECT value FROM fluxion_meta WHERE key = 'schema_version'");
      if (!v.empty() && v[0][0].as<std::string>() != std::to_string(kSchemaVersion)) {
        d.error("the job database has schema version " + v[0][0].as<std::string>() + "; this fluxion reads version " +
                std::to_string(kSchemaVersion));
        return Result<bool>::failure(d);
      }
      w.exec(
          "CREATE TABLE IF NOT EXISTS fluxion_jobs ("
          " id TEXT PRIMARY KEY, analysis TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '', args TEXT NOT NULL,"
          " title TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, progress DOUBLE PRECISION NOT NULL DEFAULT -1,"
          " progress_label TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', worker TEXT NOT NULL DEFAULT '',"
          " attempts INTEGER NOT NULL DEFAULT 0, cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,"
          " created_ms BIGINT NOT NULL, started_ms BIGINT NOT NULL DEFAULT 0, finished_ms BIGINT NOT NULL DEFAULT 0,"
          " heartbeat_ms BIGINT NOT NULL DEFAULT 0)");
      w.exec("CREATE INDEX IF NOT EXISTS fluxion_jobs_queue ON fluxion_jobs (state, created_ms)");
      w.exec("CREATE INDEX IF NOT EXISTS fluxion_jobs_owner ON fluxion_jobs (owner, created_ms)");
      w.exec("INSERT INTO fluxion_meta (key, value) VALUES ('schema_version', '" + std::to_string(kSchemaVersion) +
             "') ON CONFLICT (key) DO NOTHING");
      w.commit();
    } catch (const std::exception& e) {
      d.error(std::string("cannot open the PostgreSQL job store: ") + e.what());
      return Result<bool>::failure(d);
    }
    return Result<bool>::success(true);
  }

  void create(const Job& j) override {
    run([&](pqxx::work& w) {
      w.exec_params("INSERT INTO fluxion_jobs (id, analysis, owner, args, title, state, created_ms) VALUES ($1, $2, $3, $4, $5, 'queued', $6)",
                    j.id, j.analysis, j.owner, j.args, j.title, j.created_ms ? j.created_ms : now_ms());
    });
  }

  std::optional<Job> get(const std::string& id) override {
    std::optional<Job> out;
    run([&](pqxx::work& w) {
      const auto r = w.exec_params(std::string("SELECT ") + kColumns + " FROM fluxion_jobs WHERE id = $1", id);
      if (!r.empty()) out = read_job(r[0]);
    });
    return out;
  }

  std::vector<Job> list_by_owner(const std::string& owner, int limit) override {
    std::vector<Job> out;
    run([&](pqxx::work& w) {
      const auto r = w.exec_params(std::string("SELECT ") + kColumns + " FROM fluxion_jobs WHERE owner = $1 ORDER BY created_ms DESC, id LIMIT $2",
                                   owner, limit);
      for (const auto& row : r) out.push_back(read_job(row));
    });
    return out;
  }

  std::optional<Job> claim(const std::string& worker) override {
    std::optional<Job> out;
    run([&](pqxx::work& w) {
      const auto r = w.exec_params(std::string("UPDATE fluxion_jobs SET state = 'running', worker = $1, attempts = attempts + 1,"
                                               " started_ms = $2, heartbeat_ms = $2, progress = -1, progress_label = ''"
                                               " WHERE id = (SELECT id FROM fluxion_jobs WHERE state = 'queued' ORDER BY created_ms, id"
                                               " FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING ") +
                                       kColumns,
                                   worker, now_ms());
      if (!r.empty()) out = read_job(r[0]);
    });
    return out;
  }

  bool heartbeat(const std::string& id, const std::string& worker, double progress, const std::string& label) override {
    bool changed = false;
    run([&](pqxx::work& w) {
      const auto r = w.exec_params(
          "UPDATE fluxion_jobs SET progress = $3, progress_label = $4, heartbeat_ms = $5 WHERE id = $1 AND worker = $2 AND state = 'running'",
          id, worker, progress, label, now_ms());
      changed = r.affected_rows() > 0;
    });
    return changed;
  }

  void finish(const std::string& id, JobState state, const std::string& message) override {
    run([&](pqxx::work& w) {
      w.exec_params(
          "UPDATE fluxion_jobs SET state = $2, message = $3, finished_ms = $4,"
          " progress = CASE WHEN $2 = 'done' THEN 1 ELSE progress END,"
          " progress_label = CASE WHEN $2 = 'done' THEN '' ELSE progress_label END WHERE id = $1 AND state IN ('running', 'queued')",
          id, std::string(to_string(state)), message, now_ms());
    });
  }

  bool request_cancel(const std::string& id) override {
    bool changed = false;
    run([&](pqxx::work& w) {
      auto r = w.exec_params(
          "UPDATE fluxion_jobs SET state = 'cancelled', message = 'cancelled before it started', finished_ms = $2 WHERE id = $1 AND state = 'queued'",
          id, now_ms());
      changed = r.affected_rows() > 0;
      if (!changed) {
        r = w.exec_params("UPDATE fluxion_jobs SET cancel_requested = TRUE WHERE id = $1 AND state = 'running'", id);
        changed = r.affected_rows() > 0;
      }
    });
    return changed;
  }

  std::vector<RecoveredJob> recover(std::int64_t stale_ms, int max_attempts) override {
    std::vector<RecoveredJob> out;
    run([&](pqxx::work& w) {
      out.clear();
      const std::int64_t now = now_ms();
      const auto r = w.exec_params("SELECT id, attempts FROM fluxion_jobs WHERE state = 'running' AND heartbeat_ms <= $1 FOR UPDATE SKIP LOCKED",
                                   stale_ms <= 0 ? now : now - stale_ms);
      for (const auto& row : r) {
        const auto id = row[0].as<std::string>();
        const int attempts = row[1].as<int>();
        const bool requeue = attempts < max_attempts;
        if (requeue)
          w.exec_params("UPDATE fluxion_jobs SET state = 'queued', worker = '', message = $2, progress = -1, progress_label = '' WHERE id = $1", id,
                        recovery_message(attempts, max_attempts, true));
        else
          w.exec_params("UPDATE fluxion_jobs SET state = 'failed', message = $2, finished_ms = $3 WHERE id = $1", id,
                        recovery_message(attempts, max_attempts, false), now);
        out.push_back({id, requeue ? JobState::queued : JobState::failed});
      }
    });
    return out;
  }

  std::vector<std::string> expire(std::int64_t before_ms) override {
    std::vector<std::string> ids;
    run([&](pqxx::work& w) {
      ids.clear();
      const auto r = w.exec_params("DELETE FROM fluxion_jobs WHERE state IN ('done', 'failed', 'cancelled') AND finished_ms < $1 RETURNING id", before_ms);
      for (const auto& row : r) ids.push_back(row[0].as<std::string>());
    });
    return ids;
  }

  std::vector<std::pair<JobState, long>> counts() override {
    std::vector<std::pair<JobState, long>> out;
    run([&](pqxx::work& w) {
      const auto r = w.exec("SELECT state, COUNT(*) FROM fluxion_jobs GROUP BY state");
      for (const auto& row : r)
        if (auto st = job_state_from_string(row[0].as<std::string>())) out.emplace_back(*st, row[1].as<long>());
    });
    return out;
  }

  std::string describe() const override { return "PostgreSQL " + redact(url_); }

 private:
  // One transaction; a broken connection is reopened once and the transaction retried.
  template <class F>
  void run(F&& body) {
    std::lock_guard lock(mutex_);
    for (int attempt = 0;; ++attempt) {
      try {
        if (!conn_ || !conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(url_);
        pqxx::work w(*conn_);
        body(w);
        w.commit();
        return;
      } catch (const pqxx::broken_connection& e) {
        conn_.reset();
        if (attempt >= 1) throw JobStoreError(std::string("PostgreSQL: connection lost: ") + e.what());
      } catch (const std::exception& e) {
        throw JobStoreError(std::string("PostgreSQL: ") + e.what());
      }
    }
  }

  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
  std::mutex mutex_;
};

}  // namespace

Result<std::unique_ptr<JobStore>> open_postgres_job_store(const std::string& url) {
  auto store = std::make_unique<PostgresJobStore>(url);
  auto opened = store->open();
  if (!opened) return Result<std::unique_ptr<JobStore>>::failure(opened.diagnostics());
  return Result<std::unique_ptr<JobStore>>::success(std::move(store));
}

}  // namespace fluxion::service
