// Fuzz target: a Keras architecture JSON must never crash the reader; the weights are the
// authors' toy network (tests/data/mlflux/Simple_ANN.h5), so layer names and shapes that
// parse are checked against a real file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "fluxion/learn/keras_import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = (std::filesystem::temp_directory_path() / ("fluxion_fuzz_keras_" + std::to_string(::getpid()) + ".json")).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto net = fluxion::learn::read_keras_dense(path, std::string(FLUXION_SOURCE_DIR) + "/tests/data/mlflux/Simple_ANN.h5");
  if (net.ok() && net.value().weights.size() != net.value().biases.size()) __builtin_trap();
  return 0;
}
