#include "fluxion/cbm/projection.hpp"

#include <dlfcn.h>
#include <zlib.h>

#include <Eigen/SPQRSupport>
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

extern "C" void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const double* alpha,
                       const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
                       const int* ldc);

namespace fluxion::cbm {

namespace {

using Index = Eigen::Index;
constexpr int kFormatVersion = 1;
constexpr const char* kFormatName = "fluxion-projector";

// C = A·B through the BLAS (OpenBLAS at run time: vectorised for the host and threaded).
void gemm(const Eigen::MatrixXd& a, const Eigen::Ref<const Eigen::MatrixXd>& b, Eigen::MatrixXd& c) {
  c.resize(a.rows(), b.cols());
  if (a.rows() == 0 || b.cols() == 0) return;
  if (a.cols() == 0) {
    c.setZero();
    return;
  }
  const int m = static_cast<int>(a.rows()), n = static_cast<int>(b.cols()), k = static_cast<int>(a.cols());
  const double one = 1.0, zero = 0.0;
  const int lda = std::max(1, m), ldb = std::max(1, static_cast<int>(b.outerStride())), ldc = std::max(1, m);
  dgemm_("N", "N", &m, &n, &k, &one, a.data(), &lda, b.data(), &ldb, &zero, c.data(), &ldc);
}

struct PseudoInverse {
  Eigen::MatrixXd pinv;  // q × p
  Eigen::MatrixXd null;  // q × (q − rank), orthonormal basis of ker B (only if asked)
  Index rank = 0;
  double gap = std::numeric_limits<double>::infinity();
};

Index cutoff_rank(const Eigen::VectorXd& sigma, double relative, double& gap) {
  gap = std::numeric_limits<double>::infinity();
  if (sigma.size() == 0 || sigma(0) <= 0.0) return 0;
  const double cut = relative * sigma(0);
  Index rank = 0;
  while (rank < sigma.size() && sigma(rank) > cut) ++rank;
  if (rank < sigma.size()) gap = sigma(rank) > 0.0 ? sigma(rank - 1) / sigma(rank) : std::numeric_limits<double>::infinity();
  return rank;
}

// B⁺ with a relative singular-value cutoff, and optionally an orthonormal basis of ker B.
PseudoInverse pseudo_inverse(const Eigen::MatrixXd& b, double relative, bool want_null) {
  PseudoInverse out;
  const Index p = b.rows(), q = b.cols();
  if (p == 0 || q == 0) {
    out.pinv = Eigen::MatrixXd::Zero(q, p);
    if (want_null) out.null = Eigen::MatrixXd::Identity(q, q);
    return out;
  }
  if (!want_null && p > q) {
    // tall: B = Q·R first, then the SVD of the small square R; B⁺ = R⁺·Qᵀ
    Eigen::HouseholderQR<Eigen::MatrixXd> qr(b);
    const Eigen::MatrixXd r = qr.matrixQR().topRows(q).triangularView<Eigen::Upper>();
    Eigen::BDCSVD<Eigen::MatrixXd> svd(r, Eigen::ComputeThinU | Eigen::ComputeThinV);
    out.rank = cutoff_rank(svd.singularValues(), relative, out.gap);
    const Index k = out.rank;
    // (B⁺)ᵀ = Q·[U_k Σ_k⁻¹ V_kᵀ; 0]
    Eigen::MatrixXd t = Eigen::MatrixXd::Zero(p, q);
    t.topRows(q) = svd.matrixU().leftCols(k) * svd.singularValues().head(k).cwiseInverse().asDiagonal() *
                   svd.matrixV().leftCols(k).transpose();
    t.applyOnTheLeft(qr.householderQ());
    out.pinv = t.transpose();
    return out;
  }
  Eigen::BDCSVD<Eigen::MatrixXd> svd(b, Eigen::ComputeThinU | (want_null ? Eigen::ComputeFullV : Eigen::ComputeThinV));
  out.rank = cutoff_rank(svd.singularValues(), relative, out.gap);
  const Index k = out.rank;
  out.pinv = svd.matrixV().leftCols(k) * svd.singularValues().head(k).cwiseInverse().asDiagonal() *
             svd.matrixU().leftCols(k).transpose();
  if (want_null) out.null = svd.matrixV().rightCols(q - k);
  return out;
}

Eigen::MatrixXd rows_of(const Eigen::Ref<const Eigen::MatrixXd>& m, const std::vector<Index>& rows) {
  Eigen::MatrixXd out(static_cast<Index>(rows.size()), m.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Index>(i)) = m.row(rows[i]);
  return out;
}

}  // namespace

std::string_view to_string(ProjectionVariant v) {
  switch (v) {
    case ProjectionVariant::basic: return "basic";
    case ProjectionVariant::partial: return "partial";
    case ProjectionVariant::fixed: return "fixed";
    case ProjectionVariant::full: return "full";
  }
  return "full";
}

std::optional<ProjectionVariant> parse_projection_variant(std::string_view name) {
  for (auto v : {ProjectionVariant::basic, ProjectionVariant::partial, ProjectionVariant::fixed, ProjectionVariant::full})
    if (name == to_string(v)) return v;
  return std::nullopt;
}

Eigen::SparseMatrix<double> balanced_stoichiometry(const Model& model) {
  std::vector<Index> row_of(model.metabolites.size(), -1);
  Index m = 0;
  for (std::size_t i = 0; i < model.metabolites.size(); ++i)
    if (!model.metabolites[i].boundary) row_of[i] = m++;
  std::vector<Eigen::Triplet<double>> t;
  for (std::size_t j = 0; j < model.reactions.size(); ++j) {
    const Reaction& r = model.reactions[j];
    for (const auto& p : r.reactants)
      if (row_of[p.metabolite] >= 0) t.emplace_back(row_of[p.metabolite], static_cast<Index>(j), -p.coefficient);
    for (const auto& p : r.products)
      if (row_of[p.metabolite] >= 0) t.emplace_back(row_of[p.metabolite], static_cast<Index>(j), p.coefficient);
  }
  Eigen::SparseMatrix<double> s(m, static_cast<Index>(model.reactions.size()));
  s.setFromTriplets(t.begin(), t.end());  // duplicates (a metabolite on both sides) are summed
  s.prune(0.0);
  return s;
}

Result<KernelBasis> orthonormal_kernel(const Eigen::SparseMatrix<double>& s, double rank_tolerance) {
  Diagnostics d("null space of S");
  KernelBasis out;
  const Index m = s.rows(), r = s.cols();
  if (m == 0 || s.nonZeros() == 0) {
    out.basis = Eigen::MatrixXd::Identity(r, r);
    return Result<KernelBasis>::success(std::move(out));
  }
  // ker S = orthogonal complement of range(Sᵀ): the trailing columns of Q in Sᵀ·P = Q·R
  Eigen::SparseMatrix<double, Eigen::ColMajor, SuiteSparse_long> st(r, m);
  {
    std::vector<Eigen::Triplet<double, SuiteSparse_long>> t;
    t.reserve(static_cast<std::size_t>(s.nonZeros()));
    for (Index j = 0; j < s.outerSize(); ++j)
      for (Eigen::SparseMatrix<double>::InnerIterator it(s, j); it; ++it) t.emplace_back(j, it.row(), it.value());
    st.setFromTriplets(t.begin(), t.end());
  }
  Eigen::SPQR<decltype(st)> qr;
  if (rank_tolerance >= 0) qr.setPivotThreshold(rank_tolerance);
  qr.compute(st);
  if (qr.info() != Eigen::Success) {
    d.error("the sparse QR factorisation of Sᵀ failed");
    return Result<KernelBasis>::failure(d);
  }
  out.rank = qr.rank();
  const Index l = r - out.rank;
  Eigen::MatrixXd e = Eigen::MatrixXd::Zero(r, l);
  e.bottomRows(l) = Eigen::MatrixXd::Identity(l, l);
  out.basis = qr.matrixQ() * e;
  const double smax = s.coeffs().cwiseAbs().maxCoeff();
  out.residual = l > 0 ? Eigen::MatrixXd(s * out.basis).cwiseAbs().maxCoeff() / smax : 0.0;
  Eigen::MatrixXd gram(l, l);
  gram.setZero();
  gram.selfadjointView<Eigen::Lower>().rankUpdate(out.basis.transpose());
  gram = gram.selfadjointView<Eigen::Lower>();
  out.orthogonality = l > 0 ? (gram - Eigen::MatrixXd::Identity(l, l)).cwiseAbs().maxCoeff() : 0.0;
  if (!(out.residual <= 1e-9) || !(out.orthogonality <= 1e-9)) {
    d.error("the null-space basis is not accurate (max |S·A| / max |S| = " + std::to_string(out.residual) +
            ", max |AᵀA − I| = " + std::to_string(out.orthogonality) + "); try another rank tolerance");
    return Result<KernelBasis>::failure(d);
  }
  return Result<KernelBasis>::success(std::move(out));
}

ProjectionSets variant_sets(ProjectionVariant variant, const std::vector<Index>& fixed, const std::vector<Index>& noisy,
                            Index n_reactions) {
  ProjectionSets sets;
  std::vector<char> is_fixed(static_cast<std::size_t>(n_reactions), 0);
  for (Index i : fixed) is_fixed[static_cast<std::size_t>(i)] = 1;
  switch (variant) {
    case ProjectionVariant::basic:
      for (Index i = 0; i < n_reactions; ++i) sets.medium.push_back(i);
      break;
    case ProjectionVariant::partial:
      sets.medium = fixed;
      sets.medium.insert(sets.medium.end(), noisy.begin(), noisy.end());
      break;
    case ProjectionVariant::fixed:
      sets.high = fixed;
      for (Index i = 0; i < n_reactions; ++i)
        if (!is_fixed[static_cast<std::size_t>(i)]) sets.medium.push_back(i);
      break;
    case ProjectionVariant::full:
      sets.high = fixed;
      sets.medium = noisy;
      break;
  }
  std::sort(sets.high.begin(), sets.high.end());
  std::sort(sets.medium.begin(), sets.medium.end());
  return sets;
}

const OptionTable<ProjectorOptions>& ProjectorOptions::table() {
  static const OptionTable<ProjectorOptions> t = [] {
    OptionTable<ProjectorOptions> t;
    t.add("cutoff", &ProjectorOptions::relative_cutoff, "Relative singular-value cutoff of the pseudo-inverses (σ ≤ cutoff·σ_max counts as 0)")
        .range(1e-15, 0.5)
        .label("Cutoff")
        .web("Advanced");
    return t;
  }();
  return t;
}

std::vector<Diagnostic> ProjectorOptions::validate() const { return table().check(*this, "projector options"); }

Result<Projector> Projector::build(Eigen::MatrixXd basis, ProjectionSets sets, const ProjectorOptions& options) {
  Diagnostics d("projector");
  const Index r = basis.rows(), l = basis.cols();
  if (!(options.relative_cutoff > 0.0 && options.relative_cutoff < 1.0))
    d.error("the relative singular-value cutoff must lie in (0, 1), got " + std::to_string(options.relative_cutoff));
  std::vector<char> seen(static_cast<std::size_t>(r), 0);
  for (auto* set : {&sets.high, &sets.medium}) {
    for (Index i : *set) {
      if (i < 0 || i >= r) {
        d.error("reaction index " + std::to_string(i) + " is out of range (" + std::to_string(r) + " reactions)");
        continue;
      }
      if (seen[static_cast<std::size_t>(i)]++)
        d.error("reaction index " + std::to_string(i) + " is given twice (a reaction is fixed, noisy or unmeasured, not two of these)");
    }
  }
  if (d.has_errors()) return Result<Projector>::failure(d);

  Projector p;
  p.options_ = options;
  p.report_.kernel_dimension = l;
  const Index h = static_cast<Index>(sets.high.size()), mm = static_cast<Index>(sets.medium.size());
  const double cut = options.relative_cutoff;
  const bool medium_is_rest = h + mm == r;

  if (h == 0 && mm == r) {
    // Basic: orthogonal projection onto ker S, Q = A·Aᵀ (sets.medium is 0..r−1 in order)
    p.k_ = basis.transpose();
    p.report_.rank_medium = l;
    p.report_.free_after_high = l;
    p.report_.gap_medium = std::numeric_limits<double>::infinity();
  } else {
    const Eigen::MatrixXd a_m = rows_of(basis, sets.medium);
    Eigen::MatrixXd n, a_h_pinv;
    if (h > 0) {
      PseudoInverse ph = pseudo_inverse(rows_of(basis, sets.high), cut, true);
      p.report_.rank_high = ph.rank;
      p.report_.gap_high = ph.gap;
      n = std::move(ph.null);
      a_h_pinv = std::move(ph.pinv);
    } else {
      n = Eigen::MatrixXd::Identity(l, l);
    }
    const Index k = n.cols();
    p.report_.free_after_high = k;
    Eigen::MatrixXd b;
    if (h > 0) gemm(a_m, n, b);  // |M| × k
    else b = a_m;                // N = I
    Eigen::MatrixXd g;  // k × |M|
    if (medium_is_rest && h > 0) {
      // Fixed: A_M·N has orthonormal columns (AᵀA = I and A_H·N = 0), so (A_M·N)⁺ = (A_M·N)ᵀ
      g = b.transpose();
      p.report_.rank_medium = k;
      p.report_.gap_medium = std::numeric_limits<double>::infinity();
    } else {
      PseudoInverse pm = pseudo_inverse(b, cut, false);
      p.report_.rank_medium = pm.rank;
      p.report_.gap_medium = pm.gap;
      g = std::move(pm.pinv);
    }
    p.k_.resize(l, h + mm);
    Eigen::MatrixXd ng;
    if (h > 0) gemm(n, g, ng);  // l × |M|
    else ng = std::move(g);
    p.k_.rightCols(mm) = ng;
    if (h > 0) {
      Eigen::MatrixXd t, u;
      gemm(a_m, a_h_pinv, t);  // |M| × h
      gemm(ng, t, u);          // l × h
      p.k_.leftCols(h) = a_h_pinv - u;
    }
  }
  p.columns_ = sets.high;
  p.columns_.insert(p.columns_.end(), sets.medium.begin(), sets.medium.end());
  p.sets_ = std::move(sets);
  p.a_ = std::move(basis);
  return Result<Projector>::success(std::move(p), d.items());
}

Eigen::MatrixXd Projector::apply(const Eigen::Ref<const Eigen::MatrixXd>& references) const {
  if (references.rows() != n_reactions())
    throw std::invalid_argument("Projector::apply: expected " + std::to_string(n_reactions()) + " rows, got " +
                                std::to_string(references.rows()));
  Eigen::MatrixXd y, x;
  if (static_cast<Index>(columns_.size()) == n_reactions() && sets_.high.empty()) {
    gemm(k_, references, y);  // Basic: the columns are 0..r−1 in order
  } else {
    gemm(k_, rows_of(references, columns_), y);
  }
  gemm(a_, y, x);
  return x;
}

Eigen::MatrixXd Projector::dense_operator() const {
  Eigen::MatrixXd q = Eigen::MatrixXd::Zero(n_reactions(), n_reactions());
  const Eigen::MatrixXd ak = a_ * k_;
  for (std::size_t c = 0; c < columns_.size(); ++c) q.col(columns_[c]) = ak.col(static_cast<Index>(c));
  return q;
}

void set_blas_threads(int n) {
  if (n <= 0) return;
  using SetThreads = void (*)(int);
  if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) f(n);
}

