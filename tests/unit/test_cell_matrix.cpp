// Expression matrices in every layout: the same 3 cells × 4 genes written as a dense CSV,
// TSV, space-separated TXT (R's header without the corner), samples × genes, a 10x MEX
// directory, a 10x HDF5 file (Cell Ranger 3 and 2), and AnnData .h5ad files (dense X, CSR
// and CSC, legacy h5sparse attributes, fixed-length strings, a categorical var column, a
// layer and raw/X) must all read as the same matrix. Broken files say what is wrong.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "fluxion/io/cell_matrix.hpp"

using namespace fluxion;
namespace fs = std::filesystem;

namespace {

// cells c1..c3 × genes A, B, C, D
const float kValues[3][4] = {{1, 0, 2, 0}, {0, 3, 0, 0}, {4, 0, 5.5f, 6}};
const std::vector<std::string> kGenes{"A", "B", "C", "D"}, kCells{"c1", "c2", "c3"};

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("fluxion_cells_" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    fs::create_directories((path / name).parent_path());
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
  std::string write_gz(const std::string& name, const std::string& text) const {
    fs::create_directories((path / name).parent_path());
    gzFile f = gzopen((path / name).string().c_str(), "wb");
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
    return (path / name).string();
  }
};

void expect_reference(const io::CellMatrix& m, const std::string& what) {
  ASSERT_EQ(m.cells, kCells) << what;
  ASSERT_EQ(m.genes, kGenes) << what;
  for (int c = 0; c < 3; ++c)
    for (int g = 0; g < 4; ++g) EXPECT_EQ(m.values.coeff(c, g), kValues[c][g]) << what << " cell " << c << " gene " << g;
  EXPECT_EQ(m.values.nonZeros(), 6) << what;
}

// --- small HDF5 writers (the layouts of anndata and Cell Ranger)
void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& v, bool fixed = false) {
  const hsize_t n = v.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t type = H5Tcopy(H5T_C_S1);
  if (fixed) {
    std::size_t width = 1;
    for (const auto& s : v) width = std::max(width, s.size());
    H5Tset_size(type, width);
    std::string buf(width * v.size(), '\0');
    for (std::size_t i = 0; i < v.size(); ++i) std::copy(v[i].begin(), v[i].end(), buf.begin() + static_cast<long>(i * width));
    hid_t ds = H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    H5Dclose(ds);
  } else {
    H5Tset_size(type, H5T_VARIABLE);
    std::vector<const char*> ptrs;
    for (const auto& s : v) ptrs.push_back(s.c_str());
    hid_t ds = H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
    H5Dclose(ds);
  }
  H5Tclose(type);
  H5Sclose(space);
}

template <class T>
void write_numbers(hid_t loc, const std::string& name, const std::vector<T>& v, hid_t type, std::vector<hsize_t> dims = {}) {
  if (dims.empty()) dims = {v.size()};
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t ds = H5Dcreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(ds);
  H5Sclose(space);
}

