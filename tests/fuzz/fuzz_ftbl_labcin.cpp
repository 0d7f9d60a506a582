// Fuzz target: influx_i's time-course measurements (the file_labcin table) of a fixed
// instationary FTBL (the toy network: MS groups of C and D, pools, file_labcin) must give a
// Result for any input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fluxion/io/ftbl.hpp"

namespace {

constexpr std::string_view kToy =
    "PROJECT\n\tNAME\tVERSION\n\ttoy_i.ftbl\t1\n\n"
    "NETWORK\n\tFLUX_NAME\tEDUCT_1\tEDUCT_2\tPRODUCT_1\tPRODUCT_2\n"
    "\tv1\tA_in\t\tB\n\t\t#ab\t\t#ab\n\tv2\tB\t\tC\n\t\t#ab\t\t#ba\n\tv3\tB\t\tD\tD\n\t\t#ab\t\t#a\t#b\n"
    "\tv4\tC\t\tE\n\t\t#ab\t\t#ab\n\tv5\tD\t\tF\n\t\t#a\t\t#a\n\n"
    "FLUXES\n\tNET\n\t\tNAME\tFCD\tVALUE(F/C)\n\t\tv1\tC\t1\n\t\tv2\tF\t0.6\n\t\tv3\tD\n\t\tv4\tD\n\t\tv5\tD\n"
    "\tXCH\n\t\tNAME\tFCD\tVALUE(F/C)\n\t\tv1\tD\n\t\tv2\tF\t0.3\n\t\tv3\tC\t0\n\t\tv4\tD\n\t\tv5\tD\n\n"
    "LABEL_INPUT\n\tMETA_NAME\tISOTOPOMER\tVALUE\n\tA_in\t#10\t0.5\n\t\t#11\t0.5\n\n"
    "MASS_SPECTROMETRY\n\tMETA_NAME\tFRAGMENT\tWEIGHT\tVALUE\tDEVIATION\n"
    "\tC\t1,2\t0\t0.4\t0.01\n\t\t\t1\t0.35\t0.01\n\t\t\t2\t0.25\t0.01\n\tD\t1\t0\t0.6\t0.01\n\t\t\t1\t0.4\t0.01\n\n"
    "METABOLITE_POOLS\n\tMETA_NAME\tMETA_SIZE\n\tB\t1\n\tC\t-2\n\tD\t-0.5\n\n"
    "METAB_MEASUREMENTS\n\tMETA_NAME\tVALUE\tDEVIATION\n\tC\t2.1\t0.2\n\n"
    "OPTIONS\n\tOPT_NAME\tOPT_VALUE\n\tfile_labcin\ttoy_i_labcin.txt\n\tcommandArgs\t--noscale --clowp 1e-6\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto toy = fluxion::io::read_ftbl(kToy, "toy_i.ftbl", "toy_i");
  if (!toy.ok()) __builtin_trap();  // the fixed file must read
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)fluxion::io::read_ftbl_labcin(text, "fuzz_labcin.txt", toy.value());
  return 0;
}