ProjectionCheck check_projection(const Eigen::SparseMatrix<double>& s, const Eigen::MatrixXd& projected,
                                 const Eigen::MatrixXd& references, const std::vector<Index>& high) {
  ProjectionCheck c;
  if (projected.cols() == 0) return c;
  const Eigen::MatrixXd sx = s * projected;
  for (Index j = 0; j < projected.cols(); ++j) {
    const double scale = std::max(projected.col(j).cwiseAbs().maxCoeff(), std::numeric_limits<double>::min());
    if (sx.rows() > 0) c.steady_state = std::max(c.steady_state, sx.col(j).cwiseAbs().maxCoeff() / scale);
    for (Index i : high) c.fixed_deviation = std::max(c.fixed_deviation, std::fabs(projected(i, j) - references(i, j)));
  }
  return c;
}

// ---------------------------------------------------------------------------------------
// the artefact

namespace {

void json_report(nlohmann::json& j, const ProjectorReport& r) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json("inf"); };
  j = {{"kernel_dimension", r.kernel_dimension},
       {"rank_high", r.rank_high},
       {"free_after_high", r.free_after_high},
       {"rank_medium", r.rank_medium},
       {"gap_high", num(r.gap_high)},
       {"gap_medium", num(r.gap_medium)}};
}

