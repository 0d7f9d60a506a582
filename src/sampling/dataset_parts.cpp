// Part files of dataset generation (dataset_parts.hpp): a header, the rows, a checksum.
#include "dataset_parts.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>

namespace fluxion::sampling::detail {

namespace fs = std::filesystem;


namespace {

constexpr char kPartMagic[8] = {'F', 'L', 'X', 'P', 'A', 'R', 'T', '1'};


struct PartHeader {
  char magic[8];
  std::uint64_t index, rows, n_free, n_full, n_mids, mid_bytes;
  double dmax;
  std::uint64_t draws_after;
};

// Detects truncation and corruption of a part (not tampering): four independent
// multiply-xor lanes over 8-byte words, finished with SplitMix64; several GB/s.
std::uint64_t checksum(const unsigned char* p, std::size_t n, std::uint64_t seed) {
  constexpr std::uint64_t k = 0x9fb21c651e98df25ULL;
  std::uint64_t lane[4] = {seed, seed ^ 1, seed ^ 2, seed ^ 3};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int j = 0; j < 4; ++j) {
      std::uint64_t w;
      std::memcpy(&w, p + i + 8 * static_cast<std::size_t>(j), 8);
      lane[j] = (lane[j] ^ w) * k;
      lane[j] ^= lane[j] >> 29;
    }
  std::uint64_t h = mix64(lane[0]) ^ mix64(lane[1] + 1) ^ mix64(lane[2] + 2) ^ mix64(lane[3] + 3);
  for (; i < n; ++i) h = mix64(h ^ p[i]);
  return mix64(h ^ n);
}


// resize and memcpy rather than insert: GCC 12 warns (-Warray-bounds, -Wstringop-overflow)
// about vector::insert of a struct's bytes when the code is position-independent
template <class T>
void append_bytes(std::vector<unsigned char>& out, const T* data, std::size_t n) {
  const std::size_t at = out.size(), size = n * sizeof(T);
  if (size == 0) return;
  out.resize(at + size);
  std::memcpy(out.data() + at, data, size);
}

}  // namespace

std::string part_name(long index) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "part-%08ld.bin", index);
  return buffer;
}

// Writes under a temporary name and renames: a part on disk is always whole.
std::optional<std::string> write_part(const fs::path& path, const Part& part, MidPrecision precision, PartBuffers& buffers) {
  std::vector<unsigned char>& bytes = buffers.bytes;
  bytes.clear();
  PartHeader h{};
  std::memcpy(h.magic, kPartMagic, 8);
  h.index = static_cast<std::uint64_t>(part.index);
  h.rows = static_cast<std::uint64_t>(part.rows());
  h.n_free = part.rows() ? part.free.size() / h.rows : 0;
  h.n_full = part.rows() ? part.full.size() / h.rows : 0;
  h.n_mids = part.rows() ? part.mids.size() / h.rows : 0;
  h.mid_bytes = precision == MidPrecision::float32 ? 4 : 8;
  h.dmax = part.dmax;
  h.draws_after = part.draws_after;
  append_bytes(bytes, &h, 1);
  append_bytes(bytes, part.draw.data(), part.draw.size());
  append_bytes(bytes, part.free.data(), part.free.size());
  append_bytes(bytes, part.full.data(), part.full.size());
  if (precision == MidPrecision::float32) {
    buffers.floats.assign(part.mids.begin(), part.mids.end());
    append_bytes(bytes, buffers.floats.data(), buffers.floats.size());
  } else {
    append_bytes(bytes, part.mids.data(), part.mids.size());
  }
  const std::uint64_t sum = checksum(bytes.data(), bytes.size(), 0x6a09e667f3bcc908ULL);
  append_bytes(bytes, &sum, 1);
  const fs::path tmp = path.string() + ".tmp";
  std::FILE* out = std::fopen(tmp.c_str(), "wb");
  if (!out) return "cannot create " + tmp.string() + ": " + std::strerror(errno);
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  if (std::fclose(out) != 0 || !written) return "cannot write " + tmp.string() + " (disk full?)";
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return "cannot rename " + tmp.string() + ": " + ec.message();
  return std::nullopt;
}

// Reads a part into `p`; false (with the reason) when it is not a whole part of this shape.
bool read_part(const fs::path& path, std::size_t n_free, std::size_t n_full, std::size_t n_mids, MidPrecision precision, Part& p,
               PartBuffers& buffers, std::string& why) {
  std::vector<unsigned char>& bytes = buffers.bytes;
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (!in) {
    why = "cannot be opened";
    return false;
  }
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  bytes.resize(ec ? 0 : size);
  const bool whole = !ec && std::fread(bytes.data(), 1, bytes.size(), in) == bytes.size();
  std::fclose(in);
  PartHeader h{};
  if (!whole || bytes.size() < sizeof h + 8) {
    why = "is truncated";
    return false;
  }
  std::memcpy(&h, bytes.data(), sizeof h);
  const std::size_t mb = precision == MidPrecision::float32 ? 4 : 8;
  if (std::memcmp(h.magic, kPartMagic, 8) != 0 || h.mid_bytes != mb || (h.rows > 0 && (h.n_free != n_free || h.n_full != n_full || h.n_mids != n_mids))) {
    why = "is not a part of this dataset (magic or shape differs)";
    return false;
  }
  const std::size_t expect = sizeof h + h.rows * (8 + 8 * n_free + 8 * n_full + mb * n_mids) + 8;
  if (bytes.size() != expect) {
    why = "has " + std::to_string(bytes.size()) + " bytes, not " + std::to_string(expect);
    return false;
  }
  std::uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (checksum(bytes.data(), bytes.size() - 8, 0x6a09e667f3bcc908ULL) != sum) {
    why = "fails its checksum";
    return false;
  }
  p.index = static_cast<long>(h.index);
  p.dmax = h.dmax;
  p.draws_after = h.draws_after;
  const unsigned char* at = bytes.data() + sizeof h;
  auto take = [&](auto& v, std::size_t n) {
    v.resize(n);
    std::memcpy(v.data(), at, n * sizeof(v[0]));
    at += n * sizeof(v[0]);
  };
  take(p.draw, h.rows);
  take(p.free, h.rows * n_free);
  take(p.full, h.rows * n_full);
  if (precision == MidPrecision::float32) {
    take(buffers.floats, h.rows * n_mids);
    p.mids.assign(buffers.floats.begin(), buffers.floats.end());
  } else {
    take(p.mids, h.rows * n_mids);
  }
  return true;
}

}  // namespace fluxion::sampling::detail
