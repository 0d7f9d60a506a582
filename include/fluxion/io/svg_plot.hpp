// Small self-contained SVG charts for result directories (loss curves and the like):
// no script, no external font or stylesheet, readable in any browser.
#pragma once

#include <string>
#include <vector>

namespace fluxion::io {

struct PlotSeries {
  std::string name;
  std::vector<double> y;  // one value per x; non-finite values (and ≤ 0 on a log axis) are gaps
};

// A line chart of series against x. `log_y`: base-10 logarithmic y axis.
std::string line_chart_svg(const std::string& title, const std::string& x_label, const std::string& y_label, const std::vector<double>& x,
                           const std::vector<PlotSeries>& series, bool log_y);

// A heat map: rows × columns of values on a diverging colour scale symmetric about 0 (blue
// below, red above; |value| ≥ `limit` saturates), with row and column labels, a legend, and
// per cell a tooltip (`tips`, row-major; may be empty) and a mark where `marked` (row-major;
// may be empty).
std::string heatmap_svg(const std::string& title, const std::vector<std::string>& rows, const std::vector<std::string>& columns,
                        const std::vector<double>& values, double limit, const std::string& legend, const std::vector<std::string>& tips,
                        const std::vector<char>& marked, const std::string& mark_meaning);

struct ScatterPoint {
  double x = 0, y = 0;
  std::size_t series = 0;  // colour: index into the series names
  std::string label;       // drawn beside the point when non-empty
  std::string tip;         // tooltip
};

// A scatter plot (a volcano plot: effect against −log10 q) with a dashed horizontal line at
// `line_y` (not drawn when not finite) labelled `line_label`, and a legend of the series.
std::string scatter_svg(const std::string& title, const std::string& x_label, const std::string& y_label, const std::vector<ScatterPoint>& points,
                        const std::vector<std::string>& series, double line_y, const std::string& line_label);

}  // namespace fluxion::io