double json_number(const nlohmann::json& j) {
  if (j.is_string()) return std::numeric_limits<double>::infinity();
  return j.get<double>();
}

}  // namespace

Result<bool> Projector::save(const std::string& path, const std::vector<std::string>& reaction_ids, const std::string& model_id,
                             ProjectionVariant variant) const {
  Diagnostics d(path);
  if constexpr (std::endian::native != std::endian::little) {
    d.error("projector files are written little-endian; this machine is not");
    return Result<bool>::failure(d);
  }
  if (static_cast<Index>(reaction_ids.size()) != n_reactions()) {
    d.error("the projector has " + std::to_string(n_reactions()) + " reactions but " + std::to_string(reaction_ids.size()) + " ids were given");
    return Result<bool>::failure(d);
  }
  const auto bytes_a = static_cast<std::size_t>(a_.size()) * sizeof(double);
  const auto bytes_k = static_cast<std::size_t>(k_.size()) * sizeof(double);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(a_.data()), bytes_a);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(k_.data()), bytes_k);
  nlohmann::json header = {{"format", kFormatName},
                           {"version", kFormatVersion},
                           {"model", model_id},
                           {"variant", std::string(to_string(variant))},
                           {"reactions", reaction_ids},
                           {"high", sets_.high},
                           {"medium", sets_.medium},
                           {"relative_cutoff", options_.relative_cutoff},
                           {"rows", a_.rows()},
                           {"kernel_dimension", a_.cols()},
                           {"k_columns", k_.cols()},
                           {"crc32", crc}};
  json_report(header["report"], report_);
  const std::string tmp = path + ".part";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      d.error("cannot write the file");
      return Result<bool>::failure(d);
    }
    const std::string line = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
    out.write(reinterpret_cast<const char*>(a_.data()), static_cast<std::streamsize>(bytes_a));
    out.write(reinterpret_cast<const char*>(k_.data()), static_cast<std::streamsize>(bytes_k));
    out.flush();
    if (!out) {
      d.error("writing the file failed (disk full?)");
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return Result<bool>::failure(d);
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    d.error("cannot move the finished file into place: " + ec.message());
    return Result<bool>::failure(d);
  }
  return Result<bool>::success(true);
}

