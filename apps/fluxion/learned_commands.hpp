// The commands that need LibTorch (the learned engines: ML-Flux, scFEA, the dynamics, FBApro
// on a LibTorch device, and the web app, which declares every command). They run in `fluxion-learn`; `fluxion` itself loads no
// LibTorch (it cost 0.45–0.8 s and 166 MB at every start) and hands these commands, with the
// same arguments, to `fluxion-learn` beside it.
#pragma once

#include <string_view>

namespace fluxion::cli {

struct LearnedCommand {
  const char* name;
  const char* description;
};

inline constexpr LearnedCommand kLearnedCommands[] = {
    {"train", "Train an ML-Flux flux predictor (MIDs -> free fluxes) on a dataset"},
    {"predict", "Predict fluxes, ΔG and standard errors from measured MIDs (ML-Flux), for any subset of metabolites and experiments"},
    {"score",
     "Score a predictor package on a dataset's held-out rows: per flux MAE, bias and share within tolerance, beside the training mean's, the skill, "
     "identifiability, and the ML-Flux paper's metrics"},
    {"import-keras", "Make a predictor package from a Keras flux network (ML-Flux's published Simple, UpperGly and Glycolysis ANNs)"},
    {"ensemble", "Join predictor packages trained on one dataset into one that predicts their mean, with error tables from the dataset's test rows"},
    {"scflux", "Per-cell module fluxes and metabolite balances from gene expression (scFEA)"},
    {"dynamics", "Expression, flux and balance distributions over time and under knockouts (NP, NODEP, SNODEP)"},
    // the web app checks every command's arguments with its declarations, learned ones too
    {"serve", "The web app: upload data, run analyses as jobs, follow them, read and download results"},
    {"worker", "Run queued web jobs from a shared job store (PostgreSQL) and data directory, on this host"},
    {"options", "Print every command's options as Markdown (docs/options.md)"},
};

inline const char* learned_description(std::string_view name) {
  for (const auto& c : kLearnedCommands)
    if (name == c.name) return c.description;
  return "";
}

// The name of the executable that runs the learned commands, beside `fluxion`.
inline constexpr const char* kLearnExecutable = "fluxion-learn";

}  // namespace fluxion::cli
