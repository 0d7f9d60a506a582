// fluxion serve / fluxion worker: the web app and its workers.
// The analyses the web offers are the CLI's own commands (service/analyses.hpp): the form
// fields are the commands' declarations, collected in Context::declarations as they bind.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "option_binding.hpp"
#include "learned_commands.hpp"
#include "fluxion/core/version.hpp"
#include "fluxion/dynamics/time_series.hpp"
#include "fluxion/service/analyses.hpp"
#include "fluxion/learn/predictor_package.hpp"

#ifndef FLUXION_WEB_DIST
#define FLUXION_WEB_DIST ""
#endif
namespace fluxion::cli {

extern const char* const kOpenApiJson;  // docs/openapi.json, compiled in

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

struct ServeCli {
  service::ServiceOptions options;
  bool api_only = false;
};

service::ServiceCatalogue make_catalogue(const Context& ctx) {
  service::CatalogueSources sources;
  sources.source_dir = FLUXION_SOURCE_DIR;
  for (const auto& p : learn::builtin_predictors()) {
    // "simple_time_course": the toy model's package for time courses
    const auto cut = p.find("_time_course");
    sources.builtin_predictors.emplace_back(p, cut == std::string::npos ? "trained ML-Flux package for the built-in model '" + p + "'"
                                                                         : "trained ML-Flux package for time courses of the built-in model '" + p.substr(0, cut) + "'");
  }
  sources.read_series = [](const std::string& dir) {
    auto r = dynamics::load_time_series(dir);
    auto ds = r ? std::vector<Diagnostic>{} : r.diagnostics();
    for (auto& d : ds)  // name the day's file, not its place on the server
      d.source = d.source.find(dir) == 0 ? fs::path(d.source).filename().string() : std::string("the uploaded tables");
    return ds;
  };
  sources.openapi_json = kOpenApiJson;
  sources.version = std::string(fluxion::version()) + " (" + std::string(fluxion::git_hash()) + ")";
  return service::standard_catalogue(ctx.declarations, sources);
}

void add_service_options(CLI::App* cmd, ServeCli& o, bool server, Context& ctx) {
  if (!server) {
    auto bound = bind_options(cmd, service::ServiceOptions::table(), o.options, ctx,
                              {"host", "port", "web-root", "max-upload", "retention-days", "http-threads", "model-dir", "map-dir"});
    bound["db"]->required();
    return;
  }
  bind_options(cmd, service::ServiceOptions::table(), o.options, ctx);
  cmd->add_flag("--api-only", o.api_only, "Serve the API without the front end");
}

}  // namespace

void add_serve_commands(CLI::App& app, Context& ctx) {
  static ServeCli serve_o, worker_o;
  auto* serve = app.add_subcommand("serve", learned_description("serve"));
  add_service_options(serve, serve_o, true, ctx);
  serve->callback([&ctx] {
    install_signal_handlers();
    auto& o = serve_o;
    if (o.api_only) o.options.web_root.clear();
    else if (o.options.web_root.empty()) {
      o.options.web_root = service::find_web_root(FLUXION_WEB_DIST);
      if (o.options.web_root.empty()) std::cerr << "warning: no built front end found (npm run build in web/); serving the API only\n";
    }
    const auto catalogue = make_catalogue(ctx);
    auto r = service::serve(o.options, catalogue, g_stop);
    if (!accept(r, ctx)) return;
  });
  auto* worker = app.add_subcommand("worker", learned_description("worker"));
  add_service_options(worker, worker_o, false, ctx);
  worker->callback([&ctx] {
    install_signal_handlers();
    const auto catalogue = make_catalogue(ctx);
    auto r = service::work(worker_o.options, catalogue, g_stop);
    if (!accept(r, ctx)) return;
  });
}

}  // namespace fluxion::cli