Result<Projector::Loaded> Projector::load(const std::string& path) {
  Diagnostics d(path);
  auto fail = [&](const std::string& message) {
    d.error(message);
    return Result<Loaded>::failure(d);
  };
  if (const std::string problem = file_problem(path); !problem.empty()) return fail(problem);
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot open the projector file");
  std::string line;
  if (!std::getline(in, line) || line.size() > (std::size_t{1} << 30)) return fail("not a fluxion projector file (no header line)");
  nlohmann::json h = nlohmann::json::parse(line, nullptr, false);
  if (h.is_discarded() || !h.is_object() || h.value("format", "") != kFormatName)
    return fail("not a fluxion projector file (the first line is not its JSON header)");
  Loaded out;
  Index rows = 0, l = 0, kc = 0;
  uLong crc_expected = 0;
  try {
    const int version = h.at("version").get<int>();
    if (version != kFormatVersion)
      return fail("projector format version " + std::to_string(version) + " is not supported (this fluxion reads version " +
                  std::to_string(kFormatVersion) + "); rebuild it with fluxion project --save-projector");
    out.model_id = h.at("model").get<std::string>();
    const auto variant = parse_projection_variant(h.at("variant").get<std::string>());
    if (!variant) return fail("unknown projection variant '" + h.at("variant").get<std::string>() + "'");
    out.variant = *variant;
    out.reaction_ids = h.at("reactions").get<std::vector<std::string>>();
    out.projector.sets_.high = h.at("high").get<std::vector<Index>>();
    out.projector.sets_.medium = h.at("medium").get<std::vector<Index>>();
    out.projector.options_.relative_cutoff = h.at("relative_cutoff").get<double>();
    rows = h.at("rows").get<Index>();
    l = h.at("kernel_dimension").get<Index>();
    kc = h.at("k_columns").get<Index>();
    crc_expected = h.at("crc32").get<uLong>();
    const auto& rep = h.at("report");
    auto& r = out.projector.report_;
    r.kernel_dimension = rep.at("kernel_dimension").get<Index>();
    r.rank_high = rep.at("rank_high").get<Index>();
    r.free_after_high = rep.at("free_after_high").get<Index>();
    r.rank_medium = rep.at("rank_medium").get<Index>();
    r.gap_high = json_number(rep.at("gap_high"));
    r.gap_medium = json_number(rep.at("gap_medium"));
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("the projector header is incomplete: ") + e.what());
  }
  auto& sets = out.projector.sets_;
  const Index limit = Index{1} << 20;
  if (rows < 0 || l < 0 || l > rows || rows > limit || static_cast<Index>(out.reaction_ids.size()) != rows ||
      kc != static_cast<Index>(sets.high.size() + sets.medium.size()))
    return fail("the projector header's sizes do not agree with each other");
  for (const auto* set : {&sets.high, &sets.medium})
    for (Index i : *set)
      if (i < 0 || i >= rows) return fail("the projector header names reaction index " + std::to_string(i) + ", out of range");
  const auto bytes_a = static_cast<std::size_t>(rows * l) * sizeof(double);
  const auto bytes_k = static_cast<std::size_t>(l * kc) * sizeof(double);
  const auto at = static_cast<std::uintmax_t>(in.tellg());
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size != at + bytes_a + bytes_k)
    return fail("the projector file is truncated or has trailing bytes (" + std::to_string(size) + " bytes, expected " +
                std::to_string(at + bytes_a + bytes_k) + ")");
  out.projector.a_.resize(rows, l);
  out.projector.k_.resize(l, kc);
  in.read(reinterpret_cast<char*>(out.projector.a_.data()), static_cast<std::streamsize>(bytes_a));
  in.read(reinterpret_cast<char*>(out.projector.k_.data()), static_cast<std::streamsize>(bytes_k));
  if (!in) return fail("reading the projector's matrices failed");
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(out.projector.a_.data()), bytes_a);
  crc = crc32_z(crc, reinterpret_cast<const Bytef*>(out.projector.k_.data()), bytes_k);
  if (crc != crc_expected) return fail("the projector's matrices are corrupt (checksum mismatch)");
  out.projector.columns_ = sets.high;
  out.projector.columns_.insert(out.projector.columns_.end(), sets.medium.begin(), sets.medium.end());
  return Result<Loaded>::success(std::move(out));
}

}  // namespace fluxion::cbm
