#include "fluxion/io/run_info.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fluxion/core/version.hpp"
#include "text.hpp"

namespace fluxion::io {

namespace {

// Feeds `read(buffer, size) -> bytes` into SHA-256; lower-case hex, empty on failure.
template <class Read>
std::string sha256_stream(Read read) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return {};
  }
  char buf[1 << 16];
  for (std::size_t n; (n = read(buf, sizeof buf)) > 0;) EVP_DigestUpdate(ctx, buf, n);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  char two[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(two, sizeof two, "%02x", digest[i]);
    hex += two;
  }
  return hex;
}

}  // namespace

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return sha256_stream([&](char* buf, std::size_t size) {
    in.read(buf, static_cast<std::streamsize>(size));
    return static_cast<std::size_t>(in.gcount());
  });
}

std::string sha256_text(std::string_view text) {
  std::size_t at = 0;
  return sha256_stream([&](char* buf, std::size_t size) {
    const std::size_t n = std::min(size, text.size() - at);
    std::memcpy(buf, text.data() + at, n);
    at += n;
    return n;
  });
}

Result<bool> write_output_file(const std::string& path, const std::string& content) {
  std::string error;
  if (!detail::write_file(path, content, error)) return Result<bool>::failure({Diagnostic{Severity::error, path, 0, 0, {}, error}});
  return Result<bool>::success(true);
}

Result<bool> make_output_directory(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(path, ec) && !fs::is_directory(path, ec))
    return Result<bool>::failure({Diagnostic{Severity::error, path, 0, 0, {}, "exists and is not a directory"}});
  fs::create_directories(path, ec);
  if (ec) return Result<bool>::failure({Diagnostic{Severity::error, path, 0, 0, {}, "cannot create the directory: " + ec.message()}});
  return Result<bool>::success(true);
}

Result<std::vector<std::string>> write_output_files(const std::string& directory, const std::vector<std::pair<std::string, std::string>>& files) {
  using Paths = Result<std::vector<std::string>>;
  if (auto made = make_output_directory(directory); !made) return Paths::failure(made.diagnostics());
  std::vector<std::string> written;
  for (const auto& [name, content] : files) {
    std::string path = directory + "/" + name;
    if (auto w = write_output_file(path, content); !w) return Paths::failure(w.diagnostics());
    written.push_back(std::move(path));
  }
  return Paths::success(std::move(written));
}

RunInfo::RunInfo(std::vector<std::string> command_line)
    : command_line_(std::move(command_line)),
      started_(std::chrono::system_clock::now()),
      start_tick_(std::chrono::steady_clock::now()) {}

void RunInfo::add_input(const std::string& role, const std::string& path_or_name) {
  std::map<std::string, std::string> in{{"role", role}, {"path", path_or_name}};
  std::error_code ec;
  if (std::filesystem::is_regular_file(path_or_name, ec)) {
    in["bytes"] = std::to_string(std::filesystem::file_size(path_or_name, ec));
    in["sha256"] = sha256_file(path_or_name);
  } else if (std::filesystem::is_directory(path_or_name, ec)) {
    // a directory input (a 10x matrix): the hash of its files' names and hashes, in order
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(path_or_name, ec))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::string listing;
    for (const auto& f : files) listing += f.filename().string() + ' ' + sha256_file(f.string()) + '\n';
    in["directory"] = "true";
    in["files"] = std::to_string(files.size());
    in["sha256"] = sha256_text(listing);
  } else {
    in["builtin"] = "true";
  }
  inputs_.push_back(std::move(in));
}

void RunInfo::set(const std::string& key, const std::string& value) { values_.emplace_back(key, value); }
void RunInfo::add_output(const std::string& path) { outputs_.push_back(path); }
void RunInfo::add_timing(const std::string& phase, double seconds) { timings_.emplace_back(phase, seconds); }

Result<bool> RunInfo::write(const std::string& directory) const {
  using nlohmann::json;
  json j;
  j["fluxion_version"] = std::string(version());
  j["git_commit"] = std::string(git_hash());
  j["command"] = command_line_;
  const std::time_t t = std::chrono::system_clock::to_time_t(started_);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  j["started_utc"] = when;
  json inputs = json::array();
  for (const auto& in : inputs_) {
    json x = json::object();
    for (const auto& [k, v] : in) {
      if (k == "bytes") x[k] = std::stoll(v);
      else if (k == "builtin") x[k] = true;
      else x[k] = v;
    }
    inputs.push_back(std::move(x));
  }
  j["inputs"] = std::move(inputs);
  json settings = json::object();
  for (const auto& [k, v] : values_) settings[k] = v;
  j["settings"] = std::move(settings);
  j["outputs"] = outputs_;
  json timings = json::object();
  for (const auto& [k, v] : timings_) timings[k + "_s"] = v;
  timings["total_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_tick_).count();
  j["timings"] = std::move(timings);
  std::string error;
  if (!detail::write_file(directory + "/run_info.json", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", error))
    return Result<bool>::failure({Diagnostic{Severity::error, directory + "/run_info.json", 0, 0, {}, error}});
  return Result<bool>::success(true);
}

}  // namespace fluxion::io
