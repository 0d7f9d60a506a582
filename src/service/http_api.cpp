// The HTTP API (cpp-httplib): its routes, the upload of a submission into a job, the error
// handlers. The form's fields become arguments in form_arguments.cpp; serve() and work() are
// in lifecycle.cpp.
// Every error answer has one JSON shape: {"code": "...", "message": "...", ["errors": [...]]}.
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "fluxion/io/run_info.hpp"
#include "fluxion/service/server.hpp"
#include "form_arguments.hpp"
#include "service_internal.hpp"

namespace fluxion::service {

namespace fs = std::filesystem;
using nlohmann::json;

void log_line(const std::string& text) {
  static std::mutex m;
  std::lock_guard lock(m);
  const std::time_t t = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", std::localtime(&t));
  std::cerr << "[" << stamp << "] " << text << std::endl;
}

namespace {

constexpr std::size_t kMaxFieldBytes = 64 * 1024;  // a form value that is not a file
constexpr int kMaxParts = 64;

std::string iso_time(std::int64_t ms) {
  if (ms <= 0) return "";
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message, json errors = nullptr) {
  json body{{"code", code}, {"message", message}};
  if (!errors.is_null()) body["errors"] = std::move(errors);
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

json diagnostic_json(const Diagnostic& d) {
  json e{{"message", d.message}};
  if (!d.context.empty()) e["field"] = d.context;
  if (!d.source.empty()) e["file"] = d.source;
  if (d.line > 0) e["line"] = d.line;
  if (d.column > 0) e["column"] = d.column;
  e["text"] = d.to_string();
  return e;
}

std::string content_type(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".tsv" || ext == ".tab") return "text/tab-separated-values; charset=utf-8";
  if (ext == ".csv") return "text/csv; charset=utf-8";
  if (ext == ".txt" || ext == ".gmt" || ext == ".log") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

json job_json(const Job& j, const ServiceOptions& options, bool with_files) {
  json o{{"id", j.id},
         {"analysis", j.analysis},
         {"title", j.title},
         {"state", to_string(j.state)},
         {"progress", j.progress < 0 ? json(nullptr) : json(j.progress)},
         {"progress_label", j.progress_label},
         {"message", j.message},
         {"attempts", j.attempts},
         {"worker", j.worker},
         {"cancel_requested", j.cancel_requested},
         {"created", iso_time(j.created_ms)},
         {"started", iso_time(j.started_ms)},
         {"finished", iso_time(j.finished_ms)},
         {"url", "/jobs/" + j.id}};
  if (!with_files) return o;
  const fs::path dir = job_directory(options.data_dir, j.id);
  std::ifstream params(dir / "params.json");
  if (params) {
    try {
      json p = json::parse(params);
      o["inputs"] = p.value("inputs", json::array());
      o["parameters"] = p.value("parameters", json::object());
    } catch (...) {
    }
  }
  json files = json::array();
  std::error_code ec;
  if (fs::is_directory(dir / "output")) {
    std::vector<std::pair<std::string, std::uintmax_t>> list;
    for (auto it = fs::recursive_directory_iterator(dir / "output", ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file() && !it->is_symlink()) list.emplace_back(fs::relative(it->path(), dir / "output").string(), it->file_size());
    std::sort(list.begin(), list.end());
    for (const auto& [path, size] : list) files.push_back({{"path", path}, {"size", size}, {"url", "/api/jobs/" + j.id + "/files/" + path}});
  }
  o["files"] = files;
  return o;
}

json analysis_json(const AnalysisSpec& a) {
  json options = json::array();
  for (const auto& o : a.options) {
    json x{{"name", o.name},   {"label", o.label.empty() ? o.name : o.label}, {"kind", to_string(o.kind)}, {"type", o.type},          {"description", o.description},
           {"default", o.default_value}, {"required", o.required}, {"choices", o.choices}, {"group", o.group}};
    if (o.minimum) x["minimum"] = *o.minimum;
    if (o.minimum && o.exclusive_minimum) x["exclusive_minimum"] = true;
    if (o.maximum) x["maximum"] = *o.maximum;
    if (!o.accept.empty()) x["accept"] = o.accept;
    options.push_back(x);
  }
  json views = json::array();
  for (const auto& v : a.views)
    views.push_back({{"file", v.file}, {"kind", v.kind}, {"title", v.title}, {"x", v.x}, {"y", v.y}, {"error", v.error}, {"group", v.group}, {"optional", v.optional}});
  json samples = json::array();
  for (std::size_t i = 0; i < a.samples.size(); ++i)
    samples.push_back({{"option", a.samples[i].option},
                       {"label", a.samples[i].label},
                       {"filename", fs::path(a.samples[i].path).filename().string()},
                       {"url", "/api/analyses/" + a.id + "/samples/" + std::to_string(i)}});
  json sample_values = json::object();
  for (const auto& [k, v] : a.sample_values) sample_values[k] = v;
  return {{"id", a.id},           {"command", a.command}, {"title", a.title},       {"summary", a.summary},
          {"options", options},   {"views", views},       {"samples", samples},     {"sample_values", sample_values},
          {"sample_set", a.example_value_set}};
}

std::string owner_of(const httplib::Request& req) {
  std::string token = req.get_header_value("X-Fluxion-Owner");
  if (token.empty()) {
    const std::string cookie = req.get_header_value("Cookie");
    static const std::regex re("(?:^|;\\s*)fluxion_owner=([A-Za-z0-9_-]{16,128})");
    std::smatch m;
    if (std::regex_search(cookie, m, re)) token = m[1];
  }
  if (token.size() < 16 || token.size() > 128) return "";
  return io::sha256_text(token);
}

class Api {
 public:
  Api(JobStore& store, const ServiceOptions& options, const ServiceCatalogue& catalogue) : store_(store), options_(options), catalogue_(catalogue) {}

  void install(httplib::Server& server) {
    using httplib::Request;
    using httplib::Response;
    server.Get("/api/health", [this](const Request&, Response& res) {
      json counts = json::object();
      for (const auto& [state, n] : store_.counts()) counts[to_string(state)] = n;
      send_json(res, {{"status", "ok"}, {"version", catalogue_.version}, {"store", store_.describe()}, {"jobs", counts}, {"workers", options_.workers}});
    });
    server.Get("/api/openapi.json", [this](const Request&, Response& res) { res.set_content(catalogue_.openapi_json, "application/json"); });
    server.Get("/api/analyses", [this](const Request&, Response& res) {
      json list = json::array();
      for (const auto& a : catalogue_.analyses) list.push_back(analysis_json(a));
      send_json(res, {{"analyses", list}, {"max_upload_bytes", options_.max_upload_bytes}, {"retention_days", options_.retention_days}});
    });
    server.Get(R"(/api/analyses/([a-z0-9-]+)/samples/(\d+))", [this](const Request& req, Response& res) {
      const AnalysisSpec* a = find(req.matches[1]);
      const std::size_t i = std::stoul(req.matches[2]);
      if (!a || i >= a->samples.size()) return send_error(res, 404, "not_found", "no such sample file");
      std::ifstream in(a->samples[i].path, std::ios::binary);
      if (!in) return send_error(res, 404, "not_found", "the sample file is missing on the server");
      std::string content((std::istreambuf_iterator<char>(in)), {});
      res.set_header("Content-Disposition", "attachment; filename=\"" + fs::path(a->samples[i].path).filename().string() + "\"");
      res.set_content(content, content_type(a->samples[i].path));
    });
    server.Get("/api/models", [this](const Request&, Response& res) {
      json models = json::array(), predictors = json::array();
      for (const auto& [name, description] : catalogue_.builtin_models) models.push_back({{"name", name}, {"description", description}, {"source", "built-in"}});
      for (const auto& [name, path] : library_models()) models.push_back({{"name", name}, {"description", path.filename().string()}, {"source", "library"}});
      for (const auto& [name, description] : catalogue_.builtin_predictors) predictors.push_back({{"name", name}, {"description", description}});
      send_json(res, {{"models", models}, {"predictors", predictors}});
    });
    server.Get(R"(/api/models/([^/]+)/reactions)", [this](const Request& req, Response& res) {
      const std::string name = req.matches[1];
      std::string source;
      for (const auto& [builtin, description] : catalogue_.builtin_models)
        if (builtin == name) source = name;
      for (const auto& [file, path] : library_models())
        if (file == name) source = path.string();
      if (source.empty()) return send_error(res, 404, "not_found", "no model '" + name.substr(0, 80) + "' on this server");
      std::vector<std::pair<std::string, std::string>> reactions;
      {
        std::lock_guard lock(reactions_mutex_);  // each model is read once
        auto it = reactions_cache_.find(source);
        if (it == reactions_cache_.end() && catalogue_.model_reactions) it = reactions_cache_.emplace(source, catalogue_.model_reactions(source)).first;
        if (it != reactions_cache_.end()) reactions = it->second;
      }
      if (reactions.empty()) return send_error(res, 422, "unreadable_model", "the model '" + name.substr(0, 80) + "' could not be read");
      json list = json::array();
      for (const auto& [id, rname] : reactions) list.push_back({{"id", id}, {"name", rname}});
      send_json(res, {{"model", name}, {"reactions", list}});
    });
    server.Get("/api/maps", [this](const Request&, Response& res) {
      json maps = json::array();
      for (const auto& [file, path] : map_files()) {
        const auto dot = file.find('.');
        const std::string stem = file.substr(0, file.size() - 5);
        maps.push_back({{"file", file},
                        {"model", dot == std::string::npos ? stem : file.substr(0, dot)},
                        {"name", dot == std::string::npos ? stem : stem.substr(dot + 1)},
                        {"url", "/api/maps/" + file}});
      }
      send_json(res, {{"maps", maps}});
    });
    server.Get(R"(/api/maps/([^/]+))", [this](const Request& req, Response& res) {
      for (const auto& [file, path] : map_files())
        if (file == req.matches[1].str()) return serve_file(path, false, res);
      send_error(res, 404, "not_found", "no map '" + req.matches[1].str() + "'");
    });
    server.Post("/api/jobs", [this](const Request& req, Response& res, const httplib::ContentReader& reader) { submit(req, res, reader); });
    server.Get("/api/jobs", [this](const Request& req, Response& res) {
      const std::string owner = owner_of(req);
      json list = json::array();
      if (!owner.empty())
        for (const auto& j : store_.list_by_owner(owner, 200)) list.push_back(job_json(j, options_, false));
      send_json(res, {{"jobs", list}});
    });
    server.Get(R"(/api/jobs/([^/]+))", [this](const Request& req, Response& res) {
      auto job = lookup(req.matches[1], res);
      if (job) send_json(res, job_json(*job, options_, true));
    });
    server.Post(R"(/api/jobs/([^/]+)/cancel)", [this](const Request& req, Response& res) {
      auto job = lookup(req.matches[1], res);
      if (!job) return;
      if (!store_.request_cancel(job->id))
        return send_error(res, 409, "conflict", std::string("the job has already ") + (job->state == JobState::done ? "finished" : to_string(job->state)));
      send_json(res, job_json(*store_.get(job->id), options_, false), 202);
    });
    server.Get(R"(/api/jobs/([^/]+)/log)", [this](const Request& req, Response& res) {
      auto job = lookup(req.matches[1], res);
      if (!job) return;
      std::ifstream in(job_directory(options_.data_dir, job->id) / "log.txt", std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), {});
      if (text.size() > 1000000) text = "…\n" + text.substr(text.size() - 1000000);
      res.set_content(text, "text/plain; charset=utf-8");
    });
    server.Get(R"(/api/jobs/([^/]+)/files/(.+))", [this](const Request& req, Response& res) {
      auto job = lookup(req.matches[1], res);
      if (!job) return;
      const auto file = safe_child(job_directory(options_.data_dir, job->id) / "output", req.matches[2]);
      if (!file) return send_error(res, 404, "not_found", "the job has no file '" + std::string(req.matches[2]) + "'");
      serve_file(*file, req.has_param("download"), res);
    });
    server.Get(R"(/api/.*)", [](const Request& req, Response& res) { send_error(res, 404, "not_found", "no API endpoint " + req.path); });
    // the front end: its files, and index.html for its own routes (/jobs/<id>, /analyses/<id>)
    server.Get(R"(/.*)", [this](const Request& req, Response& res) {
      if (options_.web_root.empty())
        return send_error(res, 404, "not_found", "this server runs without the web front end (API only: /api/analyses)");
      const std::string rel = req.path == "/" ? "index.html" : req.path.substr(1);
      auto file = safe_child(options_.web_root, rel);
      const bool asset = rel.rfind("assets/", 0) == 0;
      if (!file && (asset || rel.find('.') != std::string::npos)) return send_error(res, 404, "not_found", "no file " + req.path);
      if (!file) file = fs::path(options_.web_root) / "index.html";
      if (asset) res.set_header("Cache-Control", "public, max-age=31536000, immutable");
      serve_file(*file, false, res);
    });
  }

 private:
  const AnalysisSpec* find(const std::string& id) const {
    for (const auto& a : catalogue_.analyses)
      if (a.id == id) return &a;
    return nullptr;
  }

  // Whether a file of a model directory reads as a model, by its first bytes: licences,
  // READMEs and notes share the extensions (.txt, .json) and must not be offered as models.
  static bool looks_like_model(const fs::path& path) {
    std::string name = path.filename().string();
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const char* skip : {"license", "licence", "readme", "provenance", "notice", "copying", "changelog"})
      if (name.find(skip) != std::string::npos) return false;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0) return true;  // compressed: the reader decides
    std::ifstream in(path, std::ios::binary);
    std::string head(8192, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    const auto has = [&](const char* text) { return head.find(text) != std::string::npos; };
    if (name.find(".xml") != std::string::npos || name.find(".sbml") != std::string::npos) return has("<sbml");
    if (name.find(".fml") != std::string::npos) return has("<fluxml");
    if (name.find(".json") != std::string::npos) return has("\"reactions\"");
    if (name.find(".txt") != std::string::npos) return has("//Reactions");
    if (name.find(".ftbl") != std::string::npos) return has("NETWORK");
    return has("equation");  // fluxion's reaction table
  }

  std::mutex reactions_mutex_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> reactions_cache_;

  std::vector<std::pair<std::string, fs::path>> library_models() const {
    std::vector<std::pair<std::string, fs::path>> out;
    for (const auto& dir : options_.model_dirs) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (!e.is_regular_file()) continue;
        const std::string name = e.path().filename().string();
        if (!safe_extension(name).empty() && safe_extension(name) != ".fluxpkg" && looks_like_model(e.path()))
          out.emplace_back(name, fs::absolute(e.path()));  // jobs run in their own directory
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Escher maps: JSON files of the map directories, listed by name (never a path from a request)
  std::vector<std::pair<std::string, fs::path>> map_files() const {
    std::vector<std::pair<std::string, fs::path>> out;
    for (const auto& dir : options_.map_dirs) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.is_regular_file() && e.path().extension() == ".json") out.emplace_back(e.path().filename().string(), e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::optional<Job> lookup(const std::string& id, httplib::Response& res) {
    if (!is_job_id(id)) {
      send_error(res, 404, "not_found", "no job with this id (a job id is 32 hexadecimal digits)");
      return std::nullopt;
    }
    auto job = store_.get(id);
    if (!job) send_error(res, 404, "not_found", "no job with this id: it never existed or was deleted after the retention period");
    return job;
  }

  static void serve_file(const fs::path& file, bool download, httplib::Response& res) {
    const auto size = fs::file_size(file);
    auto stream = std::make_shared<std::ifstream>(file, std::ios::binary);
    if (!*stream) return send_error(res, 500, "internal", "cannot read the file");
    if (download) res.set_header("Content-Disposition", "attachment; filename=\"" + file.filename().string() + "\"");
    res.set_content_provider(static_cast<std::size_t>(size), content_type(file),
                             [stream](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                               std::vector<char> buffer(std::min<std::size_t>(length, 1 << 16));
                               stream->seekg(static_cast<std::streamoff>(offset));
                               stream->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                               const auto n = static_cast<std::size_t>(stream->gcount());
                               if (n == 0) return false;
                               sink.write(buffer.data(), n);
                               return true;
                             });
  }

  void submit(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    if (!req.is_multipart_form_data()) return send_error(res, 415, "unsupported_media_type", "submit a job as multipart/form-data");
    const std::string id = random_id();
    const fs::path staging = fs::path(options_.data_dir) / "jobs" / (id + ".partial");
    std::error_code ec;
    fs::create_directories(staging / "input", ec);
    if (ec) return send_error(res, 500, "internal", "cannot create the job directory: " + ec.message());
    struct Cleanup {
      fs::path dir;
      bool keep = false;
      ~Cleanup() {
        std::error_code e;
        if (!keep) fs::remove_all(dir, e);
      }
    } cleanup{staging};

    std::vector<FormPart> parts;
    std::ofstream out;
    std::string problem;
    static const std::regex field_name("[a-z][a-z0-9-]{0,39}");
    const bool read = reader(
        [&](const httplib::MultipartFormData& header) {
          if (out.is_open()) out.close();
          if (parts.size() >= static_cast<std::size_t>(kMaxParts)) {
            problem = "too many form fields (at most " + std::to_string(kMaxParts) + ")";
            return false;
          }
          if (!std::regex_match(header.name, field_name)) {
            problem = "a form field has the name '" + display_name(header.name).substr(0, 60) + "', which is not an option name";
            return false;
          }
          FormPart p;
          p.name = header.name;
          p.filename = display_name(header.filename);
          if (!header.filename.empty()) {
            // a field may carry several files (per-day tables); which fields may is checked below
            const auto earlier = std::count_if(parts.begin(), parts.end(), [&](const FormPart& q) { return q.name == p.name && !q.stored.empty(); });
            p.stored = staging / "input" / (p.name + (earlier ? "-" + std::to_string(earlier) : std::string()) + safe_extension(p.filename));
            out.open(p.stored, std::ios::binary);
            if (!out) {
              problem = "cannot store the upload";
              return false;
            }
          }
          parts.push_back(std::move(p));
          return true;
        },
        [&](const char* data, std::size_t length) {
          FormPart& p = parts.back();
          p.bytes += length;
          if (p.stored.empty()) {
            if (p.value.size() + length > kMaxFieldBytes) {
              problem = "the field '" + p.name + "' is longer than " + std::to_string(kMaxFieldBytes / 1024) + " KB; upload it as a file";
              return false;
            }
            p.value.append(data, length);
            return true;
          }
          out.write(data, static_cast<std::streamsize>(length));
          return static_cast<bool>(out);
        });
    if (out.is_open()) out.close();
    // the rest of a refused body is not read: close the connection after the answer, or the
    // browser's next request on it would be read from the middle of this one's body
    if (!problem.empty() || !read) res.set_header("Connection", "close");
    if (!problem.empty()) return send_error(res, 400, "invalid_input", problem);
    if (!read && res.status == 413)
      return send_error(res, 413, "payload_too_large",
                        "the upload is larger than this server's limit of " + std::to_string(options_.max_upload_bytes / 1024) + " KB");
    if (!read) return send_error(res, 400, "invalid_input", "the upload was incomplete");

    std::string analysis_id, title;
    std::vector<const FormPart*> option_parts;
    for (const auto& p : parts) {
      if (p.name == "analysis") analysis_id = p.value;
      else if (p.name == "title") title = p.value.substr(0, 200);
      else option_parts.push_back(&p);
    }
    const AnalysisSpec* analysis = find(analysis_id);
    if (!analysis) {
      json names = json::array();
      for (const auto& a : catalogue_.analyses) names.push_back(a.id);
      return send_error(res, 400, "invalid_input",
                        analysis_id.empty() ? "the form has no 'analysis' field" : "unknown analysis '" + analysis_id.substr(0, 60) + "'",
                        json::array({diagnostic_json(Diagnostic{Severity::error, "", 0, 0, "analysis", "one of " + names.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)})}));
    }

    // fields → command arguments (form_arguments.cpp)
    FormArguments form = form_arguments(*analysis, option_parts, staging, catalogue_, library_models());
    Diagnostics& errors = form.errors;
    const std::vector<std::string>& args = form.args;
    if (!errors.has_errors() && catalogue_.validate) errors.append(catalogue_.validate(*analysis, args, staging.string()));
    if (errors.has_errors()) {
      json list = json::array();
      for (const auto& d : errors.items())
        if (d.severity == Severity::error) list.push_back(diagnostic_json(d));
      return send_error(res, 400, "invalid_input", list.size() == 1 ? list[0]["message"].get<std::string>() : std::to_string(list.size()) + " problems in the form", list);
    }

    Job job;
    job.id = id;
    job.analysis = analysis->id;
    job.owner = owner_of(req);
    job.title = title;
    job.args = json(args).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    job.created_ms = now_ms();
    {
      std::ofstream params(staging / "params.json");
      params << json{{"analysis", analysis->id}, {"command", analysis->command}, {"title", title}, {"arguments", args}, {"inputs", form.inputs}, {"parameters", form.parameters}}.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    const fs::path final_dir = job_directory(options_.data_dir, id);
    fs::rename(staging, final_dir, ec);
    if (ec) return send_error(res, 500, "internal", "cannot store the job: " + ec.message());
    cleanup.keep = true;
    try {
      store_.create(job);
    } catch (...) {
      fs::remove_all(final_dir, ec);
      throw;
    }
    log_line("job " + id + " queued: " + analysis->id + (title.empty() ? "" : " (" + title + ")"));
    res.set_header("Location", "/api/jobs/" + id);
    send_json(res, job_json(*store_.get(id), options_, false), 201);
  }

  JobStore& store_;
  const ServiceOptions& options_;
  const ServiceCatalogue& catalogue_;
};

}  // namespace

std::shared_ptr<void> install_api(httplib::Server& server, JobStore& store, const ServiceOptions& options, const ServiceCatalogue& catalogue) {
  server.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log_line("error in " + req.method + " " + req.path + ": " + what);
    send_error(res, 500, "internal", "the server failed: " + what);
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 413) send_error(res, 413, "payload_too_large", "the upload is larger than the server's limit");
    else if (res.status == 400) send_error(res, 400, "bad_request", "the request could not be read");
    else send_error(res, res.status, "error", "HTTP status " + std::to_string(res.status));
  });
  // A POST without Content-Length and without chunked encoding (`curl -X POST …/cancel`)
  // would make httplib read the body until the connection closes, holding an HTTP thread for
  // the read timeout: such a request has no body, so it is given Content-Length 0 before
  // routing. (The request object is httplib's own, not const; only the handler's view is.)
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response&) {
    if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") && !req.has_header("Content-Length") &&
        req.get_header_value("Transfer-Encoding").find("chunked") == std::string::npos)
      const_cast<httplib::Request&>(req).headers.emplace("Content-Length", "0");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  auto api = std::make_shared<Api>(store, options, catalogue);
  api->install(server);
  return api;
}

}  // namespace fluxion::service
