// Dataset generation: the sampler stream in a thread of its own, parts simulated in
// parallel and written atomically, then merged into HDF5 (see dataset.hpp).
#include "fluxion/sampling/dataset.hpp"

#include <hdf5.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "fluxion/core/progress.hpp"
#include "dataset_parts.hpp"
#include "hdf5_attributes.hpp"

namespace fluxion::sampling {

namespace fs = std::filesystem;
using namespace detail;

namespace {

// ---------------------------------------------------------------- counter-based draws

// A uniform number in [0, 1) that depends only on (seed, stream, counter).
double counter_uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return static_cast<double>(mix64(mix64(seed ^ mix64(stream)) ^ counter) >> 11) * 0x1.0p-53;
}

// The pool sizes of a time course's draws: pool j of draw d from its own counter stream.
struct PoolDraws {
  const DatasetOptions& o;
  double size(std::size_t j, std::uint64_t draw) const {
    return TimeCourse::draw(o.time_course.pools[j], counter_uniform(o.seed, 0x9001'0000ULL + j, draw));
  }
  // every model metabolite (0 where no pool)
  void fill(std::uint64_t draw, std::vector<double>& sizes) const {
    sizes.assign(o.n_metabolites, 0.0);
    for (std::size_t j = 0; j < o.pool_metabolites.size(); ++j) sizes[o.pool_metabolites[j]] = size(j, draw);
  }
  // the drawn ones, the dataset's pool columns
  void outputs(std::uint64_t draw, std::vector<double>& out) const {
    for (std::size_t j = 0; j < o.time_course.pools.size(); ++j)
      if (o.time_course.pools[j].drawn()) out.push_back(size(j, draw));
  }
  std::size_t n_outputs() const { return o.time_course.output_columns().size(); }
};

// ---------------------------------------------------------------- HDF5 (attributes: hdf5_attributes.hpp)

// A dataset of rows × cols (cols 0: one-dimensional), chunked by about 1 MiB of rows
// when compressed; no timestamps, so equal contents give equal files.
H5Id create_dataset(hid_t parent, const char* name, hid_t file_type, hsize_t rows, hsize_t cols, int compression) {
  const int rank = cols > 0 ? 2 : 1;
  const hsize_t dims[2] = {rows, cols};
  H5Id space = own(H5Screate_simple(rank, dims, nullptr), H5Sclose, name);
  H5Id dcpl = own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, name);
  check(H5Pset_obj_track_times(dcpl, 0), name);
  check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), name);  // every row is written
  if (compression > 0 && rows > 0) {
    const std::size_t row_bytes = H5Tget_size(file_type) * std::max<hsize_t>(cols, 1);
    const hsize_t chunk_rows = std::clamp<hsize_t>((1u << 20) / std::max<std::size_t>(row_bytes, 1), 1, rows);
    const hsize_t chunk[2] = {chunk_rows, std::max<hsize_t>(cols, 1)};
    check(H5Pset_chunk(dcpl, rank, chunk), name);
    check(H5Pset_shuffle(dcpl), name);
    check(H5Pset_deflate(dcpl, static_cast<unsigned>(compression)), name);
  }
  return own(H5Dcreate2(parent, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose, name);
}

void write_rows(hid_t dataset, hid_t memory_type, hsize_t first, hsize_t rows, hsize_t cols, const void* data) {
  if (rows == 0) return;
  const int rank = cols > 0 ? 2 : 1;
  H5Id file_space = own(H5Dget_space(dataset), H5Sclose, "dataset space");
  const hsize_t start[2] = {first, 0}, count[2] = {rows, cols};
  check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, count, nullptr), "hyperslab");
  H5Id memory = own(H5Screate_simple(rank, count, nullptr), H5Sclose, "memory space");
  check(H5Dwrite(dataset, memory_type, memory, file_space, H5P_DEFAULT, data), "write");
}

H5Id create_group(hid_t parent, const char* name) {
  H5Id gcpl = own(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, name);
  check(H5Pset_obj_track_times(gcpl, 0), name);
  return own(H5Gcreate2(parent, name, H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, name);
}

// ---------------------------------------------------------------- the sampler thread

struct Batch {
  long first = 0;  // index of its first set in the sampler's output stream
  std::vector<FluxVector> sets;
  std::vector<long> draws_after;  // the sampler's draw count after each set
  long draws_at_end = 0;          // ... when the batch was closed
  bool ended = false;   // the stream ended in (or right after) this batch
  std::string message;  // why it ended, or the failure
  bool failed = false;
};

class Producer {
 public:
  // Batches of `size(k)` sets (k = batch number); total: stop after that many sets (0 = never).
  Producer(FluxSetSampler& sampler, std::function<long(long)> size, long total)
      : sampler_(sampler), size_(std::move(size)), total_(total), thread_([this] { loop(); }) {}
  ~Producer() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  Batch pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !queue_.empty(); });
    Batch b = std::move(queue_.front());
    queue_.pop_front();
    changed_.notify_all();
    return b;
  }

 private:
  FluxSetSampler& sampler_;
  std::function<long(long)> size_;
  long total_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> queue_;
  bool quit_ = false;
  std::thread thread_;

  void loop() {
    long produced = 0;
    for (long k = 0;; ++k) {
      Batch b;
      b.first = produced;
      long n = size_(k);
      if (total_ > 0) n = std::min(n, total_ - produced);
      b.sets.reserve(static_cast<std::size_t>(std::max(n, 0L)));
      for (long i = 0; i < n; ++i) {
        FluxVector v;
        try {
          if (!sampler_.next(v)) {
            b.ended = true;
            b.failed = !sampler_.stream_ended();
            b.message = sampler_.message();
            break;
          }
        } catch (const std::exception& e) {
          b.ended = b.failed = true;
          b.message = e.what();
          break;
        }
        b.sets.push_back(std::move(v));
        b.draws_after.push_back(sampler_.draws());
      }
      b.draws_at_end = sampler_.draws();
      produced += static_cast<long>(b.sets.size());
      if (total_ > 0 && produced >= total_) b.ended = true;
      const bool last = b.ended;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return quit_ || queue_.size() < 2; });
        if (quit_) return;
        queue_.push_back(std::move(b));
      }
      changed_.notify_all();
      if (last) return;
    }
  }
};

