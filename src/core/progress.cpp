#include "fluxion/core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace fluxion {

namespace {

std::string grouped(long n) {  // 117077 -> "117,077"
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, long total, std::string unit, bool enabled, double log_interval)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      tty_(enabled && isatty(STDERR_FILENO) == 1),
      log_interval_(log_interval),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      last_file_(start_) {
  if (const char* f = std::getenv("FLUXION_PROGRESS_FILE")) progress_file_ = f;
  if (!progress_file_.empty()) write_file();
}

void ProgressBar::write_file() {
  // written whole to a sibling and renamed, so a reader never sees half a line
  const std::string tmp = progress_file_ + ".tmp";
  if (FILE* f = std::fopen(tmp.c_str(), "w")) {
    std::fprintf(f, "%ld %ld %s %s\n", done_, total_, unit_.c_str(), label_.c_str());
    const bool ok = std::fclose(f) == 0;
    if (ok) std::rename(tmp.c_str(), progress_file_.c_str());
  }
}

ProgressBar::~ProgressBar() { finish(); }

std::string ProgressBar::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds), h = s / 3600, m = (s / 60) % 60, r = s % 60;
  char buffer[32];
  if (h > 0) std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", h, m, r);
  else std::snprintf(buffer, sizeof buffer, "%ld:%02ld", m, r);
  return buffer;
}

void ProgressBar::update(long done, long skipped) {
  done_ = done;
  skipped_ = skipped;
  if (finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!progress_file_.empty() && std::chrono::duration<double>(now - last_file_).count() >= 0.5) {
    last_file_ = now;
    write_file();
  }
  if (!enabled_) return;
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (since < (tty_ ? 0.25 : log_interval_)) return;
  last_draw_ = now;
  draw(false);
}

void ProgressBar::finish() {
  if (finished_) return;
  if (!progress_file_.empty()) write_file();
  if (!enabled_) return;
  finished_ = true;
  draw(true);
}

void ProgressBar::draw(bool final) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - skipped_) / elapsed : 0.0;
  std::string line = label_ + " ";
  if (total_ > 0) {
    const double f = std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
    if (tty_) {
      const int width = 24, filled = static_cast<int>(f * width);
      line += '[' + std::string(static_cast<std::size_t>(filled), '=') + (filled < width ? ">" : "") +
              std::string(static_cast<std::size_t>(std::max(0, width - filled - 1)), ' ') + "] ";
    }
    char pct[16];
    std::snprintf(pct, sizeof pct, "%5.1f%%", 100.0 * f);
    line += grouped(done_) + "/" + grouped(total_) + " " + unit_ + " " + pct;
  } else {
    line += grouped(done_) + " " + unit_;
  }
  if (rate >= 100) {
    line += " · " + grouped(std::lround(rate)) + " " + unit_ + "/s";
  } else {
    char r[48];
    std::snprintf(r, sizeof r, " · %.3g %s/s", rate, unit_.c_str());
    line += r;
  }
  if (final) line += " · " + format_duration(elapsed);
  else if (total_ > 0 && rate > 0) line += " · ETA " + format_duration(static_cast<double>(total_ - done_) / rate);
  if (tty_) std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  else std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace fluxion
