// Helpers shared by the HTTP API and the workers.
#pragma once

#include <filesystem>
#include <string>

namespace fluxion::service {

// <data>/jobs/<id>; the id is checked (is_job_id) before it gets here.
inline std::filesystem::path job_directory(const std::string& data_dir, const std::string& id) {
  return std::filesystem::path(data_dir) / "jobs" / id;
}

// One line on stderr with a time stamp.
void log_line(const std::string& text);

}  // namespace fluxion::service
