// A progress line for long work, on stderr: done / total, percent, rate and ETA.
// On a terminal it redraws one line at most four times a second; otherwise (a log
// file, CI) it prints a plain line every `log_interval` seconds, so logs stay short.
// When the environment names a file in FLUXION_PROGRESS_FILE (the web service's workers do),
// the bar also rewrites that file — "done total unit label" — at most twice a second,
// whether or not it draws on stderr.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace fluxion {

class ProgressBar {
 public:
  // `total` 0: unknown (no percent, no ETA). `unit`: what is counted ("rows").
  ProgressBar(std::string label, long total, std::string unit, bool enabled = true, double log_interval = 10.0);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void set_total(long total) { total_ = total; }
  // Work done so far; `skipped` of it was not done now (resumed), so it does not count
  // towards the rate.
  void update(long done, long skipped = 0);
  void finish();  // the final line (once)

  // "1:02:03", "4:05", "0:07"
  static std::string format_duration(double seconds);

 private:
  std::string label_, unit_;
  long total_ = 0, done_ = 0, skipped_ = 0;
  bool enabled_, tty_, finished_ = false;
  double log_interval_;
  std::chrono::steady_clock::time_point start_, last_draw_, last_file_;
  std::string progress_file_;
  void draw(bool final);
  void write_file();
};

}  // namespace fluxion