// ---------------------------------------------------------------- density acceptance

float squared_distance(const float* a, const float* b, std::size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      const float d = a[i + static_cast<std::size_t>(j)] - b[i + static_cast<std::size_t>(j)];
      acc[j] += d * d;
    }
  float tail = 0;
  for (; i < n; ++i) tail += (a[i] - b[i]) * (a[i] - b[i]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

// The k smallest squared distances seen (ascending) and the largest.
struct Neighbours {
  std::vector<float> nearest;
  float farthest = 0;
  void add(float d2, std::size_t k) {
    farthest = std::max(farthest, d2);
    if (nearest.size() == k && d2 >= nearest.back()) return;
    auto at = std::upper_bound(nearest.begin(), nearest.end(), d2);
    nearest.insert(at, d2);
    if (nearest.size() > k) nearest.pop_back();
  }
  double mean_distance() const {
    double s = 0;
    for (float d2 : nearest) s += std::sqrt(static_cast<double>(d2));
    return nearest.empty() ? 0.0 : s / static_cast<double>(nearest.size());
  }
};

std::string json_path_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& at = "") {
  if (a.type() != b.type() || !a.is_object()) return a == b ? "" : (at.empty() ? "(root)" : at);
  for (const auto& [k, v] : a.items()) {
    if (!b.contains(k)) return at + "/" + k;
    if (auto d = json_path_difference(v, b.at(k), at + "/" + k); !d.empty()) return d;
  }
  for (const auto& [k, v] : b.items())
    if (!a.contains(k)) return at + "/" + k;
  return "";
}

Result<nlohmann::json> read_json_file(const fs::path& path) {
  if (fs::exists(path))
    if (const std::string problem = file_problem(path.string()); !problem.empty())
      return Result<nlohmann::json>::failure({Diagnostic{Severity::error, path.string(), 0, 0, {}, problem}});
  std::ifstream in(path);
  if (!in) return Result<nlohmann::json>::failure({Diagnostic{Severity::error, path.string(), 0, 0, {}, "cannot be read"}});
  try {
    return Result<nlohmann::json>::success(nlohmann::json::parse(in));
  } catch (const std::exception& e) {
    return Result<nlohmann::json>::failure({Diagnostic{Severity::error, path.string(), 0, 0, {}, std::string("is not valid JSON: ") + e.what()}});
  }
}

std::optional<std::string> write_text_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return "cannot create " + tmp.string();
    out << text;
    out.flush();
    if (!out) return "cannot write " + tmp.string();
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return "cannot rename " + tmp.string() + ": " + ec.message();
  return std::nullopt;
}

// The unfinished dataset's settings.json holds `settings`; else an error naming the first difference.
Result<bool> same_settings(const fs::path& path, const nlohmann::json& settings) {
  auto previous = read_json_file(path);
  if (!previous) return Result<bool>::failure(previous.diagnostics());
  if (previous.value() == settings) return Result<bool>::success(true);
  return Result<bool>::failure({Diagnostic{Severity::error, path.string(), 0, 0, {},
                                           "the unfinished dataset was made with other settings (first difference at " +
                                               json_path_difference(previous.value(), settings) +
                                               "): resume it with the same command, or choose another directory"}});
}

const char* precision_name(MidPrecision p) { return p == MidPrecision::float32 ? "float32" : "float64"; }

}  // namespace

Split split_rows(long rows, double validation_fraction, double test_fraction, std::uint64_t seed) {
  Split s;
  if (rows <= 0) return s;
  std::vector<std::uint64_t> order(static_cast<std::size_t>(rows));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Fisher–Yates with counter-based draws: the same permutation on every platform
  for (std::size_t i = order.size() - 1; i > 0; --i) {
    const auto j = static_cast<std::size_t>(counter_uniform(seed, 0x5b117, i) * static_cast<double>(i + 1));
    std::swap(order[i], order[std::min(j, i)]);
  }
  const auto n_test = static_cast<std::size_t>(std::ceil(test_fraction * static_cast<double>(rows) - 1e-9));
  const auto n_val = static_cast<std::size_t>(std::ceil(validation_fraction * static_cast<double>(rows) - 1e-9));
  const std::size_t t = std::min(n_test, order.size()), v = std::min(n_val, order.size() - t);
  s.test.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(t));
  s.validation.assign(order.begin() + static_cast<std::ptrdiff_t>(t), order.begin() + static_cast<std::ptrdiff_t>(t + v));
  s.train.assign(order.begin() + static_cast<std::ptrdiff_t>(t + v), order.end());
  for (auto* list : {&s.train, &s.validation, &s.test}) std::sort(list->begin(), list->end());
  return s;
}

