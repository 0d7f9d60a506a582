// Imputation accuracy of a predictor package on a dataset's test rows (ML-Flux Fig. 3b:
// KNN MAE below 0.01 for the glycolysis models, PCNN below 0.02). Masks as in ML-Flux's
// training (scratchmat.m): E random experiments kept, each metabolite with probability
// 0.5. Reports the MAE over the missing entries for the mean training pattern, KNN with
// the package's reference patterns, KNN with every training row, and the PCNN.
//   usage: eval_imputation PACKAGE DATASET_DIR [ROWS=1000] [EXPERIMENTS=1] [SEED=1]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/prediction.hpp"

using namespace fluxion;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s PACKAGE DATASET_DIR [ROWS=1000] [EXPERIMENTS=1] [SEED=1]\n", argv[0]);
    return 2;
  }
  const long rows = argc > 3 ? std::atol(argv[3]) : 1000;
  const int experiments = argc > 4 ? std::atoi(argv[4]) : 1;
  const std::uint64_t seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 1;
  auto package = learn::FluxPredictor::load(argv[1]);
  if (!package) {
    std::fprintf(stderr, "%s\n", package.message().c_str());
    return 2;
  }
  std::string file = argv[2];
  if (std::filesystem::is_directory(file)) file += "/dataset.h5";
  auto data = sampling::read_dataset(file, {.mids_float32 = true});
  if (!data) {
    std::fprintf(stderr, "%s\n", data.message().c_str());
    return 2;
  }
  const sampling::DatasetContents& d = data.value();
  const sampling::MidLayout layout = sampling::MidLayout::from_json(package.value().manifest().at("dataset").at("settings").at("layout"));
  const std::vector<bool> pad = learn::padding_entries(layout);
  learn::MidMatrix all(static_cast<Eigen::Index>(d.train.size()), d.n_inputs());
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(d.n_inputs());
  for (std::size_t i = 0; i < d.train.size(); ++i) {
    all.row(static_cast<Eigen::Index>(i)) = d.mids32.row(static_cast<Eigen::Index>(d.train[i]));
    mean += all.row(static_cast<Eigen::Index>(i)).cast<double>().transpose() / static_cast<double>(d.train.size());
  }
  const int k = package.value().manifest().value("/knn/k"_json_pointer, 3);
  std::optional<learn::KnnImputer> knn_package, knn_all(std::in_place, layout, all, k);
  if (package.value().knn_reference().rows() > 0) knn_package.emplace(layout, package.value().knn_reference(), k);
  const learn::PcnnImputer* pcnn = package.value().pcnn();

  std::mt19937_64 rng(seed);
  double e_mean = 0, e_pkg = 0, e_all = 0, e_pcnn = 0, masked = 0;
  long n = 0;
  const long count = std::min<long>(rows, static_cast<long>(d.test.size()));
  for (long r = 0; r < count; ++r) {
    const Eigen::VectorXd truth = d.mid_rows({d.test[static_cast<std::size_t>(r)]}).row(0).transpose();
    const auto known = learn::random_mask(layout, experiments, 0.5, rng);
    Eigen::VectorXd given = truth;
    long missing = 0, total = 0;
    for (std::size_t i = 0; i < known.size(); ++i) {
      if (!known[i]) given(static_cast<Eigen::Index>(i)) = 0;
      if (!pad[i]) {
        ++total;
        missing += !known[i];
      }
    }
    masked += static_cast<double>(missing) / static_cast<double>(total) / static_cast<double>(count);
    const Eigen::VectorXd a = knn_all->impute(given, known).values;
    const Eigen::VectorXd b = knn_package ? knn_package->impute(given, known).values : a;
    const Eigen::VectorXd c = pcnn ? pcnn->impute(given, known).values : a;
    for (std::size_t i = 0; i < known.size(); ++i) {
      if (known[i] || pad[i]) continue;
      const auto j = static_cast<Eigen::Index>(i);
      e_mean += std::fabs(mean(j) - truth(j));
      e_all += std::fabs(a(j) - truth(j));
      e_pkg += std::fabs(b(j) - truth(j));
      e_pcnn += std::fabs(c(j) - truth(j));
      ++n;
    }
  }
  const double dn = static_cast<double>(std::max(1L, n));
  std::printf("test rows\t%ld\nexperiments kept\t%d\nmasked share\t%.3f\nmissing entries\t%ld\n", count, experiments, masked, n);
  std::printf("mae_mean_pattern\t%.5f\n", e_mean / dn);
  std::printf("mae_knn_package\t%.5f\t(%ld reference patterns)\n", knn_package ? e_pkg / dn : NAN, static_cast<long>(package.value().knn_reference().rows()));
  std::printf("mae_knn_all_training\t%.5f\t(%zu reference patterns)\n", e_all / dn, d.train.size());
  std::printf("mae_pcnn\t%.5f\n", pcnn ? e_pcnn / dn : NAN);
  return 0;
}
