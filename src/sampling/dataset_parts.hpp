// The part files of dataset generation (dataset_parts.cpp): a dataset directory holds its
// rows in parts while they are made, each written whole (under a temporary name, then
// renamed) with a checksum, so that a stopped run resumes from the parts on disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fluxion/sampling/dataset.hpp"

namespace fluxion::sampling::detail {

// SplitMix64's finaliser: the counter-based draws and the parts' checksum mix with it
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

struct Part {
  long index = 0;
  std::vector<std::uint64_t> draw;
  std::vector<double> free, full, mids;  // row-major; mids already rounded to the precision
  double dmax = 0;                       // density acceptance: largest distance between kept rows so far
  std::uint64_t draws_after = 0;         // the sampler's draw count after the part's last row
  long rows() const { return static_cast<long>(draw.size()); }
};

// Scratch memory reused from part to part: fresh multi-megabyte buffers per part cost
// more in page faults than the writing itself.
struct PartBuffers {
  std::vector<unsigned char> bytes;
  std::vector<float> floats;
};

// "part-000012.bin"
std::string part_name(long index);

// Writes under a temporary name and renames: a part on disk is always whole. The error, if any.
std::optional<std::string> write_part(const std::filesystem::path& path, const Part& part, MidPrecision precision, PartBuffers& buffers);

// Reads a part of rows of these widths; false with `why` when it is truncated, of another
// dataset or fails its checksum.
bool read_part(const std::filesystem::path& path, std::size_t n_free, std::size_t n_full, std::size_t n_mids, MidPrecision precision, Part& p,
               PartBuffers& buffers, std::string& why);

}  // namespace fluxion::sampling::detail
