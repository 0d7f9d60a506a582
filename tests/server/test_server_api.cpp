// The web API against the real binary on loopback: status codes and bodies, a job from upload
// to download, bad and oversize uploads, unknown ids, path traversal, cancelling, and a
// server killed in the middle of a job.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <cstdlib>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server_fixture.hpp"

using fluxion::test::body_json;
using fluxion::test::FluxionProcess;
using fluxion::test::temp_dir;
using fluxion::test::wait_for_job;
using httplib::MultipartFormData;
using httplib::MultipartFormDataItems;
namespace fs = std::filesystem;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string example(const std::string& rel) { return read_file(std::string(FLUXION_SOURCE_DIR) + "/examples/" + rel); }

std::vector<std::string> serve_args(const std::string& data, std::vector<std::string> more = {}) {
  std::vector<std::string> a{FLUXION_BINARY, "serve", "--port", "0", "--data", data, "--api-only", "--job-threads", "1"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

MultipartFormData field(const std::string& name, const std::string& value) { return {name, value, "", ""}; }
MultipartFormData file(const std::string& name, const std::string& content, const std::string& filename) {
  return {name, content, filename, "application/octet-stream"};
}

// A fit that runs for minutes: something to cancel or to kill the server under.
MultipartFormDataItems long_fit() {
  return {field("analysis", "fit"), field("model", "glycolysis"), file("mids", example("glycolysis/mids.tsv"), "mids.tsv"),
          field("starts", "100000")};
}

class ServerApi : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = temp_dir("api");
    server_ = std::make_unique<FluxionProcess>(serve_args(data_));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(30, 0);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(data_);
  }
  std::string data_;
  std::unique_ptr<FluxionProcess> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerApi, HealthAnalysesAndModels) {
  auto h = client_->Get("/api/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(body_json(h)["status"], "ok");
  EXPECT_NE(body_json(h)["store"].get<std::string>().find("journal wal"), std::string::npos);

  const auto analyses = body_json(client_->Get("/api/analyses"))["analyses"];
  std::set<std::string> ids;
  for (const auto& a : analyses) ids.insert(a["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"predict", "fit", "scflux", "project", "fba", "simulate", "dynamics"}));
  // the form takes its fields from the CLI declaration: help text, defaults, ranges, choices
  for (const auto& a : analyses)  // a range with an exponent ("[1e-09 - 1]") still gives the form its limits
    for (const auto& o : a["options"])
      if (o["name"] == "mid-sd" && a["id"] == "predict") {
        EXPECT_EQ(o.value("minimum", -1.0), 1e-9) << o.dump();
        EXPECT_EQ(o.value("maximum", -1.0), 1.0) << o.dump();
      }
  for (const auto& a : analyses) {
    if (a["id"] != "fba") continue;
    bool saw_fraction = false;
    for (const auto& o : a["options"]) {
      EXPECT_FALSE(o["description"].get<std::string>().empty()) << o["name"];
      if (o["name"] == "knockout-genes") {
        EXPECT_EQ(o["label"], "Knockout genes");  // plain words; the CLI name is the hint
      }
      EXPECT_NE(o["label"].get<std::string>(), o["name"].get<std::string>()) << "option " << o["name"] << " has no label in plain words";
      if (o["name"] == "fraction") {
        saw_fraction = true;
        EXPECT_EQ(o["type"], "number");
        EXPECT_EQ(o["minimum"], 0.0);
        EXPECT_EQ(o["maximum"], 1.0);
        EXPECT_EQ(o["default"], "1");
      }
    }
    EXPECT_TRUE(saw_fraction);
  }
  const auto models = body_json(client_->Get("/api/models"));
  EXPECT_GE(models["models"].size(), 5u);
  EXPECT_GE(models["predictors"].size(), 5u);
  // the API description matches the server: every parameterless GET it lists answers 200
  const auto openapi = body_json(client_->Get("/api/openapi.json"));
  EXPECT_EQ(openapi["openapi"].get<std::string>().substr(0, 2), "3.");
  int checked = 0;
  for (const auto& [path, ops] : openapi["paths"].items()) {
    if (path.find('{') != std::string::npos || !ops.contains("get")) continue;
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

TEST_F(ServerApi, PredictJobFromUploadToDownload) {
  const std::string token = "browser-token-0123456789abcdef";
  httplib::Headers owner{{"X-Fluxion-Owner", token}};
  auto r = client_->Post("/api/jobs", owner, MultipartFormDataItems
                         {field("analysis", "predict"), field("predictor", "glycolysis"), field("title", "glycolysis check"),
                          file("mids", example("glycolysis/mids.tsv"), "my mids.tsv")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const auto created = body_json(r);
  const std::string id = created["id"];
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(r->get_header_value("Location"), "/api/jobs/" + id);

  const auto done = wait_for_job(*client_, id, 120);
  ASSERT_EQ(done["state"], "done") << done.dump(1);
  EXPECT_EQ(done["progress"], 1.0);
  EXPECT_EQ(done["title"], "glycolysis check");
  EXPECT_EQ(done["inputs"][0]["name"], "my mids.tsv");
  std::set<std::string> files;
  for (const auto& f : done["files"]) files.insert(f["path"].get<std::string>());
  EXPECT_TRUE(files.count("fluxes.tsv") && files.count("delta_g.tsv") && files.count("run_info.json"));

  auto fluxes = client_->Get("/api/jobs/" + id + "/files/fluxes.tsv?download=1");
  ASSERT_TRUE(fluxes);
  EXPECT_EQ(fluxes->status, 200);
  EXPECT_EQ(fluxes->body.rfind("reaction\tnet\texchange", 0), 0u);
  EXPECT_NE(fluxes->get_header_value("Content-Disposition").find("fluxes.tsv"), std::string::npos);
  // the same bytes as the file on disk
  EXPECT_EQ(fluxes->body, read_file(data_ + "/jobs/" + id + "/output/fluxes.tsv"));
  auto log = client_->Get("/api/jobs/" + id + "/log");
  ASSERT_TRUE(log);
  EXPECT_NE(log->body.find("fluxion predict"), std::string::npos);

  // the browser's list holds the job; another browser's does not
  EXPECT_EQ(body_json(client_->Get("/api/jobs", owner))["jobs"][0]["id"], id);
  EXPECT_TRUE(body_json(client_->Get("/api/jobs", {{"X-Fluxion-Owner", "another-browser-0123456789"}}))["jobs"].empty());
  EXPECT_TRUE(body_json(client_->Get("/api/jobs", {{"Cookie", "fluxion_owner=" + token}}))["jobs"].size() == 1);
  // a finished job cannot be cancelled
  auto c = client_->Post("/api/jobs/" + id + "/cancel");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 409);
  EXPECT_EQ(body_json(c)["code"], "conflict");
}

// An FTBL model (influx_si) brings its tracer and MIDs: a fit job needs the upload alone.
TEST_F(ServerApi, FitJobFromAnFtblUploadAlone) {
  const std::string ftbl = read_file(std::string(FLUXION_SOURCE_DIR) + "/tests/fuzz/corpus/ftbl/toy.ftbl");
  ASSERT_FALSE(ftbl.empty());
  auto r = client_->Post("/api/jobs", MultipartFormDataItems{field("analysis", "fit"), file("model", ftbl, "toy.ftbl"), field("starts", "4")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const auto done = wait_for_job(*client_, body_json(r)["id"], 120);
  ASSERT_EQ(done["state"], "done") << done.dump(1);
  std::set<std::string> files;
  for (const auto& f : done["files"]) files.insert(f["path"].get<std::string>());
  EXPECT_TRUE(files.count("fluxes.tsv") && files.count("residuals.tsv") && files.count("fit.json"));
  // without an FTBL model the missing MIDs are the job's error, named
  auto bad = client_->Post("/api/jobs", MultipartFormDataItems{field("analysis", "fit"), field("model", "glycolysis")});
  ASSERT_TRUE(bad);
  if (bad->status == 201) {
    const auto failed = wait_for_job(*client_, body_json(bad)["id"], 120);
    EXPECT_EQ(failed["state"], "failed") << failed.dump(1);
    EXPECT_NE(failed.dump().find("--mids or --mfapy-mdv"), std::string::npos) << failed.dump(1);
  } else {
    EXPECT_EQ(bad->status, 400) << bad->body;
    EXPECT_NE(bad->body.find("mids"), std::string::npos) << bad->body;
  }
}

// FreeFlux's own files (its TCA toy: reaction table and MDV sheet) through the fit form: the
// service's upfront check reads the MDV sheet as the command does.
TEST_F(ServerApi, FitJobReadsFreefluxFiles) {
  const std::string dir = std::string(FLUXION_SHARED_DATA) + "/mfa/freeflux/toy/";
  const std::string model = read_file(dir + "reactions.tsv"), mdvs = read_file(dir + "measured_MDVs.tsv");
  if (model.empty() || mdvs.empty()) GTEST_SKIP() << dir << " not found (../shared/data)";
  const std::string tracers = "experiment\tsubstrate\tlabel\tfraction\tpurity\ne1\tAcCoA\t[2-13C1]\t0.25\t1\ne1\tAcCoA\t[1,2-13C2]\t0.25\t1\n";
  auto r = client_->Post("/api/jobs", MultipartFormDataItems{field("analysis", "fit"), file("model", model, "reactions.tsv"), file("mids", mdvs, "measured_MDVs.tsv"),
                                                             file("experiments", tracers, "tracers.tsv"), field("starts", "2")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const auto done = wait_for_job(*client_, body_json(r)["id"], 120);
  EXPECT_EQ(done["state"], "done") << done.dump(1);
}

// A relative --data (the default is ./fluxion-data) with the job's process running in its
// own directory: jobs still find their log and inputs. Also a time-course simulation, the
// web's "Time course" options.
TEST(ServerData, ARelativeDataDirectoryRunsJobs) {
  const std::string home = temp_dir("relative");
  FluxionProcess server(serve_args("jobs-here"), true, home);
  httplib::Client c("127.0.0.1", server.port());
  c.set_read_timeout(30, 0);
  auto r = c.Post("/api/jobs", MultipartFormDataItems{field("analysis", "simulate"), field("model", "glycolysis"),
                                                      file("fluxes", example("glycolysis/true_fluxes.tsv"), "fluxes.tsv"), field("times", "0,0.5,2"),
                                                      field("default-pool", "1")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string id = body_json(r)["id"];
  const auto done = wait_for_job(c, id, 120);
  ASSERT_EQ(done["state"], "done") << done.dump(1);
  auto mids = c.Get("/api/jobs/" + id + "/files/mids.tsv");
  ASSERT_TRUE(mids);
  EXPECT_EQ(mids->body.rfind("experiment\telement\tmetabolite\ttime\tisotopologue\tfraction\n", 0), 0u) << mids->body.substr(0, 200);
  // that time course fitted by a fit job (the fit form's "Time course" options: a pool
  // table with one pool fitted, the rest at the default size)
  auto fit = c.Post("/api/jobs", MultipartFormDataItems{field("analysis", "fit"), field("model", "glycolysis"), file("mids", mids->body, "mids.tsv"),
                                                        field("mid-sd", "0.01"), field("starts", "2"), field("default-pool", "1"),
                                                        file("pools", "metabolite\tsize\tstatus\ng6p\t3\tfree\n", "pools.tsv")});
  ASSERT_TRUE(fit);
  ASSERT_EQ(fit->status, 201) << fit->body;
  const std::string fit_id = body_json(fit)["id"];
  const auto fitted = wait_for_job(c, fit_id, 240);
  ASSERT_EQ(fitted["state"], "done") << fitted.dump(1);
  auto pools = c.Get("/api/jobs/" + fit_id + "/files/pools.tsv");
  ASSERT_TRUE(pools);
  EXPECT_EQ(pools->status, 200);
  EXPECT_NE(pools->body.find("\ng6p\t"), std::string::npos) << pools->body;
  EXPECT_NE(pools->body.find("\tyes\t"), std::string::npos) << pools->body;
  // and a time course predicted by the shipped time-course package: fluxes and pool sizes
  auto predicted = c.Post("/api/jobs", MultipartFormDataItems{field("analysis", "predict"), field("predictor", "simple_time_course"),
                                                              file("mids", example("simple_time_course/mids.tsv"), "mids.tsv")});
  ASSERT_TRUE(predicted);
  ASSERT_EQ(predicted->status, 201) << predicted->body;
  const std::string predict_id = body_json(predicted)["id"];
  const auto predict_done = wait_for_job(c, predict_id, 120);
  ASSERT_EQ(predict_done["state"], "done") << predict_done.dump(1);
  auto predicted_pools = c.Get("/api/jobs/" + predict_id + "/files/pools.tsv");
  ASSERT_TRUE(predicted_pools);
  EXPECT_EQ(predicted_pools->body.rfind("metabolite\tsize\tse\tsd\n", 0), 0u) << predicted_pools->body;
  EXPECT_NE(predicted_pools->body.find("\nmolD\t"), std::string::npos) << predicted_pools->body;
  EXPECT_TRUE(fs::exists(fs::path(home) / "jobs-here" / "jobs.db"));
  server.kill_now(SIGTERM);
  fs::remove_all(home);
}

TEST_F(ServerApi, BadSubmissionsNameTheFieldFileAndLine) {
  auto expect_400 = [&](const MultipartFormDataItems& items, const std::string& field_name, const std::string& text) {
    auto r = client_->Post("/api/jobs", items);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    const auto j = body_json(r);
    EXPECT_EQ(j["code"], "invalid_input");
    bool found = false;
    for (const auto& e : j["errors"])
      if (e.value("field", "") == field_name && e["text"].get<std::string>().find(text) != std::string::npos) found = true;
    EXPECT_TRUE(found) << "expected field '" << field_name << "' with '" << text << "' in " << j.dump(1);
  };
  expect_400({field("analysis", "nonsense")}, "analysis", "one of");
  expect_400({field("analysis", "predict"), file("mids", example("glycolysis/mids.tsv"), "m.tsv")}, "predictor", "required");
  expect_400({field("analysis", "predict"), field("predictor", "glycolysis")}, "mids", "upload a file");
  expect_400({field("analysis", "predict"), field("predictor", "no-such"), file("mids", "x", "m.tsv")}, "predictor", "not a predictor");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("no-such-option", "1")}, "no-such-option", "not an option");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("fraction", "2")}, "fraction", "must be between 0 and 1, not 2");
  // NaN, infinities and overflow are refused by the same declarations as on the command line
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("pfba", "on"), field("fraction", "nan")}, "fraction", "not a finite number");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("fva", "on"), field("fraction", "-inf")}, "fraction", "not a finite number");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("fraction", "1e400")}, "fraction", "not a finite number");
  expect_400({field("analysis", "predict"), field("predictor", "glycolysis"), file("mids", example("glycolysis/mids.tsv"), "m.tsv"), field("temperature", "nan")},
             "temperature", "not a finite number");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("fraction", "abc")}, "fraction", "abc");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("fva", "maybe")}, "fva", "not on or off");
  // what the server can check before queueing: an empty table, ids the model lacks, a missing network
  expect_400({field("analysis", "predict"), field("predictor", "glycolysis"),
              file("mids", "experiment\telement\tmetabolite\tisotopologue\tfraction\tsd\n", "m.tsv")},
             "mids", "has a header but no rows");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("knockout", "PGI,NOPE")}, "knockout", "'NOPE' is not a reaction");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("knockout-genes", "b0001")}, "knockout-genes", "'b0001' is not a gene");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), field("objective", "BIOMASS")}, "objective", "'BIOMASS' is not a reaction");
  expect_400({field("analysis", "scflux"), file("expression", "gene,c1\nG1,1\n", "e.csv")}, "module-genes", "give a module network");
  expect_400({field("analysis", "fba"), field("model", "glycolysis"), file("set-bounds", "", "empty.tsv")}, "set-bounds", "empty");
  // a broken table: the error names the field, the file and the line
  std::string mids = example("glycolysis/mids.tsv");
  const auto second_line = mids.find('\n') + 1;
  mids.insert(second_line, "e1\tg6p\tC\tnot-a-number\t0.5\n");
  auto r = client_->Post("/api/jobs", MultipartFormDataItems{field("analysis", "predict"), field("predictor", "glycolysis"), file("mids", mids, "mids.tsv")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 400) << r->body;
  const auto e = body_json(r)["errors"][0];
  EXPECT_EQ(e["field"], "mids");
  EXPECT_EQ(e["line"], 2);
  EXPECT_EQ(e["file"], "the uploaded MID table");
  // a broken model upload
  r = client_->Post("/api/jobs", MultipartFormDataItems{field("analysis", "fba"), file("model", "<sbml><model", "broken.xml")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(body_json(r)["errors"][0]["field"], "model");
  // per-day tables (a series field): names, duplicate days, one file for a single-file field, a broken day
  const std::string day = "\"\",\"c1\",\"c2\"\n\"G1\",1,0\n\"G2\",0,3\n";
  expect_400({field("analysis", "dynamics")}, "data", "upload the per-day tables");
  expect_400({field("analysis", "dynamics"), file("data", day, "day0.csv"), file("data", day, "d1.csv")}, "data", "not named as a day's table");
  expect_400({field("analysis", "dynamics"), file("data", day, "d1.csv"), file("data", day, "D1.csv")}, "data", "two files for day 1");
  expect_400({field("analysis", "predict"), field("predictor", "glycolysis"), file("mids", example("glycolysis/mids.tsv"), "a.tsv"),
              file("mids", example("glycolysis/mids.tsv"), "b.tsv")},
             "mids", "takes one file");
  r = client_->Post("/api/jobs", MultipartFormDataItems{field("analysis", "dynamics"), file("data", day, "d0.csv"),
                                                        file("data", "\"\",\"c1\",\"c2\"\n\"G1\",1,x\n\"G2\",0,3\n", "d1.csv")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 400) << r->body;
  {
    const auto e2 = body_json(r)["errors"][0];
    EXPECT_EQ(e2["field"], "data");
    EXPECT_EQ(e2["file"], "d1.csv");
    EXPECT_EQ(e2["line"], 2);
    EXPECT_EQ(e2["column"], 8);  // "G1",1,x
  }
  // not multipart
  r = client_->Post("/api/jobs", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  // nothing of the rejected submissions is left behind
  std::size_t entries = 0;
  for (const auto& x : fs::directory_iterator(data_ + "/jobs")) entries += x.is_directory();
  EXPECT_EQ(entries, 0u);
}

TEST_F(ServerApi, UnknownJobsAndPathTraversal) {
  for (const std::string path : {"/api/jobs/0123456789abcdef0123456789abcdef", "/api/jobs/not-an-id", "/api/jobs/../jobs.db",
                                 "/api/jobs/0123456789abcdef0123456789abcdef/files/x", "/api/nothing"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_TRUE(body_json(r).contains("message")) << path;
  }
  auto r = client_->Post("/api/jobs", MultipartFormDataItems{field("analysis", "predict"), field("predictor", "glycolysis"), file("mids", example("glycolysis/mids.tsv"), "../../evil.tsv")});
  ASSERT_EQ(r->status, 201);
  const std::string id = body_json(r)["id"];
  wait_for_job(*client_, id, 120);
  EXPECT_FALSE(fs::exists(data_ + "/evil.tsv"));
  EXPECT_TRUE(fs::exists(data_ + "/jobs/" + id + "/input/mids.tsv"));  // the server names uploads itself
  fs::create_symlink(data_ + "/jobs.db", data_ + "/jobs/" + id + "/output/link.db");
  for (const std::string rel : {"../params.json", "..%2Fparams.json", "%2e%2e/params.json", "../../jobs.db", "/etc/passwd", "link.db",
                                "./fluxes.tsv", "..", "fluxes.tsv%00.txt", "%c0%ae%c0%ae/params.json", "%e9t%e9.tsv"}) {
    auto x = client_->Get("/api/jobs/" + id + "/files/" + rel);
    ASSERT_TRUE(x) << rel;
    EXPECT_EQ(x->status, 404) << rel << ": " << x->body.substr(0, 80);
  }
  EXPECT_EQ(client_->Get("/api/jobs/" + id + "/files/fluxes.tsv")->status, 200);
  // a Latin-1 upload name and Latin-1 text (Excel on Windows): accepted, read as Windows-1252
  std::string latin1 = example("glycolysis/mids.tsv");
  for (std::size_t at = latin1.find("\tr1"); at != std::string::npos; at = latin1.find("\tr1", at + 1)) latin1.replace(at, 3, "\tr\xe9");
  r = client_->Post("/api/jobs", MultipartFormDataItems{field("analysis", "predict"), field("predictor", "glycolysis"), file("mids", latin1, "donn\xe9" "es.tsv")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string latin_id = body_json(r)["id"];
  const auto done = wait_for_job(*client_, latin_id, 120);
  EXPECT_EQ(done["state"], "done") << done.dump(1);
  auto job = client_->Get("/api/jobs/" + latin_id);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->status, 200);
  EXPECT_TRUE(nlohmann::json::accept(job->body)) << job->body.substr(0, 200);
}

TEST_F(ServerApi, CancelARunningJob) {
  auto r = client_->Post("/api/jobs", long_fit());
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string id = body_json(r)["id"];
  auto running = wait_for_job(*client_, id, 60, "running");
  ASSERT_EQ(running["state"], "running");
  auto c = client_->Post("/api/jobs/" + id + "/cancel");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 202);
  const auto j = wait_for_job(*client_, id, 30);
  EXPECT_EQ(j["state"], "cancelled");
  EXPECT_EQ(j["message"], "cancelled while running");
}

TEST(ServerLimits, OversizeUploadIsRefused) {
  const auto data = temp_dir("limits");
  FluxionProcess server(serve_args(data, {"--max-upload", "0.01"}));  // 10 KB
  httplib::Client c("127.0.0.1", server.port());
  auto r = c.Post("/api/jobs", MultipartFormDataItems{field("analysis", "predict"), field("predictor", "glycolysis"), file("mids", std::string(50000, 'x'), "big.tsv")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(body_json(r)["code"], "payload_too_large");
  EXPECT_EQ(body_json(c.Get("/api/health"))["status"], "ok");  // and the server goes on
  fs::remove_all(data);
}

// One raw HTTP exchange on a fresh connection: what the server answers within `seconds`
// (empty when nothing came), and whether it then closed the connection.
struct RawAnswer {
  std::string text;
  bool closed = false;
  double seconds = 0;
};
RawAnswer raw_exchange(int port, const std::string& request, double seconds = 10) {
  RawAnswer a;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return a;
  const auto t0 = std::chrono::steady_clock::now();
  (void)!::write(fd, request.data(), request.size());
  timeval tv{0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) a.text.append(buf, static_cast<std::size_t>(n));
    else if (n == 0) {
      a.closed = true;
      break;
    } else if (!a.text.empty() && a.text.find("\r\n\r\n") != std::string::npos) {
      // an answer came and the connection stays open: give it a moment to close
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > 2.0) break;
    }
  }
  a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  return a;
}

// A POST without Content-Length is answered at once (it held a thread for the read timeout),
// and a refused form field closes the connection (its unread body was read as the next request).
TEST(ServerHttp, BodilessPostsAndRefusedFieldsDoNotHoldOrPoisonConnections) {
  const auto data = temp_dir("http");
  FluxionProcess server(serve_args(data));
  const RawAnswer cancel = raw_exchange(server.port(), "POST /api/jobs/0123456789abcdef0123456789abcdef/cancel HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(cancel.text.find("HTTP/1.1 404"), std::string::npos) << cancel.text.substr(0, 200);
  EXPECT_LT(cancel.seconds, 5.0);
  const std::string boundary = "fluxionboundary";
  const std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"analysis\"\r\n\r\n" + std::string(70 * 1024, 'a') +
                           "\r\n--" + boundary + "--\r\n";
  const std::string post = "POST /api/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=" + boundary +
                           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  const RawAnswer big = raw_exchange(server.port(), post + "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(big.text.find("HTTP/1.1 400"), std::string::npos) << big.text.substr(0, 200);
  EXPECT_NE(big.text.find("longer than 64 KB"), std::string::npos) << big.text.substr(0, 400);
  EXPECT_EQ(big.text.find("HTTP/1.1 414"), std::string::npos) << big.text;
  EXPECT_TRUE(big.closed);
  httplib::Client c("127.0.0.1", server.port());
  EXPECT_EQ(body_json(c.Get("/api/health"))["status"], "ok");
  fs::remove_all(data);
}

// A model directory offers its models, not its licence or notes, and a job on a library
// model names the model, never where the server keeps it.
TEST(ServerModels, LibraryOffersModelsAndHidesServerPaths) {
  const auto data = temp_dir("library");
  const fs::path lib = fs::path(data).parent_path() / (fs::path(data).filename().string() + "-models");
  fs::create_directories(lib);
  { std::ofstream(lib / "BIGG_LICENSE.txt") << "Licence terms\n"; }
  { std::ofstream(lib / "notes.json") << "{\"note\": 1}\n"; }
  ASSERT_EQ(std::system((std::string(FLUXION_BINARY) + " model convert glycolysis '" + (lib / "my_glycolysis.tsv").string() + "' > /dev/null 2>&1").c_str()), 0);
  ASSERT_TRUE(fs::exists(lib / "my_glycolysis.tsv"));
  FluxionProcess server(serve_args(data, {"--model-dir", lib.string()}));
  httplib::Client c("127.0.0.1", server.port());
  std::set<std::string> names;
  const auto listed = body_json(c.Get("/api/models"));
  for (const auto& m : listed["models"])
    if (m["source"] == "library") names.insert(m["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"my_glycolysis.tsv"})) << listed.dump(1) << " " << lib;
  auto r = c.Post("/api/jobs", MultipartFormDataItems{field("analysis", "fba"), field("model", "BIGG_LICENSE.txt")});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body.find(lib.string()), std::string::npos) << r->body;
  // the reactions of a library or built-in model, for the FBA form's objective list: the objective first
  const auto reactions = body_json(c.Get("/api/models/my_glycolysis.tsv/reactions"));
  ASSERT_GE(reactions["reactions"].size(), 10u) << reactions.dump();
  EXPECT_EQ(reactions["reactions"][0]["id"], "GLC_IN");
  EXPECT_EQ(body_json(c.Get("/api/models/glycolysis/reactions"))["reactions"].size(), reactions["reactions"].size());
  for (const std::string bad : {"BIGG_LICENSE.txt", "nothing.xml", "..%2F..%2Fetc%2Fpasswd"}) {
    auto miss = c.Get("/api/models/" + bad + "/reactions");
    ASSERT_TRUE(miss) << bad;
    EXPECT_EQ(miss->status, 404) << bad;
    EXPECT_EQ(miss->body.find(lib.string()), std::string::npos) << miss->body;
  }
  // (a library model has no built-in tracer experiments: the job fails, and its message names the model only)
  r = c.Post("/api/jobs", MultipartFormDataItems{field("analysis", "simulate"), field("model", "my_glycolysis.tsv"),
                                                 file("fluxes", example("glycolysis/true_fluxes.tsv"), "f.tsv")});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string id = body_json(r)["id"];
  const auto finished = wait_for_job(c, id, 120);
  EXPECT_EQ(finished["state"], "failed") << finished.dump(1);
  const std::string message = finished["message"];
  EXPECT_NE(message.find("input/my_glycolysis.tsv: error: no built-in tracer experiments"), std::string::npos) << message;
  EXPECT_EQ(message.find(lib.filename().string()), std::string::npos) << message;
  EXPECT_EQ(message.find(lib.string()), std::string::npos) << message;
  fs::remove_all(data);
  fs::remove_all(lib);
}

TEST(ServerRecovery, AJobRunningWhenTheServerIsKilledIsRequeued) {
  const auto data = temp_dir("recovery");
  std::string id;
  {
    FluxionProcess server(serve_args(data));
    httplib::Client c("127.0.0.1", server.port());
    auto r = c.Post("/api/jobs", long_fit());
    ASSERT_EQ(r->status, 201) << r->body;
    id = body_json(r)["id"];
    ASSERT_EQ(wait_for_job(c, id, 60, "running")["state"], "running");
    EXPECT_EQ(server.kill_now(SIGKILL), -SIGKILL);
  }
  FluxionProcess server(serve_args(data));
  httplib::Client c("127.0.0.1", server.port());
  const auto j = wait_for_job(c, id, 60, "running");
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["attempts"], 2);
  EXPECT_NE(j["message"].get<std::string>().find("re-queued"), std::string::npos) << j.dump(1);
  // with no attempts left, a second kill fails it with the reason
  EXPECT_EQ(server.kill_now(SIGKILL), -SIGKILL);
  FluxionProcess third(serve_args(data));
  httplib::Client c3("127.0.0.1", third.port());
  const auto failed = body_json(c3.Get("/api/jobs/" + id));
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_NE(failed["message"].get<std::string>().find("not retried"), std::string::npos) << failed.dump(1);
  fs::remove_all(data);
}

}  // namespace

namespace {

// Every analysis the web offers runs from its own sample inputs: the web's declaration of
// each command's options matches the command (scFEA and FBA samples come from ../shared/data).
TEST_F(ServerApi, EveryAnalysisRunsFromItsSampleInputs) {
  const auto analyses = body_json(client_->Get("/api/analyses"))["analyses"];
  int ran = 0;
  for (const auto& a : analyses) {
    if (a["samples"].empty()) continue;
    MultipartFormDataItems items{field("analysis", a["id"])};
    for (const auto& s : a["samples"]) {
      auto f = client_->Get(s["url"].get<std::string>());
      ASSERT_TRUE(f);
      ASSERT_EQ(f->status, 200) << s.dump();
      items.push_back(file(s["option"], f->body, s["filename"]));
    }
    for (const auto& [k, v] : a["sample_values"].items()) items.push_back(field(k, v));
    auto r = client_->Post("/api/jobs", items);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << a["id"] << ": " << r->body;
    const auto j = wait_for_job(*client_, body_json(r)["id"], 240);
    EXPECT_EQ(j["state"], "done") << a["id"] << ": " << j.dump(1);
    // each view the page draws names a file the command wrote
    std::set<std::string> files;
    for (const auto& f : j["files"]) files.insert(f["path"].get<std::string>());
    for (const auto& v : a["views"])  // (an optional view is drawn for some inputs only: a fit's pools of a time course)
      if (!v.value("optional", false)) EXPECT_TRUE(files.count(v["file"].get<std::string>())) << a["id"] << " lacks " << v["file"];
    ++ran;
  }
  EXPECT_GE(ran, 5);  // predict, fit, project, simulate, dynamics everywhere; scflux and fba with the shared data
}

}  // namespace

namespace {

// Finished jobs and their files go after the retention period (here 0.9 s).
TEST(ServerRetention, FinishedJobsAreDeletedAfterTheRetentionPeriod) {
  const auto data = temp_dir("retention");
  FluxionProcess server(serve_args(data, {"--retention-days", "0.00001"}));
  httplib::Client c("127.0.0.1", server.port());
  auto r = c.Post("/api/jobs", MultipartFormDataItems{field("analysis", "simulate"), field("model", "glycolysis"),
                                                      file("fluxes", example("glycolysis/true_fluxes.tsv"), "fluxes.tsv")});
  ASSERT_EQ(r->status, 201) << r->body;
  const std::string id = body_json(r)["id"];
  ASSERT_EQ(wait_for_job(c, id, 60)["state"], "done");
  int status = 200;
  for (int i = 0; i < 150 && status == 200; ++i) {  // housekeeping runs every 5 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = c.Get("/api/jobs/" + id)->status;
  }
  EXPECT_EQ(status, 404);
  // the row goes first, then the files: the directory may outlive the 404 by moments
  for (int i = 0; i < 50 && fs::exists(data + "/jobs/" + id); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(fs::exists(data + "/jobs/" + id));
  fs::remove_all(data);
}

}  // namespace
