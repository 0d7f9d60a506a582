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

namespace {

const char* kSeriesColours[] = {"#1f4e79", "#c0504d", "#4f8f3a", "#8064a2", "#d08a00", "#4a9bb0", "#7f7f7f", "#b5651d"};

// white at 0, #b2182b (red) at +1, #2166ac (blue) at −1
std::string diverging(double t) {
  t = std::clamp(t, -1.0, 1.0);
  const double r1 = t >= 0 ? 178 : 33, g1 = t >= 0 ? 24 : 102, b1 = t >= 0 ? 43 : 172, a = std::fabs(t);
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(255 + (r1 - 255) * a), static_cast<int>(255 + (g1 - 255) * a),
                static_cast<int>(255 + (b1 - 255) * a));
  return buf;
}

std::string svg_head(double width, double height, const std::string& title) {
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt(width) + "\" height=\"" + fmt(height) + "\" viewBox=\"0 0 " +
                    fmt(width) + " " + fmt(height) + "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<title>" + escape(title) + "</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  return svg;
}

}  // namespace

std::string heatmap_svg(const std::string& title, const std::vector<std::string>& rows, const std::vector<std::string>& columns,
                        const std::vector<double>& values, double limit, const std::string& legend, const std::vector<std::string>& tips,
                        const std::vector<char>& marked, const std::string& mark_meaning) {
  std::size_t longest = 0;
  for (const auto& r : rows) longest = std::max(longest, r.size());
  const double cell_w = 56, cell_h = 16, left = 24 + 7.4 * static_cast<double>(std::min<std::size_t>(longest, 48)), top = 110;
  std::size_t legend_chars = std::max(legend.size(), mark_meaning.size() + 4);
  const double width = left + cell_w * static_cast<double>(columns.size()) + 60 + 7.0 * static_cast<double>(legend_chars),
               height = std::max(top + cell_h * static_cast<double>(rows.size()) + 40, top + 200.0);
  if (!(limit > 0)) limit = 1;
  std::string svg = svg_head(width, height, title);
  svg += "<text x=\"12\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" + escape(title) + "</text>\n";
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const double x = left + cell_w * (static_cast<double>(c) + 0.5);
    svg += "<text transform=\"translate(" + fmt(x + 4) + " " + fmt(top - 6) + ") rotate(-45)\">" + escape(columns[c]) + "</text>\n";
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double y = top + cell_h * static_cast<double>(r);
    std::string label = rows[r].size() > 48 ? rows[r].substr(0, 47) + "…" : rows[r];
    svg += "<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(y + cell_h - 4) + "\" text-anchor=\"end\">" + escape(label) + "</text>\n";
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::size_t k = r * columns.size() + c;
      const double v = k < values.size() ? values[k] : std::numeric_limits<double>::quiet_NaN();
      const double x = left + cell_w * static_cast<double>(c);
      svg += "<rect x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" width=\"" + fmt(cell_w - 1) + "\" height=\"" + fmt(cell_h - 1) + "\" fill=\"" +
             (std::isfinite(v) ? diverging(v / limit) : std::string("#eeeeee")) + "\">";
      if (k < tips.size()) svg += "<title>" + escape(tips[k]) + "</title>";
      svg += "</rect>";
      if (k < marked.size() && marked[k]) svg += "<circle cx=\"" + fmt(x + cell_w / 2) + "\" cy=\"" + fmt(y + cell_h / 2 - 0.5) + "\" r=\"2.5\" fill=\"#222\"/>";
      svg += "\n";
    }
  }
  // legend: the colour scale from −limit to +limit, and the mark
  const double lx = left + cell_w * static_cast<double>(columns.size()) + 30, ly = top, lh = 120;
  svg += "<text x=\"" + fmt(lx) + "\" y=\"" + fmt(ly - 12) + "\">" + escape(legend) + "</text>\n";
  for (int i = 0; i < 24; ++i) {
    const double t = 1.0 - 2.0 * (i + 0.5) / 24.0;
    svg += "<rect x=\"" + fmt(lx) + "\" y=\"" + fmt(ly + lh * i / 24.0) + "\" width=\"16\" height=\"" + fmt(lh / 24.0 + 0.5) + "\" fill=\"" + diverging(t) + "\"/>";
  }
  svg += "<text x=\"" + fmt(lx + 22) + "\" y=\"" + fmt(ly + 9) + "\">+" + fmt(limit) + "</text>";
  svg += "<text x=\"" + fmt(lx + 22) + "\" y=\"" + fmt(ly + lh / 2 + 4) + "\">0</text>";
  svg += "<text x=\"" + fmt(lx + 22) + "\" y=\"" + fmt(ly + lh) + "\">−" + fmt(limit) + "</text>\n";
  if (!mark_meaning.empty())
    svg += "<circle cx=\"" + fmt(lx + 8) + "\" cy=\"" + fmt(ly + lh + 24) + "\" r=\"2.5\" fill=\"#222\"/><text x=\"" + fmt(lx + 22) + "\" y=\"" +
           fmt(ly + lh + 28) + "\">" + escape(mark_meaning) + "</text>\n";
  svg += "</svg>\n";
  return svg;
}

