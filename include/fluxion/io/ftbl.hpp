// FTBL files (13CFLUX's format, as influx_si reads it): a network with carbon maps, the
// flux constraints, the label input and the measurements of one tracer experiment, in one
// tab-indented text file of sections:
//
//   NETWORK            FLUX_NAME EDUCT_1 EDUCT_2 PRODUCT_1 PRODUCT_2, each reaction followed
//                      by a row of carbon maps ("#ABC"); at most two educts and two products
//   FLUXES NET / XCH   per flux: F (free, with a start), D (dependent) or C (fixed at VALUE)
//   EQUALITIES / INEQUALITIES NET / XCH   VALUE [COMP] FORMULA ("1 <= pyk", "0 fum_a-fum_b")
//   FLUX_MEASUREMENTS  FLUX_NAME VALUE DEVIATION (net fluxes)
//   LABEL_INPUT        META_NAME ISOTOPOMER VALUE ("Gluc_1 #100000 1")
//   MASS_SPECTROMETRY  META_NAME FRAGMENT WEIGHT VALUE DEVIATION, one group per fragment
//   OPTIONS            OPT_NAME OPT_VALUE (commandArgs "--noscale" is honoured)
//
// How fluxion reads it (influx_si's conventions, docs/formats.md):
//  - a metabolite never produced is an input, one never consumed an output (boundary);
//    a reaction consuming an input or producing an output is irreversible with net >= 0;
//  - a reaction whose XCH is fixed at 0 is irreversible (net >= 0; influx_si leaves that
//    sign free unless --clownr); every other reaction is reversible, net in [-1000, 1000]
//    (influx_si's --cupn), exchange flux <= 999 (its --cupx 0.999);
//  - XCH values are on influx_si's [0, 1) scale: xch = x / (1 - x); fixed ones become
//    "xch(r) == value" relations, and XCH equalities may only tie two exchange fluxes
//    together ("0 a-b"), the one form that is linear in xch;
//  - each MASS_SPECTROMETRY group is fitted up to a free scale factor (influx_si's
//    default; `--noscale` in OPTIONS commandArgs turns that off); NA values are missing;
//  - a reaction may span several rows of the same name (more than two educts or
//    products); "#" alone is a participant without carbon, "2*NADPH" a coefficient;
//    NOTRACER_NETWORK reactions ("v24 2.04*G6P+1.4*E4P = Biomass") have no carbon maps;
//  - instationary files (influx_i: OPTIONS file_labcin names the time-course measurements):
//    METABOLITE_POOLS give the pool sizes (META_SIZE > 0 fixed, < 0 fitted from |size|,
//    between influx_si's --clowp and --cupp, 1e-8 and 1e5 unless commandArgs sets them),
//    METAB_MEASUREMENTS measured pools; the file_labcin table is read by read_ftbl_labcin;
//    tmax, dt and nsubdiv_dt (influx_i's time grid) are not used: fluxion's integrator
//    keeps its own tolerance;
//  - LABEL_MEASUREMENTS, PEAK_MEASUREMENTS (NMR) and METAB constraints are not used (nor
//    METABOLITE_POOLS and METAB_MEASUREMENTS without file_labcin), with a warning naming
//    their lines; parallel experiments in other files (prl_exp) and MS groups of pooled
//    metabolites ("Rib5P+Xul5P") are errors.
// Errors give the line and the column of the cell.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fluxion/core/diagnostics.hpp"
#include "fluxion/core/model.hpp"
#include "fluxion/isotope/measured_mids.hpp"
#include "fluxion/isotope/tracer.hpp"

namespace fluxion::io {

// influx_si's upper limit of exchange fluxes on its [0, 1) scale (--cupx), as fluxion's
// exchange flux: 0.999 / (1 - 0.999).
inline constexpr double kFtblExchangeMax = 999.0;

struct FtblFluxMeasurement {
  std::string reaction;  // its net flux
  double value = 0, sd = 1;
  int line = 0;
};

struct FtblPool {
  std::string metabolite;
  double size = 0;       // |META_SIZE|
  bool fitted = false;   // META_SIZE < 0
  double sd = 0;         // > 0: measured (METAB_MEASUREMENTS), `size` its value
  int line = 0;
};

struct FtblFile {
  Model model;                             // reactions, boundary metabolites, relations
  isotope::TracerExperiment experiment;    // LABEL_INPUT
  std::vector<int> tracer_lines;           // the line of each component
  isotope::MidTable mids;                  // MASS_SPECTROMETRY, one MID per group
  std::vector<FtblFluxMeasurement> fluxes; // FLUX_MEASUREMENTS
  // instationary files: OPTIONS file_labcin (as written: relative to the FTBL's folder),
  // the pools, their bounds, and the (MID, isotopologue) of each MASS_SPECTROMETRY row by line
  std::string labcin;
  int labcin_line = 0;
  std::vector<FtblPool> pools;
  double pool_lower = 1e-8, pool_upper = 1e5;
  std::map<int, std::pair<std::size_t, int>> ms_rows;
  std::map<std::string, std::vector<int>> ms_lines;  // "META:1,2,3:WEIGHT" -> the lines of such rows
};

// The name fluxion gives an FTBL file's experiment (and model): the file name without its
// directory and its .ftbl / .ftbl.gz ("data/e_coli.ftbl" -> "e_coli").
std::string ftbl_experiment_id(const std::string& path);

// `experiment` names the tracer experiment (ftbl_experiment_id of the file).
Result<FtblFile> read_ftbl(std::string_view text, const std::string& source, const std::string& experiment);

// influx_i's time-course measurements (the file_labcin table): a header "row_col t1 t2 …"
// of times, then one row per measured fraction, named "m:META:FRAGMENT:WEIGHT:LINE" where
// LINE is the FTBL's MASS_SPECTROMETRY row (its SD and scale group), with one value per
// time (NA: missing); '#' starts a comment. A row is matched to the FTBL's row of that
// metabolite, fragment and weight (LINE decides between groups measuring the same fragment;
// influx_si's own example names the lines of another version of its FTBL). One MID per group
// and time. Errors name file, line and column.
Result<isotope::MidTable> read_ftbl_labcin(std::string_view text, const std::string& source, const FtblFile& ftbl);

// The network alone, for load_model.
Result<Model> read_ftbl_model(std::string_view text, const std::string& source);

// xch on influx_si's [0, 1) scale as fluxion's exchange flux, and back.
double ftbl_exchange_from_unit(double x);
double ftbl_exchange_to_unit(double xch);

}  // namespace fluxion::io
