// Flux sets drawn into samples.tsv (sampling/flux_samples.hpp).
#include "fluxion/sampling/flux_samples.hpp"

#include "fluxion/core/format.hpp"

namespace fluxion::sampling {

FluxSamples draw_flux_samples(FluxSetSampler& s, const FluxSpace& fs, long count) {
  FluxSamples out;
  std::string& t = out.tsv;
  t = "sample";
  for (Eigen::Index c = 0; c < fs.n_reactions(); ++c) t += "\tnet:" + fs.column_ids()[static_cast<std::size_t>(c)];
  for (Eigen::Index c : fs.exchange_columns()) t += "\txch:" + fs.column_ids()[static_cast<std::size_t>(c)];
  t += '\n';
  FluxVector v;
  for (long k = 0; k < count; ++k) {
    if (!s.next(v)) {
      out.failed = !s.stream_ended();
      out.stopped = s.message();
      break;
    }
    t += std::to_string(k + 1);
    for (Eigen::Index c = 0; c < fs.n_reactions(); ++c) t += '\t' + format_number(v.net(c));
    for (Eigen::Index c : fs.exchange_columns()) t += '\t' + format_number(v.exchange(c));
    t += '\n';
    out.count = k + 1;
  }
  return out;
}

}  // namespace fluxion::sampling
