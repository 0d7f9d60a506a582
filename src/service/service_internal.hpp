// Helpers shared by the HTTP API and the workers.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace httplib {
class Server;
}

namespace fluxion::service {

class JobStore;
struct ServiceOptions;
struct ServiceCatalogue;
// The HTTP API's routes and error handlers on `server` (http_api.cpp). The returned object
// holds the routes' state: keep it until the server has stopped.
std::shared_ptr<void> install_api(httplib::Server& server, JobStore& store, const ServiceOptions& options, const ServiceCatalogue& catalogue);

// <data>/jobs/<id>; the id is checked (is_job_id) before it gets here.
inline std::filesystem::path job_directory(const std::string& data_dir, const std::string& id) {
  return std::filesystem::path(data_dir) / "jobs" / id;
}

// A regular file under `root` named by a request's relative path: only plain segments
// ([A-Za-z0-9_][A-Za-z0-9._-]*), and its real path (links resolved) still under root's.
std::optional<std::filesystem::path> safe_child(const std::filesystem::path& root, const std::string& relative);

// The extension of an uploaded file's name that readers look at (".xml.gz", ".tsv"), from a
// fixed list; "" otherwise. Uploads are stored as input/<field><extension>.
std::string safe_extension(const std::string& filename);

// An uploaded file's name for display: its last path component, printable, ≤ 200 bytes.
std::string display_name(const std::string& filename);

// One line on stderr with a time stamp.
void log_line(const std::string& text);

}  // namespace fluxion::service
