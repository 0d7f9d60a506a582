// Results written into a copy of an AnnData .h5ad file, where scanpy users look for them:
// data frames in obsm (cells × columns, the obs index as theirs) and a dict in uns (data
// frames, strings, string arrays, a dict of strings), in AnnData's on-disk encoding
// (encoding-type / encoding-version attributes, 0.8 and later), which anndata.read_h5ad
// reads back as DataFrames, str, numpy arrays and dicts.
//
// The copy is written beside the output and renamed over it when complete: an interrupted
// write leaves no half-written file, and the input is never opened for writing.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fluxion/core/diagnostics.hpp"

namespace fluxion::io {

struct H5adColumn {
  std::string name;
  std::vector<double> numbers;       // a numeric column (float64), or
  std::vector<long long> integers;   // an integer column (int64), or
  std::vector<std::string> strings;  // a string column
  bool is_integer = false, is_string = false;
};

struct H5adFrame {
  std::string index_name = "_index";
  std::vector<std::string> index;
  std::vector<H5adColumn> columns;
};

struct H5adUnsEntry {
  std::string key;
  enum class Kind { string, strings, frame, dict } kind = Kind::string;
  std::string text;
  std::vector<std::string> strings;
  H5adFrame frame;
  std::vector<std::pair<std::string, std::string>> dict;
};

struct H5adAdditions {
  std::vector<std::pair<std::string, H5adFrame>> obsm;  // index: written as the obs names
  std::string uns_key;                                    // uns[uns_key] = {entries}
  std::vector<H5adUnsEntry> uns;
};

// The name a column or key gets in the file: HDF5 names cannot hold '/', which becomes
// '∕' (U+2215); "." and "" become "_".
std::string h5ad_name(const std::string& name);

// Copies `input` (an .h5ad) to `output` and adds the frames and the uns dict, replacing
// entries of the same names. Errors: the input is not an AnnData file with an obs group,
// its obs count differs from a frame's rows, the output is the input, cannot be written.
Result<bool> write_h5ad_copy(const std::string& input, const std::string& output, const H5adAdditions& additions);

}  // namespace fluxion::io