namespace {

// The merge stage: this rank's parts, in order, as one HDF5 file at `path` (its datasets,
// their column attributes and the train / validation / test split of its rows).
struct MergeInput {
  const nlohmann::json& file_manifest;
  const MidLayout& layout;
  std::vector<std::string> free_columns, full_columns;
  std::size_t n_free, n_full, n_mids;
  MidPrecision precision;
  int compression;
  const std::vector<long>& parts;       // this rank's
  const std::vector<long>& first_row;   // of every part, and the total at the end
  fs::path parts_dir;
  const Split& split;
  int ranks;
};

// (where, what) when it fails
std::optional<std::pair<std::string, std::string>> write_merged_file(const fs::path& tmp_path, const MergeInput& in, Part& part, PartBuffers& buffers) {
  long rows_here = 0;
  for (long p : in.parts) rows_here += in.first_row[static_cast<std::size_t>(p) + 1] - in.first_row[static_cast<std::size_t>(p)];
  try {
    H5Id fcpl = own(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "file properties");
    H5Id file = own(H5Fcreate(tmp_path.c_str(), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT), H5Fclose, "cannot create " + tmp_path.string());
    write_string_attribute(file, "format", "fluxion-dataset");
    write_int_attribute(file, "version", kDatasetFormatVersion);
    write_string_attribute(file, "manifest", in.file_manifest.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    const auto rows = static_cast<hsize_t>(rows_here);
    const int c = in.compression;
    const bool f32 = in.precision == MidPrecision::float32;
    const std::size_t n_free = in.n_free, n_full = in.n_full, n_mids = in.n_mids;
    H5Id d_mids = create_dataset(file, "mids", f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, rows, n_mids, c);
    H5Id d_free = create_dataset(file, "free_fluxes", H5T_IEEE_F64LE, rows, n_free, c);
    H5Id d_full = create_dataset(file, "fluxes", H5T_IEEE_F64LE, rows, n_full, c);
    H5Id d_draw = create_dataset(file, "draw", H5T_STD_U64LE, rows, 0, c);
    H5Id d_row = create_dataset(file, "row", H5T_STD_U64LE, rows, 0, c);
    write_strings_attribute(d_free, "columns", in.free_columns);
    write_strings_attribute(d_full, "columns", in.full_columns);
    std::vector<std::string> fields;
    for (const auto& f : in.layout.fields) fields.push_back(std::string(element_symbol(f.element)) + ":" + f.metabolite);
    write_strings_attribute(d_mids, "fields", fields);
    write_strings_attribute(d_mids, "experiments", in.layout.experiments);
    write_int_attribute(d_mids, "width", in.layout.width);
    write_string_attribute(d_mids, "order", "(field * experiments + experiment) * width + isotopologue");
    hsize_t at = 0;
    std::vector<std::uint64_t> row_index;
    for (long p : in.parts) {
      std::string why;
      const fs::path path = in.parts_dir / part_name(p);
      if (!read_part(path, n_free, n_full, n_mids, in.precision, part, buffers, why)) return std::pair{path.string(), why};
      const auto n = static_cast<hsize_t>(part.rows());
      if (f32) write_rows(d_mids, H5T_NATIVE_FLOAT, at, n, n_mids, buffers.floats.data());  // as read
      else write_rows(d_mids, H5T_NATIVE_DOUBLE, at, n, n_mids, part.mids.data());
      write_rows(d_free, H5T_NATIVE_DOUBLE, at, n, n_free, part.free.data());
      write_rows(d_full, H5T_NATIVE_DOUBLE, at, n, n_full, part.full.data());
      write_rows(d_draw, H5T_NATIVE_UINT64, at, n, 0, part.draw.data());
      std::vector<std::uint64_t> rws(n);
      for (hsize_t i = 0; i < n; ++i) rws[i] = static_cast<std::uint64_t>(in.first_row[static_cast<std::size_t>(p)]) + i;
      write_rows(d_row, H5T_NATIVE_UINT64, at, n, 0, rws.data());
      row_index.insert(row_index.end(), rws.begin(), rws.end());
      at += n;
    }
    H5Id g = create_group(file, "split");
    for (const auto& [name, list] : {std::pair{"train", &in.split.train}, std::pair{"validation", &in.split.validation}, std::pair{"test", &in.split.test}}) {
      std::vector<std::uint64_t> here;
      if (in.ranks == 1) here = *list;
      else
        std::set_intersection(list->begin(), list->end(), row_index.begin(), row_index.end(), std::back_inserter(here));
      H5Id d = create_dataset(g, name, H5T_STD_U64LE, here.size(), 0, c);
      write_rows(d, H5T_NATIVE_UINT64, 0, here.size(), 0, here.data());
    }
  } catch (const H5Error& e) {
    return std::pair{tmp_path.string(), std::string("HDF5: ") + e.what()};
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------- generator

std::vector<Diagnostic> DatasetOptions::validate() const {
  Diagnostics d("dataset options");
  if (rows < 0) d.error("must be 0 (until the sampler ends) or more", 0, 0, "rows");
  if (part_rows < 1) d.error("must be at least 1", 0, 0, "part_rows");
  if (density_neighbours < 0) d.error("must be 0 (off) or more", 0, 0, "density_neighbours");
  if (!(validation_fraction >= 0 && validation_fraction < 1)) d.error("must be in [0, 1)", 0, 0, "validation_fraction");
  if (!(test_fraction >= 0 && test_fraction < 1)) d.error("must be in [0, 1)", 0, 0, "test_fraction");
  if (!(validation_fraction + test_fraction < 1)) d.error("validation and test fractions must leave training rows", 0, 0, "test_fraction");
  if (compression < 0 || compression > 9) d.error("must be a deflate level from 0 to 9", 0, 0, "compression");
  if (time_course.active()) {
    if (pool_metabolites.size() != time_course.pools.size()) d.error("needs one metabolite index per pool", 0, 0, "pool_metabolites");
    for (std::size_t m : pool_metabolites)
      if (m >= n_metabolites) d.error("a pool's metabolite index is outside the model", 0, 0, "pool_metabolites");
    if (!(time_course.tolerance > 0)) d.error("must be > 0", 0, 0, "time_course.tolerance");
  }
  return d.items();
}

DatasetGenerator::DatasetGenerator(const FluxSpace& space, FluxSetSampler& sampler, std::vector<isotope::TracedElement> elements,
                                   std::vector<std::string> experiment_ids, DatasetOptions options)
    : space_(space), sampler_(sampler), elements_(std::move(elements)), options_(std::move(options)) {
  layout_ = make_mid_layout(elements_, experiment_ids, options_.time_course.times);
}

std::vector<std::string> DatasetGenerator::free_columns() const {
  std::vector<std::string> c;
  for (const auto& id : space_.free_net_ids()) c.push_back("net:" + id);
  for (const auto& id : space_.exchange_ids()) c.push_back("xch:" + id);
  for (const auto& p : options_.time_course.output_columns()) c.push_back(p);
  return c;
}

std::vector<std::string> DatasetGenerator::full_columns() const {
  std::vector<std::string> c;
  for (Eigen::Index j = 0; j < space_.n_reactions(); ++j) c.push_back("net:" + space_.column_ids()[static_cast<std::size_t>(j)]);
  for (Eigen::Index j : space_.exchange_columns()) c.push_back("xch:" + space_.column_ids()[static_cast<std::size_t>(j)]);
  for (const auto& p : options_.time_course.output_columns()) c.push_back(p);
  return c;
}

nlohmann::json DatasetGenerator::settings() const {
  return {{"format", "fluxion-dataset"},
          {"version", kDatasetFormatVersion},
          {"rows_requested", options_.rows},
          {"part_rows", options_.part_rows},
          {"mid_precision", precision_name(options_.precision)},
          {"density_neighbours", options_.density_neighbours},
          {"split", {{"validation", options_.validation_fraction}, {"test", options_.test_fraction}}},
          {"seed", options_.seed},
          {"provenance", options_.provenance},
          {"layout", layout_.to_json()},
          {"columns", {{"free_fluxes", free_columns()}, {"fluxes", full_columns()}}}};
}

Result<bool> DatasetGenerator::prepare(const std::string& directory, bool resume) const {
  using R = Result<bool>;
  auto fail = [&](const std::string& where, const std::string& what) {
    return R::failure({Diagnostic{Severity::error, where, 0, 0, {}, what}});
  };
  const fs::path dir(directory), settings_path = dir / "settings.json", manifest_path = dir / "manifest.json";
  const nlohmann::json settings = this->settings();
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) return fail(directory, "exists and is not a directory");
  if (fs::exists(manifest_path, ec))
    return fail(directory, resume ? "holds a finished dataset (manifest.json): nothing to resume"
                                  : "holds a finished dataset (manifest.json): choose another directory");
  if (fs::exists(settings_path, ec)) {
    if (!resume)
      return fail(directory, "holds an unfinished dataset (settings.json, parts/): add --resume to finish it, or choose another directory");
    return same_settings(settings_path, settings);
  }
  fs::create_directories(dir / "parts", ec);
  if (ec) return fail(directory, "cannot create the directory: " + ec.message());
  if (auto e = write_text_atomically(settings_path, settings.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n")) return fail(directory, *e);
  return R::success(true);
}

std::vector<Diagnostic> DatasetRun::validate() const {
  Diagnostics d("dataset run");
  if (threads < 1) d.error("must be at least 1", 0, 0, "threads");
  if (ranks < 1 || rank < 0 || rank >= ranks) d.error("rank " + std::to_string(rank) + " outside 0.." + std::to_string(ranks - 1), 0, 0, "ranks");
  if (stop_after_parts < 0) d.error("must be 0 (off) or more", 0, 0, "stop_after_parts");
  return d.items();
}

namespace {

// The MIDs of flux sets simulated in parallel into rows of the layout: one EMU simulator per
// thread and traced element.
class ParallelSimulator {
 public:
  ParallelSimulator(const std::vector<isotope::TracedElement>& elements, const MidLayout& layout, int threads, bool f32, const DatasetOptions& options)
      : elements_(elements), layout_(layout), threads_(threads), f32_(f32), n_mids_(layout.size()),
        sims_(static_cast<std::size_t>(threads)), outs_(static_cast<std::size_t>(threads)), series_(static_cast<std::size_t>(threads)),
        pool_sizes_(static_cast<std::size_t>(threads)), draws_{options} {
    inst_.times = options.time_course.times;
    inst_.tolerance = options.time_course.tolerance;
    for (auto& s : sims_)
      for (const auto& e : elements_) s.emplace_back(e.model);
    for (auto& o : outs_) o.resize(elements_.size());
    std::size_t f = 0;
    for (const auto& e : elements_) {
      field_offset_.push_back(f);
      f += e.model.measured().size();
    }
  }

  // Simulates sets[0..n) (draws first_draw, first_draw + 1, ...) into part rows; the first
  // failure's message, if any.
  std::optional<std::string> simulate(const std::vector<FluxVector>& sets, std::uint64_t first_draw, std::vector<double>& mids) {
    const std::size_t n = sets.size();
    mids.assign(n * n_mids_, 0.0);
    std::atomic<std::size_t> next{0};
    std::vector<std::optional<std::pair<std::size_t, std::string>>> failure(static_cast<std::size_t>(threads_));
    auto work = [&](std::size_t t) {
      for (;;) {
        const std::size_t begin = next.fetch_add(8);
        if (begin >= n) return;
        for (std::size_t i = begin; i < std::min(begin + 8, n); ++i) {
          double* row = mids.data() + i * n_mids_;
          if (!inst_.times.empty()) {
            simulate_time_course(t, sets[i], first_draw + i, row, failure[t], i);
            continue;
          }
          for (std::size_t e = 0; e < elements_.size(); ++e) {
            isotope::MidSet& out = outs_[t][e];
            if (sims_[t][e].simulate(sets[i], elements_[e].inputs, out) != isotope::SimulationStatus::ok) {
              if (!failure[t] || failure[t]->first > i) failure[t] = {i, sims_[t][e].message()};
              continue;
            }
            const std::size_t nk = out.offsets.size();
            for (int x = 0; x < out.n_experiments; ++x)
              for (std::size_t k = 0; k < nk; ++k) {
                const auto mid = out.mid(x, k);
                for (std::size_t q = 0; q < mid.size(); ++q) {
                  const double value = f32_ ? static_cast<double>(static_cast<float>(mid[q])) : mid[q];
                  row[layout_.index(field_offset_[e] + k, static_cast<std::size_t>(x), static_cast<int>(q))] = value;
                }
              }
          }
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads_; ++t) pool.emplace_back(work, static_cast<std::size_t>(t));
    work(0);
    for (auto& th : pool) th.join();
    std::optional<std::pair<std::size_t, std::string>> first;
    for (const auto& f : failure)
      if (f && (!first || f->first < first->first)) first = f;
    if (!first) return std::nullopt;
    return "flux set " + std::to_string(first->first) + " of its batch cannot be simulated: " + first->second;
  }

 private:
  // One row of a time course: block (experiment x, time k) = layout experiment x·T + k.
  void simulate_time_course(std::size_t t, const FluxVector& v, std::uint64_t draw, double* row,
                            std::optional<std::pair<std::size_t, std::string>>& failure, std::size_t i) {
    draws_.fill(draw, pool_sizes_[t]);
    const std::size_t n_times = inst_.times.size();
    for (std::size_t e = 0; e < elements_.size(); ++e) {
      auto& series = series_[t];
      isotope::SimulationStatus status;
      try {
        status = sims_[t][e].simulate_instationary(v, pool_sizes_[t], elements_[e].inputs, inst_, series);
      } catch (const std::exception& ex) {
        if (!failure || failure->first > i) failure = {i, ex.what()};
        return;
      }
      if (status != isotope::SimulationStatus::ok) {
        if (!failure || failure->first > i)
          failure = {i, status == isotope::SimulationStatus::step_limit ? "the time course needs more integration steps than allowed" : sims_[t][e].message()};
        return;
      }
      for (std::size_t k = 0; k < n_times; ++k) {
        const isotope::MidSet& out = series[k];
        for (int x = 0; x < out.n_experiments; ++x)
          for (std::size_t m = 0; m < out.offsets.size(); ++m) {
            const auto mid = out.mid(x, m);
            for (std::size_t q = 0; q < mid.size(); ++q) {
              const double value = f32_ ? static_cast<double>(static_cast<float>(mid[q])) : mid[q];
              row[layout_.index(field_offset_[e] + m, static_cast<std::size_t>(x) * n_times + k, static_cast<int>(q))] = value;
            }
          }
      }
    }
  }

  const std::vector<isotope::TracedElement>& elements_;
  const MidLayout& layout_;
  int threads_;
  bool f32_;
  std::size_t n_mids_;
  std::vector<std::vector<isotope::EmuSimulator>> sims_;
  std::vector<std::vector<isotope::MidSet>> outs_;
  std::vector<std::vector<isotope::MidSet>> series_;  // per thread: a time course's MIDs per time
  std::vector<std::vector<double>> pool_sizes_;       // per thread: the row's pool sizes
  PoolDraws draws_;
  isotope::InstationaryOptions inst_;
  std::vector<std::size_t> field_offset_;
};

// One run of the generator in its stages: the parts are produced (in draw order, or one
// after the other by density acceptance; each skipped when a whole one from an earlier run
// is on disk), then this rank's parts are merged into its HDF5 file.
struct RunStages {
  using R = Result<DatasetSummary>;
  RunStages(const FluxSpace& space, FluxSetSampler& sampler, const MidLayout& layout, const DatasetOptions& options, const DatasetRun& run,
            ParallelSimulator& simulator, fs::path parts)
      : space_(space), sampler_(sampler), layout_(layout), options_(options), r(run), sim(simulator), parts_dir(std::move(parts)),
        n_free(static_cast<std::size_t>(space.n_free()) + PoolDraws{options}.n_outputs()),
        n_full(static_cast<std::size_t>(space.n_reactions() + space.n_exchange()) + PoolDraws{options}.n_outputs()),
        n_mids(layout.size()), target(options.rows),
        bar(run.ranks > 1 ? "dataset (rank " + std::to_string(run.rank) + ")" : "dataset", options.rows, "rows", run.progress) {}

  const FluxSpace& space_;
  FluxSetSampler& sampler_;
  const MidLayout& layout_;
  const DatasetOptions& options_;
  const DatasetRun& r;
  ParallelSimulator& sim;
  const fs::path parts_dir;
  const std::size_t n_free, n_full, n_mids;
  const long target;
  DatasetSummary summary;
  ProgressBar bar;
  long total_rows = 0, parts_total = 0;
  long draws = 0;  // sampler draws behind the rows decided so far
  std::string stream_end;
  double t_sim = 0, t_write = 0;
  PartBuffers buffers;
  Part part, old;
  std::error_code ec;

  static R fail(const std::string& where, const std::string& what) { return R::failure({Diagnostic{Severity::error, where, 0, 0, {}, what}}); }
  std::optional<std::string> simulate(const std::vector<FluxVector>& sets, long first_draw, std::vector<double>& mids) {
    return sim.simulate(sets, static_cast<std::uint64_t>(first_draw), mids);
  }
  void fill_fluxes(const FluxVector& v, std::uint64_t draw, Part& p) const {
    const Eigen::VectorXd free = space_.full_to_free(v);
    p.free.insert(p.free.end(), free.data(), free.data() + free.size());
    PoolDraws{options_}.outputs(draw, p.free);
    for (Eigen::Index j = 0; j < space_.n_reactions(); ++j) p.full.push_back(v.net(j));
    for (Eigen::Index j : space_.exchange_columns()) p.full.push_back(v.exchange(j));
    PoolDraws{options_}.outputs(draw, p.full);
  }
  bool stopping() const { return (r.stop && r.stop->load()) || (r.stop_after_parts > 0 && summary.parts_written >= r.stop_after_parts); }
  fs::path part_path(long p) const { return parts_dir / part_name(p); }
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }
  static void reset(Part& x, long index) {
    x.index = index;
    x.draw.clear();
    x.free.clear();
    x.full.clear();
    x.mids.clear();
    x.dmax = 0;
    x.draws_after = 0;
  }

  // Each stage returns a result when the run ends in it: an error, or a stop (a signal, or
  // the part limit) with the parts written so far.
  std::optional<R> produce_in_order() {
    Producer producer(sampler_, [&](long) { return options_.part_rows; }, target);
    for (long p = 0;; ++p) {
      Batch b = producer.pop();
      if (b.failed) return fail("sampler", "after " + std::to_string(b.first + static_cast<long>(b.sets.size())) + " flux sets: " + b.message);
      if (b.ended && !b.message.empty()) stream_end = b.message;
      draws = b.ended || b.sets.empty() ? b.draws_at_end : b.draws_after.back();
      if (b.sets.empty()) break;
      const long n = static_cast<long>(b.sets.size());
      if (p % r.ranks == r.rank) {
        bool have = false;
        if (fs::exists(part_path(p), ec)) {
          std::string why;
          const bool whole = read_part(part_path(p), n_free, n_full, n_mids, options_.precision, old, buffers, why);
          if (whole && old.rows() == n && old.index == p && old.draw.front() == static_cast<std::uint64_t>(b.first)) {
            have = true;
            ++summary.parts_resumed;
          } else {
            spdlog::warn("{}: {}; simulating it again", part_path(p).string(), whole ? "does not match this run" : why);
          }
        }
        if (!have) {
          if (stopping()) {
            bar.finish();
            summary.rows = total_rows;
            summary.draws = draws;
            return R::success(summary);
          }
          reset(part, p);
          for (long i = 0; i < n; ++i) {
            part.draw.push_back(static_cast<std::uint64_t>(b.first + i));
            fill_fluxes(b.sets[static_cast<std::size_t>(i)], static_cast<std::uint64_t>(b.first + i), part);
          }
          part.draws_after = static_cast<std::uint64_t>(b.draws_after.back());
          const auto t0 = std::chrono::steady_clock::now();
          if (auto e = simulate(b.sets, b.first, part.mids))
            return fail("simulation", "draw " + std::to_string(b.first) + "+: " + *e);
          t_sim += seconds_since(t0);
          const auto t1 = std::chrono::steady_clock::now();
          if (auto e = write_part(part_path(p), part, options_.precision, buffers)) return fail(parts_dir.string(), *e);
          t_write += seconds_since(t1);
          ++summary.parts_written;
        }
      }
      total_rows += n;
      parts_total = p + 1;
      bar.update(total_rows);
      if (b.ended) break;
    }
    return std::nullopt;
  }

  std::optional<R> produce_by_density() {
    // density acceptance: candidates from the stream, kept one after the other
    const std::size_t k = static_cast<std::size_t>(options_.density_neighbours);
    std::vector<float> kept;  // the MID vectors of the kept rows
    double dmax2 = 0;         // largest squared distance between two kept rows
    long last_draw = -1;
    long p = 0;
    for (;; ++p) {  // the parts already on disk
      if (!fs::exists(part_path(p), ec)) break;
      std::string why;
      const bool whole = read_part(part_path(p), n_free, n_full, n_mids, options_.precision, old, buffers, why);
      if (!whole || old.index != p || old.rows() == 0) {
        spdlog::warn("{}: {}; continuing from the part before it", part_path(p).string(), whole ? "does not match this run" : why);
        fs::remove(part_path(p), ec);
        break;
      }
      kept.insert(kept.end(), old.mids.begin(), old.mids.end());
      dmax2 = old.dmax * old.dmax;
      last_draw = static_cast<long>(old.draw.back());
      draws = static_cast<long>(old.draws_after);
      total_rows += old.rows();
      ++summary.parts_resumed;
    }
    for (long q = p + 1;; ++q) {  // parts after a gap are not used
      if (!fs::exists(part_path(q), ec)) break;
      fs::remove(part_path(q), ec);
    }
    const long skip = last_draw + 1;  // stream positions already decided
    long decided = skip;
    Producer producer(sampler_, [&](long) { return options_.part_rows; }, 0);
    reset(part, p);
    bool done = target > 0 && total_rows >= target;
    std::vector<double> mids;
    while (!done) {
      Batch b = producer.pop();
      if (b.failed) return fail("sampler", "after " + std::to_string(b.first + static_cast<long>(b.sets.size())) + " flux sets: " + b.message);
      if (b.ended && !b.message.empty()) stream_end = b.message;
      std::size_t from = 0;
      if (skip > b.first) from = static_cast<std::size_t>(std::min<long>(skip - b.first, static_cast<long>(b.sets.size())));
      std::vector<FluxVector> todo(b.sets.begin() + static_cast<std::ptrdiff_t>(from), b.sets.end());
      if (!todo.empty()) {
        const auto t0 = std::chrono::steady_clock::now();
        if (auto e = simulate(todo, b.first + static_cast<long>(from), mids)) return fail("simulation", "draw " + std::to_string(b.first + static_cast<long>(from)) + "+: " + *e);
        const std::size_t n = todo.size();
        std::vector<float> cand(mids.begin(), mids.end());
        // distances to the rows kept before this batch, in parallel
        const std::size_t before = kept.size() / std::max<std::size_t>(n_mids, 1);
        std::vector<Neighbours> nb(n);
        std::atomic<std::size_t> next{0};
        auto work = [&] {
          for (std::size_t i; (i = next.fetch_add(1)) < n;)
            for (std::size_t j = 0; j < before; ++j)
              nb[i].add(squared_distance(cand.data() + i * n_mids, kept.data() + j * n_mids, n_mids), k);
        };
        std::vector<std::thread> pool;
        for (int t = 1; t < r.threads; ++t) pool.emplace_back(work);
        work();
        for (auto& th : pool) th.join();
        t_sim += seconds_since(t0);
        // decisions in draw order, with the rows kept within this batch
        for (std::size_t i = 0; i < n && !done; ++i) {
          const float* c = cand.data() + i * n_mids;
          for (std::size_t j = before; j < kept.size() / std::max<std::size_t>(n_mids, 1); ++j)
            nb[i].add(squared_distance(c, kept.data() + j * n_mids, n_mids), k);
          const long draw = b.first + static_cast<long>(from + i);
          decided = draw + 1;
          draws = b.draws_after[from + i];
          const double d = nb[i].mean_distance(), dmax = std::sqrt(dmax2);
          const bool keep = nb[i].nearest.empty() || dmax <= 0 || counter_uniform(options_.seed, 0xde75, static_cast<std::uint64_t>(draw)) * dmax < d;
          if (!keep) continue;
          dmax2 = std::max(dmax2, static_cast<double>(nb[i].farthest));
          kept.insert(kept.end(), c, c + n_mids);
          part.draw.push_back(static_cast<std::uint64_t>(draw));
          fill_fluxes(todo[i], static_cast<std::uint64_t>(draw), part);
          part.draws_after = static_cast<std::uint64_t>(draws);
          part.mids.insert(part.mids.end(), mids.begin() + static_cast<std::ptrdiff_t>(i * n_mids),
                           mids.begin() + static_cast<std::ptrdiff_t>((i + 1) * n_mids));
          ++total_rows;
          done = target > 0 && total_rows >= target;
          if (part.rows() == options_.part_rows || done) {
            part.dmax = std::sqrt(dmax2);
            const auto t1 = std::chrono::steady_clock::now();
            if (auto e = write_part(part_path(part.index), part, options_.precision, buffers)) return fail(parts_dir.string(), *e);
            t_write += seconds_since(t1);
            ++summary.parts_written;
            reset(part, ++p);
            bar.update(total_rows);
            if (!done && stopping()) {
              bar.finish();
              summary.rows = total_rows;
              summary.draws = draws;
              return R::success(summary);
            }
          }
        }
      }
      if (b.ended) {
        if (!done) {
          decided = b.first + static_cast<long>(b.sets.size());
          draws = b.draws_at_end;
        }
        break;
      }
    }
    summary.density_rejections = decided - total_rows;
    if (part.rows() > 0) {
      part.dmax = std::sqrt(dmax2);
      if (auto e = write_part(part_path(part.index), part, options_.precision, buffers)) return fail(parts_dir.string(), *e);
      ++summary.parts_written;
      ++p;
    }
    parts_total = p;
    return std::nullopt;
  }

  R merge(const std::string& directory, const nlohmann::json& settings, const std::vector<std::string>& free_cols,
          const std::vector<std::string>& full_cols) {
    const fs::path dir(directory), settings_path = dir / "settings.json", manifest_path = dir / "manifest.json";
    const auto t_merge = std::chrono::steady_clock::now();
    std::vector<long> mine;
    long rows_here = 0;
    std::vector<long> first_row(static_cast<std::size_t>(parts_total) + 1, 0);
    {
      // rows per part: every part is full but the last, in both modes
      for (long p = 0; p < parts_total; ++p)
        first_row[static_cast<std::size_t>(p) + 1] = std::min(total_rows, (p + 1) * options_.part_rows);
      for (long p = r.rank; p < parts_total; p += r.ranks) {
        mine.push_back(p);
        rows_here += first_row[static_cast<std::size_t>(p) + 1] - first_row[static_cast<std::size_t>(p)];
      }
    }
    const Split split = split_rows(total_rows, options_.validation_fraction, options_.test_fraction, options_.seed);
    const std::string file_name = r.ranks == 1 ? "dataset.h5" : "shard-" + std::to_string(r.rank) + ".h5";
    const fs::path file_path = dir / file_name, tmp_path = dir / (file_name + ".tmp");
    nlohmann::json manifest = {{"settings", settings},
                               {"rows", total_rows},
                               {"draws", summary.draws},
                               {"density_rejections", summary.density_rejections},
                               {"split_sizes", {{"train", split.train.size()}, {"validation", split.validation.size()}, {"test", split.test.size()}}},
                               {"stream_end", stream_end}};
    {
      nlohmann::json file_manifest = manifest;
      file_manifest["shard"] = {{"rank", r.rank}, {"ranks", r.ranks}, {"rows", rows_here}};
      const MergeInput in{file_manifest, layout_, free_cols, full_cols, n_free, n_full, n_mids, options_.precision, options_.compression,
                          mine, first_row, parts_dir, split, r.ranks};
      if (auto problem = write_merged_file(tmp_path, in, part, buffers)) {
        fs::remove(tmp_path, ec);
        return fail(problem->first, problem->second);
      }
    }
    fs::rename(tmp_path, file_path, ec);
    if (ec) return fail(file_path.string(), "cannot rename the finished file: " + ec.message());
    for (long p : mine) fs::remove(part_path(p), ec);
    if (r.ranks == 1) {
      manifest["shards"] = nlohmann::json::array({{{"file", file_name}, {"rows", rows_here}}});
      if (auto e = write_text_atomically(manifest_path, manifest.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n")) return fail(directory, *e);
      fs::remove(settings_path, ec);
      fs::remove(parts_dir, ec);
    }
    summary.complete = true;
    summary.rows_here = rows_here;
    summary.file = file_path.string();
    summary.seconds_writing = t_write;
    summary.seconds_merging = seconds_since(t_merge);
    return R::success(summary);
  }
};

}  // namespace

Result<DatasetSummary> DatasetGenerator::run(const std::string& directory, const DatasetRun& r) {
  using R = Result<DatasetSummary>;
  if (auto problems = options_.validate(); !problems.empty()) return R::failure(problems);
  io::hdf5::silence();
  if (auto problems = r.validate(); !problems.empty()) return R::failure(problems);
  if (options_.density_neighbours > 0 && r.ranks > 1)
    return RunStages::fail("density acceptance", "decides each draw from every row kept before it: run it in one process (threads are fine), not under mpirun");

  const fs::path dir(directory), parts_dir = dir / "parts", settings_path = dir / "settings.json";
  const nlohmann::json settings = this->settings();
  std::error_code ec;
  if (!fs::exists(settings_path, ec)) return RunStages::fail(directory, "has no settings.json: prepare() the directory first");
  if (auto same = same_settings(settings_path, settings); !same) return R::failure(same.diagnostics());
  fs::create_directories(parts_dir, ec);
  if (ec) return RunStages::fail(parts_dir.string(), "cannot create the directory: " + ec.message());

  ParallelSimulator simulator(elements_, layout_, r.threads, options_.precision == MidPrecision::float32, options_);
  RunStages stages(space_, sampler_, layout_, options_, r, simulator, parts_dir);
  const auto produced = options_.density_neighbours > 0 ? stages.produce_by_density() : stages.produce_in_order();
  if (produced) return *produced;
  stages.bar.finish();
  DatasetSummary& summary = stages.summary;
  summary.rows = stages.total_rows;
  summary.draws = stages.draws;
  summary.stream_end = stages.stream_end;
  summary.seconds_simulating = stages.t_sim;
  if (stages.total_rows == 0)
    return RunStages::fail("sampler", "produced no flux sets" + (stages.stream_end.empty() ? std::string() : ": " + stages.stream_end));
  return stages.merge(directory, settings, free_columns(), full_columns());
}

// ---------------------------------------------------------------- shards

Result<bool> write_shard_manifest(const std::string& directory, int ranks) {
  const fs::path dir(directory);
  nlohmann::json manifest;
  nlohmann::json shards = nlohmann::json::array();
  for (int k = 0; k < ranks; ++k) {
    const std::string name = "shard-" + std::to_string(k) + ".h5";
    auto contents = read_dataset((dir / name).string());
    if (!contents) return Result<bool>::failure(contents.diagnostics());
    nlohmann::json m = contents.value().manifest;
    const long rows = contents.value().rows;
    m.erase("shard");
    if (k == 0) manifest = m;
    else if (m != manifest)
      return Result<bool>::failure({Diagnostic{Severity::error, (dir / name).string(), 0, 0, {}, "belongs to another dataset than shard-0.h5"}});
    shards.push_back({{"file", name}, {"rows", rows}});
  }
  manifest["shards"] = shards;
  if (auto e = write_text_atomically(dir / "manifest.json", manifest.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"))
    return Result<bool>::failure({Diagnostic{Severity::error, directory, 0, 0, {}, *e}});
  std::error_code ec;
  fs::remove(dir / "settings.json", ec);
  fs::remove(dir / "parts", ec);
  return Result<bool>::success(true);
}

}  // namespace fluxion::sampling
