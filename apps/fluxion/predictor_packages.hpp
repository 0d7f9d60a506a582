// Where the trained predictor packages of the built-in models are found: $FLUXION_PREDICTORS,
// then share/fluxion/predictors beside the installed binary, then models/predictors of
// the source tree the binary was built from.
#pragma once

#include <string>
#include <vector>

namespace fluxion::cli {

std::vector<std::string> predictor_directories();
// A package file for a path or a built-in name; empty when there is none.
std::string resolve_predictor(const std::string& name_or_path);
// The built-in names, comma-separated (or "none found").
std::string builtin_predictor_list();

}  // namespace fluxion::cli
