// Several hosts on one PostgreSQL job store: a server that runs no jobs itself, and two
// `fluxion worker` processes sharing its data directory. The test starts its own
// PostgreSQL server (initdb in a temporary directory, Unix socket only) and skips when the
// PostgreSQL server binaries are not installed.
#include <gtest/gtest.h>
#include <pwd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "server_fixture.hpp"

using fluxion::test::body_json;
using fluxion::test::FluxionProcess;
using fluxion::test::temp_dir;
using fluxion::test::wait_for_job;
namespace fs = std::filesystem;

namespace {

std::string postgres_bin() {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(e.path() / "bin" / "initdb")) return (e.path() / "bin").string();
  return "";
}

// A throw-away PostgreSQL server listening on a socket in its own directory.
class PostgresServer {
 public:
  explicit PostgresServer(const std::string& dir) : dir_(dir) {
    bin_ = postgres_bin();
    if (bin_.empty()) return;
    // PostgreSQL refuses to run as root: as root, run it as the 'postgres' user
    as_ = getuid() == 0 && getpwnam("postgres") ? "runuser -u postgres -- " : "";
    if (!as_.empty()) std::system(("chown -R postgres " + dir_).c_str());
    port_ = 20000 + getpid() % 20000;
    ok_ = run(bin_ + "/initdb -A trust -U fluxion -D " + dir_ + "/db") &&
          run(bin_ + "/pg_ctl -w -D " + dir_ + "/db -l " + dir_ + "/log -o \"-k " + dir_ + " -p " + std::to_string(port_) +
              " -c listen_addresses=''\" start") &&
          run(bin_ + "/createdb -h " + dir_ + " -p " + std::to_string(port_) + " -U fluxion jobs");
  }
  ~PostgresServer() {
    if (!bin_.empty()) run(bin_ + "/pg_ctl -w -D " + dir_ + "/db -m immediate stop");
  }
  bool ok() const { return ok_; }
  bool installed() const { return !bin_.empty(); }
  std::string url() const { return "postgresql://fluxion@/jobs?host=" + dir_ + "&port=" + std::to_string(port_); }

 private:
  bool run(const std::string& command) const { return std::system((as_ + command + " >> " + dir_ + "/setup.log 2>&1").c_str()) == 0; }
  std::string dir_, bin_, as_;
  int port_ = 0;
  bool ok_ = false;
};

TEST(PostgresWorkers, TwoWorkersShareOneQueue) {
  const std::string dir = temp_dir("pg");
  fs::permissions(dir, fs::perms::all);
  PostgresServer pg(dir);
  if (!pg.installed()) GTEST_SKIP() << "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed";
  ASSERT_TRUE(pg.ok()) << "could not start PostgreSQL; see " << dir << "/setup.log";
  const std::string data = dir + "/data";
  FluxionProcess server({FLUXION_BINARY, "serve", "--port", "0", "--data", data, "--db", pg.url(), "--workers", "0", "--api-only"});
  FluxionProcess worker_a({FLUXION_BINARY, "worker", "--db", pg.url(), "--data", data, "--job-threads", "1"}, false);
  FluxionProcess worker_b({FLUXION_BINARY, "worker", "--db", pg.url(), "--data", data, "--job-threads", "1"}, false);
  httplib::Client c("127.0.0.1", server.port());
  EXPECT_NE(body_json(c.Get("/api/health"))["store"].get<std::string>().find("PostgreSQL"), std::string::npos);

  std::ifstream in(std::string(FLUXION_SOURCE_DIR) + "/examples/glycolysis/mids.tsv");
  const std::string mids((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    auto r = c.Post("/api/jobs", httplib::MultipartFormDataItems{{"analysis", "fit", "", ""},
                                                                  {"model", "glycolysis", "", ""},
                                                                  {"starts", "200", "", ""},
                                                                  {"mids", mids, "mids.tsv", ""}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    ids.push_back(body_json(r)["id"]);
  }
  std::set<std::string> workers;
  for (const auto& id : ids) {
    const auto j = wait_for_job(c, id, 180);
    EXPECT_EQ(j["state"], "done") << j.dump(1);
    EXPECT_EQ(j["attempts"], 1) << "a job ran twice: " << j.dump(1);
    workers.insert(j["worker"].get<std::string>());
    EXPECT_TRUE(std::any_of(j["files"].begin(), j["files"].end(), [](const auto& f) { return f["path"] == "fluxes.tsv"; }));
  }
  EXPECT_EQ(workers.size(), 2u) << "both workers should have taken jobs";

  // a worker killed in the middle of a job: the other takes it over after the heartbeat goes stale
  auto r = c.Post("/api/jobs", httplib::MultipartFormDataItems{{"analysis", "fit", "", ""},
                                                                {"model", "glycolysis", "", ""},
                                                                {"starts", "100000", "", ""},
                                                                {"mids", mids, "mids.tsv", ""}});
  ASSERT_EQ(r->status, 201);
  const std::string id = body_json(r)["id"];
  const auto running = wait_for_job(c, id, 60, "running");
  ASSERT_EQ(running["state"], "running");
  const std::string first = running["worker"];
  worker_a.kill_now(SIGKILL);  // whichever of the two runs it, it is gone now
  worker_b.kill_now(SIGKILL);
  FluxionProcess worker_c({FLUXION_BINARY, "worker", "--db", pg.url(), "--data", data, "--job-threads", "1", "--stale-after", "5"}, false);
  nlohmann::json again;
  for (int i = 0; i < 600; ++i) {  // the stale heartbeat is noticed within ~15 s
    again = body_json(c.Get("/api/jobs/" + id));
    if (again["attempts"] == 2 && again["state"] == "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(again["attempts"], 2) << again.dump(1);
  EXPECT_NE(again["worker"], first);
  EXPECT_NE(again["message"].get<std::string>().find("re-queued"), std::string::npos);
  EXPECT_EQ(c.Post("/api/jobs/" + id + "/cancel")->status, 202);
  EXPECT_EQ(wait_for_job(c, id, 30)["state"], "cancelled");
}

}  // namespace
