// The built-in models (models/*.tsv), compiled into the library by CMake.
#pragma once

#include <string_view>
#include <vector>

namespace fluxion::io::detail {

struct BuiltinModel {
  std::string_view name;  // file name without .tsv
  std::string_view text;  // reaction TSV
};

const std::vector<BuiltinModel>& builtin_models();
// Tracer experiments of built-in models (models/tracers/<model>.tsv), same shape.
const std::vector<BuiltinModel>& builtin_tracer_tables();
// Map layouts drawn by hand (models/maps/<model>.tsv, io/escher_map.hpp), same shape.
const std::vector<BuiltinModel>& builtin_map_layouts();

}  // namespace fluxion::io::detail
