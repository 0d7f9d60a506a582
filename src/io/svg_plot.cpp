#include "fluxion/io/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace fluxion::io {

namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// about n round tick values covering [lo, hi]
std::vector<double> ticks(double lo, double hi, int n) {
  std::vector<double> out;
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

}  // namespace

std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label, const std::vector<double>& x,
                           const std::vector<PlotSeries>& series, bool log_y) {
  const double width = 720, height = 420, left = 80, right = 170, top = 40, bottom = 56;
  const double pw = width - left - right, ph = height - top - bottom;
  static const char* colours[] = {"#1f4e79", "#c0504d", "#4f8f3a", "#8064a2", "#d08a00", "#4a9bb0", "#7f7f7f"};
  auto ty = [&](double v) { return log_y ? std::log10(v) : v; };
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = xlo, yhi = -xlo;
  for (double v : x) xlo = std::min(xlo, v), xhi = std::max(xhi, v);
  for (const auto& s : series)
    for (double v : s.y)
      if (std::isfinite(v) && (!log_y || v > 0)) ylo = std::min(ylo, ty(v)), yhi = std::max(yhi, ty(v));
  if (!std::isfinite(xlo)) xlo = 0, xhi = 1;
  if (!std::isfinite(ylo)) ylo = 0, yhi = 1;
  if (xhi == xlo) xhi = xlo + 1;
  if (yhi == ylo) yhi = ylo + 1;
  const double pad = (yhi - ylo) * 0.05;
  ylo -= pad;
  yhi += pad;
  auto px = [&](double v) { return left + (v - xlo) / (xhi - xlo) * pw; };
  auto py = [&](double v) { return top + (1.0 - (v - ylo) / (yhi - ylo)) * ph; };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(width) + "\" height=\"" + fmt(height) + "\" viewBox=\"0 0 " +
                    fmt(width) + " " + fmt(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + escape(title) + "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + fmt(left) + "\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" + escape(title) + "</text>\n";
  // axes, grid and ticks
  svg += "<rect x=\"" + fmt(left) + "\" y=\"" + fmt(top) + "\" width=\"" + fmt(pw) + "\" height=\"" + fmt(ph) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (double t : ticks(xlo, xhi, 6)) {
    svg += "<line x1=\"" + fmt(px(t)) + "\" y1=\"" + fmt(top + ph) + "\" x2=\"" + fmt(px(t)) + "\" y2=\"" + fmt(top + ph + 5) + "\" stroke=\"#444\"/>";
    svg += "<text x=\"" + fmt(px(t)) + "\" y=\"" + fmt(top + ph + 18) + "\" text-anchor=\"middle\">" + fmt(t) + "</text>\n";
  }
  for (double t : ticks(ylo, yhi, 6)) {
    svg += "<line x1=\"" + fmt(left) + "\" y1=\"" + fmt(py(t)) + "\" x2=\"" + fmt(left + pw) + "\" y2=\"" + fmt(py(t)) + "\" stroke=\"#ddd\"/>";
    svg += "<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(py(t) + 4) + "\" text-anchor=\"end\">" + (log_y ? fmt(std::pow(10.0, t)) : fmt(t)) + "</text>\n";
  }
  svg += "<text x=\"" + fmt(left + pw / 2) + "\" y=\"" + fmt(height - 14) + "\" text-anchor=\"middle\">" + escape(x_label) + "</text>\n";
  svg += "<text transform=\"translate(18 " + fmt(top + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + escape(y_label) +
         (log_y ? " (log scale)" : "") + "</text>\n";
  for (std::size_t s = 0; s < series.size(); ++s) {
    const char* colour = colours[s % (sizeof colours / sizeof *colours)];
    std::string path;
    bool pen = false;
    for (std::size_t i = 0; i < x.size() && i < series[s].y.size(); ++i) {
      const double v = series[s].y[i];
      if (!std::isfinite(v) || (log_y && v <= 0)) {
        pen = false;
        continue;
      }
      path += (pen ? " L" : " M") + fmt(px(x[i])) + " " + fmt(py(ty(v)));
      pen = true;
    }
    if (!path.empty()) svg += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"1.8\"/>\n";
    const double ly = top + 14 + 20 * static_cast<double>(s);
    svg += "<line x1=\"" + fmt(left + pw + 14) + "\" y1=\"" + fmt(ly - 4) + "\" x2=\"" + fmt(left + pw + 38) + "\" y2=\"" + fmt(ly - 4) +
           "\" stroke=\"" + colour + "\" stroke-width=\"2.5\"/>";
    svg += "<text x=\"" + fmt(left + pw + 44) + "\" y=\"" + fmt(ly) + "\">" + escape(series[s].name) + "</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace fluxion::io
