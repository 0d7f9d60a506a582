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

}  // namespace fluxion::io
