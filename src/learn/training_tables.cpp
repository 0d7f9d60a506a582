// The tables a training run writes beside its package (loss.tsv, test_errors.tsv,
// error_tables.tsv, vssr_acceptance.tsv, pcnn_loss.tsv, fine_tune_loss.tsv).
#include <cmath>

#include "fluxion/core/format.hpp"
#include "fluxion/learn/flux_predictor.hpp"
#include "fluxion/learn/pcnn.hpp"
#include "fluxion/learn/prediction.hpp"

namespace fluxion::learn {

namespace {

std::string na(double v) { return std::isfinite(v) ? format_number(v) : std::string("NA"); }

std::string epochs_tsv(const std::string& header, const std::vector<double>& train, const std::vector<double>& validation) {
  std::string out = header;
  for (std::size_t e = 0; e < train.size(); ++e) out += std::to_string(e + 1) + '\t' + format_number(train[e]) + '\t' + format_number(validation[e]) + '\n';
  return out;
}

std::string level_prefix(const ErrorLevel& l) {
  return l.imputer + '\t' + format_number(l.masked_from) + '\t' + format_number(l.masked_to) + '\t' + std::to_string(l.rows) + '\t';
}

}  // namespace

std::string TrainingHistory::loss_tsv() const { return epochs_tsv("epoch\ttrain_mae\tvalidation_mae\n", train_loss, validation_loss); }

std::string TrainingHistory::fine_tune_tsv() const {
  if (fine_tune_validation_loss.empty()) return {};
  std::string out = "epoch\ttrain_loss\tvalidation_loss\n0\tNA\t" + format_number(fine_tune_start_validation) + '\n';
  for (std::size_t e = 0; e < fine_tune_train_loss.size(); ++e)
    out += std::to_string(e + 1) + '\t' + format_number(fine_tune_train_loss[e]) + '\t' + format_number(fine_tune_validation_loss[e]) + '\n';
  return out;
}

double TestErrors::mean_mae() const {
  double sum = 0;
  for (double v : mae) sum += v / static_cast<double>(columns.size());
  return sum;
}

double TestErrors::mean_trivial_mae() const {
  double sum = 0;
  for (double v : trivial_mae) sum += v / static_cast<double>(columns.size());
  return sum;
}

std::string TestErrors::tsv() const {
  std::string out = "flux\tmae\thalf_width_68\ttrivial_mae\ttrivial_half_width_68\tskill\n";
  for (std::size_t j = 0; j < columns.size(); ++j)
    out += columns[j] + '\t' + format_number(mae[j]) + '\t' + format_number(half_width_68[j]) + '\t' + format_number(trivial_mae[j]) + '\t' +
           format_number(trivial_half_width_68[j]) + '\t' + na(trivial_mae[j] > 0 ? 1 - mae[j] / trivial_mae[j] : NAN) + '\n';
  return out;
}

std::string ErrorTables::levels_tsv() const {
  std::string out = "imputer\tmasked_from\tmasked_to\trows\tflux\tse\tmae\twithin_0.05\twithin_5_percent\tskill\n";
  for (const auto& l : levels) {
    for (std::size_t j = 0; j < columns.size(); ++j)
      out += level_prefix(l) + columns[j] + '\t' + na(l.half_width_68[j]) + '\t' + na(l.mae[j]) + '\t' + na(l.within_abs[j]) + '\t' + na(l.within_rel[j]) +
             '\t' + na(skill(l, j)) + '\n';
    for (std::size_t j = 0; j < dg_reactions.size(); ++j)
      out += level_prefix(l) + "dG:" + dg_reactions[j] + '\t' + na(l.dg_half_width_68[j]) + '\t' + na(l.dg_mae[j]) + '\t' + na(l.dg_within_1kj[j]) + "\tNA\tNA\n";
  }
  return out;
}

std::string ErrorTables::acceptance_tsv() const {
  std::string out = "imputer\tmasked_from\tmasked_to\trows\tvssr_acceptance\n";
  for (const auto& l : levels) out += level_prefix(l) + format_number(l.vssr_acceptance) + '\n';
  return out;
}

std::string PcnnHistory::loss_tsv() const { return epochs_tsv("epoch\ttrain_mae_missing\tvalidation_mae_missing\n", train_loss, validation_loss); }

}  // namespace fluxion::learn
