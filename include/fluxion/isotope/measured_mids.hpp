// Measured mass isotopomer distributions as the engines take them (the least-squares fit,
// the predictor packages): one MID per experiment, traced element, metabolite or fragment,
// and replicate. io/mid_table.hpp reads them from files.
#pragma once

#include <string>
#include <vector>

#include "fluxion/core/model.hpp"

namespace fluxion::isotope {

struct MeasuredMid {
  std::string experiment;
  Element element = Element::C;
  std::string fragment;         // "Glu", "Ala[2,3]"
  std::string replicate;        // empty without a replicate column
  std::vector<double> fraction;  // M+0 .. M+n; NaN where a row is missing
  std::vector<double> sd;        // same length; NaN where not given
  int line = 0;                  // first row of this MID
  std::string name;              // as the input names it when that differs (mfapy's
                                 // "Ala[M-57]"); empty = fragment
  bool scaled = false;           // measured up to a factor (influx_si's MS groups): the fit
                                 // scales the simulated MID by the least-squares factor
  double time = -1;              // after the switch to the tracers (time courses); < 0: steady state
};

struct MidTable {
  std::vector<MeasuredMid> mids;  // in order of first appearance
  bool isocor = false;            // read from IsoCor's corrected output
  std::string source;             // the file it was read from (for messages about its lines)
};

}  // namespace fluxion::isotope
