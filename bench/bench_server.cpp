// Load and faults for `fluxion serve` on loopback.
//   bench_server <fluxion binary> [clients 200] [requests per client 50] [rounds 3] [close|keep-alive]
// 1. Load: two long jobs run (the machine's two cores busy with least-squares fits) while
//    `clients` threads each ask for a job's status `requests` times, as fast as they can, a
//    new connection per request (close, the default) or one connection each (keep-alive). Reports errors, throughput and latency
//    percentiles per round and the median p99 over the rounds.
// 2. Faults: the server is killed with SIGKILL while jobs run and started again: how long until
//    it answers, and where each job is (re-queued, running again, failed with the reason);
//    none may be missing.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "../tests/server/server_fixture.hpp"

using fluxion::test::body_json;
using fluxion::test::FluxionProcess;
using fluxion::test::temp_dir;
using fluxion::test::wait_for_job;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> serve_args(const std::string& binary, const std::string& data) {
  return {binary, "serve", "--port", "0", "--data", data, "--api-only", "--workers", "2", "--job-threads", "1"};
}

std::string submit_fit(httplib::Client& c, const std::string& mids) {
  auto r = c.Post("/api/jobs", httplib::MultipartFormDataItems{{"analysis", "fit", "", ""},
                                                                {"model", "glycolysis", "", ""},
                                                                {"starts", "100000", "", ""},
                                                                {"mids", mids, "mids.tsv", ""}});
  if (!r || r->status != 201) throw std::runtime_error("submission failed: " + (r ? r->body : httplib::to_string(r.error())));
  return body_json(r)["id"];
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_server <fluxion binary> [clients 200] [requests per client 50] [rounds 3] [close|keep-alive]\n";
    return 2;
  }
  const std::string binary = argv[1];
  const int clients = argc > 2 ? std::atoi(argv[2]) : 200;
  const int per_client = argc > 3 ? std::atoi(argv[3]) : 50;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 3;
  const bool keep_alive = argc > 5 && std::string(argv[5]) == "keep-alive";
  std::ifstream in(std::string(FLUXION_SOURCE_DIR) + "/examples/glycolysis/mids.tsv");
  const std::string mids((std::istreambuf_iterator<char>(in)), {});
  const std::string data = temp_dir("bench-server");

  std::vector<double> p99s;
  std::vector<std::string> ids;
  {
    FluxionProcess server(serve_args(binary, data));
    httplib::Client c("127.0.0.1", server.port());
    ids = {submit_fit(c, mids), submit_fit(c, mids)};
    for (const auto& id : ids)
      if (wait_for_job(c, id, 60, "running")["state"] != "running") throw std::runtime_error("the jobs did not start");
    std::printf("load: %d clients x %d status requests, 2 jobs running, %s\n", clients, per_client,
                keep_alive ? "one kept-alive connection per client" : "a new connection per request");
    std::printf("round  requests  errors  seconds  req/s   p50_ms  p90_ms  p99_ms  max_ms\n");
    for (int round = 1; round <= rounds; ++round) {
      std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
      std::atomic<long> errors{0};
      std::atomic<bool> go{false};
      std::vector<std::thread> threads;
      for (int t = 0; t < clients; ++t)
        threads.emplace_back([&, t] {
          httplib::Client client("127.0.0.1", server.port());
          client.set_connection_timeout(10, 0);
          client.set_read_timeout(30, 0);
          client.set_keep_alive(keep_alive);
          while (!go) std::this_thread::yield();
          for (int i = 0; i < per_client; ++i) {
            const auto t0 = Clock::now();
            auto r = client.Get("/api/jobs/" + ids[static_cast<std::size_t>((t + i) % 2)]);
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            if (!r || r->status != 200 || r->body.find("\"state\":\"running\"") == std::string::npos) ++errors;
            latencies[static_cast<std::size_t>(t)].push_back(ms);
          }
        });
      const auto start = Clock::now();
      go = true;
      for (auto& th : threads) th.join();
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      std::vector<double> all;
      for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
      const double p99 = percentile(all, 0.99);
      p99s.push_back(p99);
      std::printf("%5d  %8zu  %6ld  %7.2f  %6.0f  %6.2f  %6.2f  %6.2f  %6.1f\n", round, all.size(), errors.load(), seconds,
                  static_cast<double>(all.size()) / seconds, percentile(all, 0.5), percentile(all, 0.9), p99, *std::max_element(all.begin(), all.end()));
    }
    std::printf("median p99 over %d rounds: %.2f ms\n\n", rounds, percentile(p99s, 0.5));

    // faults: SIGKILL with both jobs running, and a third queued
    ids.push_back(submit_fit(c, mids));
    std::printf("faults: SIGKILL with %zu jobs (2 running, 1 queued)\n", ids.size());
    server.kill_now(SIGKILL);
  }
  const auto restart = Clock::now();
  FluxionProcess server(serve_args(binary, data));
  httplib::Client c("127.0.0.1", server.port());
  auto h = c.Get("/api/health");
  const double answer_ms = std::chrono::duration<double, std::milli>(Clock::now() - restart).count();
  std::printf("restarted and answering after %.0f ms (health %d)\n", answer_ms, h ? h->status : 0);
  int missing = 0;
  for (const auto& id : ids) {
    const auto j = body_json(c.Get("/api/jobs/" + id));
    if (!j.contains("state")) {
      ++missing;
      continue;
    }
    std::printf("  job %s: %s, attempt %d%s%s\n", id.substr(0, 8).c_str(), j["state"].get<std::string>().c_str(), j["attempts"].get<int>(),
                j["message"].get<std::string>().empty() ? "" : " — ", j["message"].get<std::string>().c_str());
  }
  std::printf("jobs missing after the restart: %d\n", missing);
  for (const auto& id : ids) c.Post("/api/jobs/" + id + "/cancel");
  for (const auto& id : ids) wait_for_job(c, id, 30);
  std::filesystem::remove_all(data);
  return missing == 0 ? 0 : 1;
}