std::string scatter_svg(const std::string& title, const std::string& x_label, const std::string& y_label, const std::vector<ScatterPoint>& points,
                        const std::vector<std::string>& series, double line_y, const std::string& line_label) {
  const double width = 760, height = 480, left = 70, right = 180, top = 40, bottom = 56;
  const double pw = width - left - right, ph = height - top - bottom;
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo, ylo = 0, yhi = std::isfinite(line_y) ? line_y : 1;
  for (const auto& p : points)
    if (std::isfinite(p.x) && std::isfinite(p.y)) xlo = std::min(xlo, p.x), xhi = std::max(xhi, p.x), yhi = std::max(yhi, p.y);
  if (!std::isfinite(xlo)) xlo = -1, xhi = 1;
  const double xm = std::max({std::fabs(xlo), std::fabs(xhi), 1e-12});
  xlo = -xm * 1.05, xhi = xm * 1.05;  // symmetric about 0
  yhi *= 1.05;
  auto px = [&](double v) { return left + (v - xlo) / (xhi - xlo) * pw; };
  auto py = [&](double v) { return top + (1.0 - (v - ylo) / (yhi - ylo)) * ph; };
  std::string svg = svg_head(width, height, title);
  svg += "<text x=\"" + fmt(left) + "\" y=\"24\" font-size=\"15\" font-weight=\"bold\">" + escape(title) + "</text>\n";
  svg += "<rect x=\"" + fmt(left) + "\" y=\"" + fmt(top) + "\" width=\"" + fmt(pw) + "\" height=\"" + fmt(ph) + "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (double t : ticks(xlo, xhi, 6)) {
    svg += "<line x1=\"" + fmt(px(t)) + "\" y1=\"" + fmt(top) + "\" x2=\"" + fmt(px(t)) + "\" y2=\"" + fmt(top + ph) + "\" stroke=\"" +
           (t == 0 ? "#999" : "#eee") + "\"/>";
    svg += "<text x=\"" + fmt(px(t)) + "\" y=\"" + fmt(top + ph + 18) + "\" text-anchor=\"middle\">" + fmt(t) + "</text>\n";
  }
  for (double t : ticks(ylo, yhi, 6)) {
    svg += "<line x1=\"" + fmt(left) + "\" y1=\"" + fmt(py(t)) + "\" x2=\"" + fmt(left + pw) + "\" y2=\"" + fmt(py(t)) + "\" stroke=\"#eee\"/>";
    svg += "<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(py(t) + 4) + "\" text-anchor=\"end\">" + fmt(t) + "</text>\n";
  }
  svg += "<text x=\"" + fmt(left + pw / 2) + "\" y=\"" + fmt(height - 14) + "\" text-anchor=\"middle\">" + escape(x_label) + "</text>\n";
  svg += "<text transform=\"translate(18 " + fmt(top + ph / 2) + ") rotate(-90)\" text-anchor=\"middle\">" + escape(y_label) + "</text>\n";
  if (std::isfinite(line_y)) {
    svg += "<line x1=\"" + fmt(left) + "\" y1=\"" + fmt(py(line_y)) + "\" x2=\"" + fmt(left + pw) + "\" y2=\"" + fmt(py(line_y)) +
           "\" stroke=\"#c0504d\" stroke-dasharray=\"5 4\"/>";
    svg += "<text x=\"" + fmt(left + pw - 4) + "\" y=\"" + fmt(py(line_y) - 4) + "\" text-anchor=\"end\" fill=\"#c0504d\">" + escape(line_label) + "</text>\n";
  }
  struct Box {
    double x0, y0, x1, y1;
  };
  std::vector<Box> placed;  // labels drawn so far: a label that would overlap one is left out
  for (const auto& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) continue;
    const char* colour = kSeriesColours[p.series % (sizeof kSeriesColours / sizeof *kSeriesColours)];
    svg += "<circle cx=\"" + fmt(px(p.x)) + "\" cy=\"" + fmt(py(p.y)) + "\" r=\"3.2\" fill=\"" + colour + "\" fill-opacity=\"0.75\">";
    if (!p.tip.empty()) svg += "<title>" + escape(p.tip) + "</title>";
    svg += "</circle>";
    if (!p.label.empty()) {
      const double w = 5.6 * static_cast<double>(p.label.size()), cx = px(p.x), cy = py(p.y) - 4;
      bool right_side = cx + 5 + w <= left + pw;  // inside the plot, towards the middle when it would leave it
      if (p.x < 0 && cx - 5 - w >= left) right_side = false;
      const Box b{right_side ? cx + 5 : cx - 5 - w, cy - 10, right_side ? cx + 5 + w : cx - 5, cy + 2};
      const bool clash = std::any_of(placed.begin(), placed.end(), [&](const Box& o) { return b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1; });
      if (!clash) {
        placed.push_back(b);
        svg += "<text x=\"" + fmt(right_side ? cx + 5 : cx - 5) + "\" y=\"" + fmt(cy) + "\" font-size=\"10\" text-anchor=\"" + (right_side ? "start" : "end") +
               "\">" + escape(p.label) + "</text>";
      }
    }
    svg += "\n";
  }
  for (std::size_t s = 0; s < series.size(); ++s) {
    const char* colour = kSeriesColours[s % (sizeof kSeriesColours / sizeof *kSeriesColours)];
    const double ly = top + 14 + 20 * static_cast<double>(s);
    svg += "<circle cx=\"" + fmt(left + pw + 24) + "\" cy=\"" + fmt(ly - 4) + "\" r=\"4\" fill=\"" + colour + "\"/>";
    svg += "<text x=\"" + fmt(left + pw + 34) + "\" y=\"" + fmt(ly) + "\">" + escape(series[s]) + "</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace fluxion::io