void string_attr(hid_t loc, const std::string& obj, const std::string& name, const std::string& value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate_by_name(loc, obj.c_str(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char* p = value.c_str();
  H5Awrite(a, type, &p);
  H5Aclose(a);
  H5Sclose(space);
  H5Tclose(type);
}

void int_attr(hid_t loc, const std::string& obj, const std::string& name, const std::vector<std::int64_t>& v) {
  const hsize_t n = v.size();
  hid_t space = H5Screate_simple(1, &n, nullptr);
  hid_t a = H5Acreate_by_name(loc, obj.c_str(), name.c_str(), H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, v.data());
  H5Aclose(a);
  H5Sclose(space);
}

// compressed storage of kValues: by cell (CSR) or by gene (CSC)
void compressed(bool by_cell, std::vector<float>& data, std::vector<std::int32_t>& indices, std::vector<std::int64_t>& indptr) {
  indptr = {0};
  const int outer = by_cell ? 3 : 4, inner = by_cell ? 4 : 3;
  for (int o = 0; o < outer; ++o) {
    for (int i = 0; i < inner; ++i) {
      const float v = by_cell ? kValues[o][i] : kValues[i][o];
      if (v != 0) data.push_back(v), indices.push_back(i);
    }
    indptr.push_back(static_cast<std::int64_t>(data.size()));
  }
}

enum class X { dense, csr, csc, legacy_csr };

std::string write_h5ad(const TempDir& dir, const std::string& name, X layout, bool fixed_strings = false, bool categorical_symbols = false) {
  const std::string path = (dir.path / name).string();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  string_attr(f, ".", "encoding-type", "anndata");
  for (const char* frame : {"obs", "var"}) {
    hid_t g = H5Gcreate2(f, frame, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    string_attr(f, frame, "encoding-type", "dataframe");
    string_attr(f, frame, "_index", "_index");
    H5Gclose(g);
  }
  write_strings(f, "obs/_index", kCells, fixed_strings);
  write_strings(f, "var/_index", {"ENSG1", "ENSG2", "ENSG3", "ENSG4"}, fixed_strings);
  if (categorical_symbols) {
    hid_t g = H5Gcreate2(f, "var/symbol", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    write_strings(f, "var/symbol/categories", {"D", "C", "B", "A"});
    write_numbers<std::int8_t>(f, "var/symbol/codes", {3, 2, 1, 0}, H5T_NATIVE_INT8);
  } else {
    write_strings(f, "var/symbol", kGenes, fixed_strings);
  }
  auto write_x = [&](const std::string& where) {
    if (layout == X::dense) {
      std::vector<double> v;
      for (auto& row : kValues)
        for (float x : row) v.push_back(x);
      write_numbers<double>(f, where, v, H5T_NATIVE_DOUBLE, {3, 4});
      return;
    }
    std::vector<float> data;
    std::vector<std::int32_t> indices;
    std::vector<std::int64_t> indptr;
    compressed(layout != X::csc, data, indices, indptr);
    hid_t g = H5Gcreate2(f, where.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    write_numbers<float>(f, where + "/data", data, H5T_NATIVE_FLOAT);
    write_numbers<std::int32_t>(f, where + "/indices", indices, H5T_NATIVE_INT32);
    write_numbers<std::int64_t>(f, where + "/indptr", indptr, H5T_NATIVE_INT64);
    if (layout == X::legacy_csr) {
      string_attr(f, where, "h5sparse_format", "csr");
      int_attr(f, where, "h5sparse_shape", {3, 4});
    } else {
      string_attr(f, where, "encoding-type", layout == X::csr ? "csr_matrix" : "csc_matrix");
      int_attr(f, where, "shape", {3, 4});
    }
  };
  write_x("X");
  H5Gclose(H5Gcreate2(f, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  write_x("layers/counts");
  H5Gclose(H5Gcreate2(f, "raw", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  H5Gclose(H5Gcreate2(f, "raw/var", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  string_attr(f, "raw/var", "_index", "_index");
  write_strings(f, "raw/var/_index", kGenes);
  write_x("raw/X");
  H5Fclose(f);
  return path;
}

std::string write_10x_h5(const TempDir& dir, const std::string& name, bool cellranger2, bool with_antibody = false) {
  const std::string path = (dir.path / name).string();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const std::string g = cellranger2 ? "GRCh38" : "matrix";
  H5Gclose(H5Gcreate2(f, g.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  std::vector<float> data;
  std::vector<std::int32_t> indices;
  std::vector<std::int64_t> indptr;
  compressed(true, data, indices, indptr);  // CSC of features × barcodes = CSR of cells × genes
  std::vector<std::string> names = kGenes, ids{"ENSG1", "ENSG2", "ENSG3", "ENSG4"}, types(4, "Gene Expression");
  std::int64_t features = 4;
  if (with_antibody) {  // a fifth feature, an antibody, with a count in cell 1
    names.push_back("CD3_TotalSeqB");
    ids.push_back("CD3");
    types.push_back("Antibody Capture");
    data.insert(data.begin() + 2, 99.0f);
    indices.insert(indices.begin() + 2, 4);
    for (std::size_t i = 1; i < indptr.size(); ++i) ++indptr[i];
    features = 5;
  }
  write_numbers<float>(f, g + "/data", data, H5T_NATIVE_FLOAT);  // counts are int32 in Cell Ranger's files; 5.5 needs a float
  write_numbers<std::int32_t>(f, g + "/indices", indices, H5T_NATIVE_INT32);
  write_numbers<std::int64_t>(f, g + "/indptr", indptr, H5T_NATIVE_INT64);
  write_numbers<std::int32_t>(f, g + "/shape", {static_cast<std::int32_t>(features), 3}, H5T_NATIVE_INT32);
  write_strings(f, g + "/barcodes", kCells, true);
  if (cellranger2) {
    write_strings(f, g + "/gene_names", names, true);
    write_strings(f, g + "/genes", ids, true);
  } else {
    H5Gclose(H5Gcreate2(f, (g + "/features").c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    write_strings(f, g + "/features/name", names, true);
    write_strings(f, g + "/features/id", ids, true);
    write_strings(f, g + "/features/feature_type", types, true);
  }
  H5Fclose(f);
  return path;
}

}  // namespace

TEST(CellMatrix, DenseTablesInEveryLayout) {
  TempDir dir;
  const std::string csv = "\"\",\"c1\",\"c2\",\"c3\"\n\"A\",1,0,4\n\"B\",0,3,0\n\"C\",2,0,5.5\n\"D\",0,0,6\n";
  auto a = io::load_cell_matrix(dir.write("x.csv", csv));
  ASSERT_TRUE(a.ok()) << a.message();
  expect_reference(a.value(), "csv");
  auto b = io::load_cell_matrix(dir.write_gz("x.tsv.gz", "gene\tc1\tc2\tc3\nA\t1\t0\t4\nB\t0\t3\t0\nC\t2\t0\t5.5\nD\t0\t0\t6\n"));
  ASSERT_TRUE(b.ok()) << b.message();
  expect_reference(b.value(), "tsv.gz");
  // R's write.table: space-separated, the header without the corner cell
  auto c = io::load_cell_matrix(dir.write("x.txt", "c1 c2 c3\nA 1 0 4\nB 0  3 0\nC 2 0 5.5\nD 0 0 6\n"));
  ASSERT_TRUE(c.ok()) << c.message();
  expect_reference(c.value(), "txt");
  io::CellMatrixOptions t;
  t.genes_as_columns = true;
  auto d = io::load_cell_matrix(dir.write("t.csv", "cell,A,B,C,D\nc1,1,0,2,0\nc2,0,3,0,0\nc3,4,0,5.5,6\n"), t);
  ASSERT_TRUE(d.ok()) << d.message();
  expect_reference(d.value(), "samples × genes");
}

TEST(CellMatrix, DuplicatedGenesAreSummedAndGeneMapRenames) {
  TempDir dir;
  auto m = io::load_cell_matrix(dir.write("dup.csv", "gene,c1,c2\nA,1,2\nB,3,0\nA,10,0\n"));
  ASSERT_TRUE(m.ok()) << m.message();
  EXPECT_EQ(m.value().genes, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(m.value().values.coeff(0, 0), 11.0f);
  EXPECT_NE(m.message().find("1 gene names occur more than once and were summed: A (2×)"), std::string::npos) << m.message();
  io::CellMatrixOptions o;
  o.gene_map = dir.write("map.tsv", "gene_id\tsymbol\nENSG1\tA\nENSG2\tB\nENSG3\tA\n");
  auto e = io::load_cell_matrix(dir.write("ens.csv", "gene,c1\nENSG1.4,1\nENSG2,2\nENSG3,5\nENSG9,7\n"), o);
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e.value().genes, (std::vector<std::string>{"A", "B", "ENSG9"}));  // version suffix ignored; unknown ids kept
  EXPECT_EQ(e.value().values.coeff(0, 0), 6.0f);
}

TEST(CellMatrix, DenseErrorsNameLineAndColumn) {
  TempDir dir;
  auto bad = io::load_cell_matrix(dir.write("bad.csv", "gene,c1,c2\nA,1,x\nB,-2,0\nC,1\n,1,1\n"));
  ASSERT_FALSE(bad.ok());
  const auto msg = bad.message();
  EXPECT_NE(msg.find("bad.csv:2:5: error: 'x' is not a number"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.csv:3:3: error: '-2' is not a finite number >= 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.csv:4:1: error: this row has 2 cells, the header 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.csv:5:1: error: empty gene name"), std::string::npos) << msg;
  // values are stored as float: one above its range, or duplicate genes summing past it, is an error (both crashed the fuzzer)
  auto huge = io::load_cell_matrix(dir.write("huge.csv", "gene,c1\nA,1e39\n"));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.message().find("huge.csv:2:3: error: '1e39' is larger than 3.4e38"), std::string::npos) << huge.message();
  auto sum = io::load_cell_matrix(dir.write("sum.csv", "gene,c1\nA,3e38\nA,3e38\n"));
  ASSERT_FALSE(sum.ok());
  EXPECT_NE(sum.message().find("goes past 3.4e38"), std::string::npos) << sum.message();
  EXPECT_FALSE(io::load_cell_matrix(dir.write("empty.csv", "")).ok());
  EXPECT_FALSE(io::load_cell_matrix(dir.write("dupcol.csv", "gene,c1,c1\nA,1,2\n")).ok());
  EXPECT_FALSE(io::load_cell_matrix((dir.path / "missing.csv").string()).ok());
}

TEST(CellMatrix, TenXMexDirectory) {
  TempDir dir;
  // features × barcodes, 1-based; an antibody feature that must be left out
  const std::string mtx =
      "%%MatrixMarket matrix coordinate integer general\n%metadata_json: {}\n5 3 7\n1 1 1\n3 1 2\n2 2 3\n1 3 4\n3 3 5.5\n4 3 6\n5 1 99\n";
  dir.write_gz("mex/matrix.mtx.gz", mtx);
  dir.write_gz("mex/features.tsv.gz",
               "ENSG1\tA\tGene Expression\nENSG2\tB\tGene Expression\nENSG3\tC\tGene Expression\nENSG4\tD\tGene Expression\nCD3\tCD3_TotalSeqB\tAntibody Capture\n");
  dir.write_gz("mex/barcodes.tsv.gz", "c1\nc2\nc3\n");
  auto m = io::load_cell_matrix((dir.path / "mex").string());
  ASSERT_TRUE(m.ok()) << m.message();
  expect_reference(m.value(), "mex");
  EXPECT_NE(m.message().find("1 features that are not 'Gene Expression' were left out"), std::string::npos);
  // Cell Ranger 2: genes.tsv, uncompressed
  dir.write("mex2/matrix.mtx", "%%MatrixMarket matrix coordinate integer general\n4 3 6\n1 1 1\n3 1 2\n2 2 3\n1 3 4\n3 3 5.5\n4 3 6\n");
  dir.write("mex2/genes.tsv", "ENSG1\tA\nENSG2\tB\nENSG3\tC\nENSG4\tD\n");
  dir.write("mex2/barcodes.tsv", "c1\nc2\nc3\n");
  auto m2 = io::load_cell_matrix((dir.path / "mex2").string());
  ASSERT_TRUE(m2.ok()) << m2.message();
  expect_reference(m2.value(), "mex (Cell Ranger 2)");
  // broken: a truncated matrix, an entry outside the size
  dir.write("mex3/matrix.mtx", "%%MatrixMarket matrix coordinate integer general\n4 3 7\n1 1 1\n9 1 2\n");
  dir.write("mex3/genes.tsv", "ENSG1\tA\nENSG2\tB\nENSG3\tC\nENSG4\tD\n");
  dir.write("mex3/barcodes.tsv", "c1\nc2\nc3\n");
  auto bad = io::load_cell_matrix((dir.path / "mex3").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("matrix.mtx:4:1: error: feature 9 is outside 1…4 (the size line)"), std::string::npos) << bad.message();
  // one NaN: one error that says so, at its column
  dir.write("mex4/matrix.mtx", "%%MatrixMarket matrix coordinate real general\n4 3 3\n1 1 1\n2 1 nan\n3 2 2\n");
  dir.write("mex4/genes.tsv", "ENSG1\tA\nENSG2\tB\nENSG3\tC\nENSG4\tD\n");
  dir.write("mex4/barcodes.tsv", "c1\nc2\nc3\n");
  auto nan = io::load_cell_matrix((dir.path / "mex4").string());
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.diagnostics().size(), 1u) << nan.message();
  EXPECT_NE(nan.message().find("matrix.mtx:4:5: error: the value 'nan' is not a finite number"), std::string::npos) << nan.message();
  fs::remove(dir.path / "mex3/barcodes.tsv");
  auto missing = io::load_cell_matrix((dir.path / "mex3").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("missing: barcodes.tsv"), std::string::npos) << missing.message();
}

TEST(CellMatrix, TenXHdf5) {
  TempDir dir;
  auto v3 = io::load_cell_matrix(write_10x_h5(dir, "v3.h5", false, true));
  ASSERT_TRUE(v3.ok()) << v3.message();
  expect_reference(v3.value(), "10x h5");
  auto v2 = io::load_cell_matrix(write_10x_h5(dir, "v2.h5", true));
  ASSERT_TRUE(v2.ok()) << v2.message();
  expect_reference(v2.value(), "10x h5 (Cell Ranger 2)");
  io::CellMatrixOptions ids;
  ids.gene_column = "id";
  auto by_id = io::load_cell_matrix(write_10x_h5(dir, "v3b.h5", false), ids);
  ASSERT_TRUE(by_id.ok()) << by_id.message();
  EXPECT_EQ(by_id.value().genes, (std::vector<std::string>{"ENSG1", "ENSG2", "ENSG3", "ENSG4"}));
  auto not_h5 = io::load_cell_matrix(TempDir().write("x.h5", "not hdf5"));
  EXPECT_FALSE(not_h5.ok());
}

TEST(CellMatrix, AnnDataLayouts) {
  TempDir dir;
  io::CellMatrixOptions symbols;
  symbols.gene_column = "symbol";
  for (auto [layout, what] : {std::pair{X::dense, "dense"}, {X::csr, "csr"}, {X::csc, "csc"}, {X::legacy_csr, "legacy csr"}}) {
    const auto path = write_h5ad(dir, std::string(what) + ".h5ad", layout, layout == X::csc);
    auto m = io::load_cell_matrix(path, symbols);
    ASSERT_TRUE(m.ok()) << what << ": " << m.message();
    expect_reference(m.value(), what);
    auto index = io::load_cell_matrix(path);  // the var index: Ensembl-like ids
    ASSERT_TRUE(index.ok()) << index.message();
    EXPECT_EQ(index.value().genes[0], "ENSG1");
    io::CellMatrixOptions layer = symbols;
    layer.layer = "counts";
    auto l = io::load_cell_matrix(path, layer);
    ASSERT_TRUE(l.ok()) << l.message();
    expect_reference(l.value(), std::string(what) + " layer");
    io::CellMatrixOptions raw;
    raw.layer = "raw";
    auto r = io::load_cell_matrix(path, raw);
    ASSERT_TRUE(r.ok()) << r.message();
    expect_reference(r.value(), std::string(what) + " raw");
  }
  auto cat = io::load_cell_matrix(write_h5ad(dir, "cat.h5ad", X::csr, false, true), symbols);
  ASSERT_TRUE(cat.ok()) << cat.message();
  expect_reference(cat.value(), "categorical symbols");
  io::CellMatrixOptions nope = symbols;
  nope.layer = "spliced";
  auto missing = io::load_cell_matrix(write_h5ad(dir, "m.h5ad", X::csr), nope);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no 'layers/spliced' in the file"), std::string::npos) << missing.message();
  nope.layer.clear();
  nope.gene_column = "gene_ids";
  auto column = io::load_cell_matrix(write_h5ad(dir, "m2.h5ad", X::csr), nope);
  ASSERT_FALSE(column.ok());
  EXPECT_NE(column.message().find("no column 'gene_ids' in var"), std::string::npos) << column.message();
}

// Only some genes kept (the network's, for scflux): CSR files are read in blocks of cells
// (one cell per block here, to cross every block edge), the others filtered after reading;
// every layout gives the kept genes' values and the left-out genes' per-cell totals, log
// totals, log-CPM totals (against the cell's total over every gene) and largest value.
TEST(CellMatrix, OnlySomeGenesAreKeptWithTheOthersTotals) {
  TempDir dir;
  io::CellMatrixOptions o;
  o.gene_column = "symbol";
  o.only_genes = {"C", "A", "Z"};  // Z is in no file
  o.block_rows = 1;
  auto check = [&](const io::CellMatrix& m, const std::string& what) {
    SCOPED_TRACE(what);
    ASSERT_EQ(m.genes, (std::vector<std::string>{"A", "C"}));
    for (int c = 0; c < 3; ++c) {
      EXPECT_EQ(m.values.coeff(c, 0), kValues[c][0]);
      EXPECT_EQ(m.values.coeff(c, 1), kValues[c][2]);
    }
    EXPECT_EQ(m.others.n_genes, 2u);
    ASSERT_EQ(m.others.total.size(), 3u);
    for (int c = 0; c < 3; ++c) {
      const double b = kValues[c][1], d = kValues[c][3];
      const double all = kValues[c][0] + b + kValues[c][2] + d;
      EXPECT_DOUBLE_EQ(m.others.total[static_cast<std::size_t>(c)], b + d);
      EXPECT_NEAR(m.others.log_total[static_cast<std::size_t>(c)], std::log2(b + 1) + std::log2(d + 1), 1e-12);
      EXPECT_NEAR(m.others.log_cpm_total[static_cast<std::size_t>(c)], std::log2(b * 1e6 / all + 1) + std::log2(d * 1e6 / all + 1), 1e-9);
    }
    EXPECT_EQ(m.others.largest, 6.0f);
  };
  for (auto [layout, what] : {std::pair{X::dense, "dense"}, {X::csr, "csr"}, {X::csc, "csc"}}) {
    auto m = io::load_cell_matrix(write_h5ad(dir, std::string(what) + "_only.h5ad", layout), o);
    ASSERT_TRUE(m.ok()) << what << ": " << m.message();
    check(m.value(), what);
  }
  io::CellMatrixOptions tenx = o;
  tenx.gene_column.clear();
  auto h5 = io::load_cell_matrix(write_10x_h5(dir, "only.h5", false, true), tenx);  // with an antibody feature: never counted as a gene
  ASSERT_TRUE(h5.ok()) << h5.message();
  check(h5.value(), "10x h5");
  // through a gene map: ids in the file, symbols asked for
  io::CellMatrixOptions mapped;
  mapped.only_genes = {"A", "C"};
  mapped.gene_map = dir.write("map.tsv", "ENSG1\tA\nENSG2\tB\nENSG3\tC\nENSG4\tD\n");
  auto by_map = io::load_cell_matrix(write_h5ad(dir, "mapped.h5ad", X::csr), mapped);
  ASSERT_TRUE(by_map.ok()) << by_map.message();
  check(by_map.value(), "gene map");
  // every gene asked for: nothing left out
  o.only_genes = {"A", "B", "C", "D"};
  auto all = io::load_cell_matrix(write_h5ad(dir, "all.h5ad", X::csr), o);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all.value().others.n_genes, 0u);
  expect_reference(all.value(), "all genes asked for");
}

TEST(CellMatrix, LegacyAnnDataWithCompoundFrames) {
  // anndata < 0.7: obs and var are compound tables (index + columns), X a legacy CSR group
  TempDir dir;
  const std::string path = (dir.path / "legacy.h5ad").string();
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t vstr = H5Tcopy(H5T_C_S1);
  H5Tset_size(vstr, H5T_VARIABLE);
  struct Row {
    const char* index;
    const char* symbol;
    std::int64_t code;
  };
  hid_t row = H5Tcreate(H5T_COMPOUND, sizeof(Row));
  H5Tinsert(row, "index", HOFFSET(Row, index), vstr);
  H5Tinsert(row, "symbol", HOFFSET(Row, symbol), vstr);
  H5Tinsert(row, "kind", HOFFSET(Row, code), H5T_NATIVE_INT64);
  auto table = [&](const char* name, const std::vector<Row>& rows) {
    const hsize_t n = rows.size();
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t ds = H5Dcreate2(f, name, row, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, row, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows.data());
    H5Dclose(ds);
    H5Sclose(space);
  };
  table("obs", {{"c1", "", 0}, {"c2", "", 0}, {"c3", "", 0}});
  table("var", {{"ENSG1", "A", 1}, {"ENSG2", "B", 0}, {"ENSG3", "C", 1}, {"ENSG4", "D", 0}});
  H5Gclose(H5Gcreate2(f, "uns", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  write_strings(f, "uns/kind_categories", {"protein_coding", "lncRNA"});
  std::vector<float> data;
  std::vector<std::int32_t> indices;
  std::vector<std::int64_t> indptr;
  compressed(true, data, indices, indptr);
  H5Gclose(H5Gcreate2(f, "X", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  write_numbers<float>(f, "X/data", data, H5T_NATIVE_FLOAT);
  write_numbers<std::int32_t>(f, "X/indices", indices, H5T_NATIVE_INT32);
  write_numbers<std::int64_t>(f, "X/indptr", indptr, H5T_NATIVE_INT64);
  string_attr(f, "X", "h5sparse_format", "csr");
  int_attr(f, "X", "h5sparse_shape", {3, 4});
  H5Tclose(row);
  H5Tclose(vstr);
  H5Fclose(f);
  io::CellMatrixOptions o;
  o.gene_column = "symbol";
  auto m = io::load_cell_matrix(path, o);
  ASSERT_TRUE(m.ok()) << m.message();
  expect_reference(m.value(), "legacy h5ad");
  auto index = io::load_cell_matrix(path);
  ASSERT_TRUE(index.ok()) << index.message();
  EXPECT_EQ(index.value().genes[3], "ENSG4");
  o.gene_column = "kind";  // integer codes into uns/kind_categories: duplicates summed
  auto kind = io::load_cell_matrix(path, o);
  ASSERT_TRUE(kind.ok()) << kind.message();
  EXPECT_EQ(kind.value().genes, (std::vector<std::string>{"lncRNA", "protein_coding"}));
}

TEST(CellMatrix, FromCsrArraysKeepsSomeGenesAndChecksTheArrays) {
  // cells × genes [[1, 0, 3], [0, 2, 0]]: genes A, B, C
  const std::vector<std::int64_t> indptr{0, 2, 3};
  const std::vector<std::int32_t> indices{0, 2, 1};
  const std::vector<float> data{1, 3, 2};
  io::CsrArrays csr{indptr.data(), indices.data(), data.data(), data.size(), indptr.size()};
  const auto all = io::cell_matrix_from_csr({"A", "B", "C"}, {"c1", "c2"}, csr);
  ASSERT_TRUE(all.ok()) << all.message();
  EXPECT_EQ(all.value().values.coeff(0, 2), 3.0f);
  EXPECT_EQ(all.value().others.n_genes, 0u);
  const auto some = io::cell_matrix_from_csr({"A", "B", "C"}, {"c1", "c2"}, csr, {"C", "B"});
  ASSERT_TRUE(some.ok()) << some.message();
  const auto& m = some.value();
  EXPECT_EQ(m.genes, (std::vector<std::string>{"B", "C"}));
  EXPECT_EQ(m.values.coeff(0, 1), 3.0f);
  EXPECT_EQ(m.values.coeff(1, 0), 2.0f);
  EXPECT_EQ(m.others.n_genes, 1u);  // A, with cell c1's 1 and c2's nothing
  EXPECT_EQ(m.others.total, (std::vector<double>{1.0, 0.0}));
  EXPECT_DOUBLE_EQ(m.others.log_total[0], 1.0);                          // log2(1 + 1)
  EXPECT_DOUBLE_EQ(m.others.log_cpm_total[0], std::log2(1e6 / 4 + 1));  // c1's library: 1 + 3
  EXPECT_EQ(m.others.largest, 1.0f);

  struct Case {
    std::vector<std::int64_t> p;
    std::vector<std::int32_t> j;
    std::vector<float> v;
    const char* message;
  };
  for (const Case& c : {Case{{1, 2, 3}, {0, 2, 1}, {1, 3, 2}, "indptr does not start at 0"},
                        Case{{0, 2}, {0, 2}, {1, 3}, "indptr has 2 entries for 2 cells"},
                        Case{{0, 2, 3}, {2, 0, 1}, {1, 3, 2}, "gene indices not increasing at cell 'c1'"},
                        Case{{0, 2, 3}, {0, 5, 1}, {1, 3, 2}, "a gene index out of range at cell 'c1'"},
                        Case{{0, 2, 3}, {0, 2, 1}, {1, -3, 2}, "cell 'c1', gene 'C': values must be finite and >= 0"},
                        Case{{0, 2, 1}, {0, 2, 1}, {1, 3, 2}, "indptr is not a CSR row pointer at cell 1"}}) {
    SCOPED_TRACE(c.message);
    io::CsrArrays bad{c.p.data(), c.j.data(), c.v.data(), c.v.size(), c.p.size()};
    const auto r = io::cell_matrix_from_csr({"A", "B", "C"}, {"c1", "c2"}, bad, {"B"});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.message().find(c.message), std::string::npos) << r.message();
  }
}
