// fluxion correct: natural-abundance and tracer-purity correction of raw intensities.
#include <spdlog/spdlog.h>


#include "commands.hpp"
#include "fluxion/io/text_file.hpp"
#include "fluxion/io/intensity_table.hpp"
#include "fluxion/io/run_info.hpp"

namespace fluxion::cli {

void add_correct_command(CLI::App& app, Context& ctx, const std::vector<std::string>& argv) {
  static std::string input, output, tracer = "13C", isotopes;
  static double purity = 1.0;
  static bool keep_tracer_natural = false;
  auto* cmd = app.add_subcommand(
      "correct", "Correct raw isotopologue intensities for natural isotopes and tracer impurity (correction matrix + NNLS)");
  cmd->add_option("input", input, "Intensities: sample, metabolite, isotopologue, area, formula, [derivative]")->required();
  cmd->add_option("-o,--output", output, "Output directory (corrected.tsv in IsoCor's columns, run_info.json)")->required();
  cmd->add_option("--tracer", tracer, "Tracer isotope")->check(CLI::IsMember({"13C", "2H", "15N", "18O"}))->capture_default_str();
  cmd->add_option("--purity", purity, "Isotopic purity of the tracer at labelled positions")->check(Range(1e-9, 1.0))->capture_default_str();
  cmd->add_option("--isotopes", isotopes,
                  "Natural isotope abundances replacing the built-in ones, in IsoCor's Isotopes.dat layout "
                  "(element, then abundances by nominal mass)");
  cmd->add_flag("--no-tracer-natural-abundance", keep_tracer_natural,
                "Leave natural isotopes of the tracer element at unlabelled positions in the data (for simulators that put them on substrates)");
  cmd->callback([&ctx, argv] {
    io::RunInfo info(argv);
    io::CorrectionSettings s;
    if (!isotopes.empty()) {
      auto text = io::read_text_file(isotopes);  // the readers' encoding policy; pipes refused
      if (!accept(text, ctx)) return;
      auto table = isotope::parse_isotope_table(text.value(), isotopes);
      if (!accept(table, ctx)) return;
      s.isotopes = table.value();
    }
    auto sets = io::load_intensity_table(input, &s.isotopes);
    if (!accept(sets, ctx)) return;
    s.tracer = tracer == "13C" ? Element::C : tracer == "2H" ? Element::H : tracer == "15N" ? Element::N : Element::O;
    s.purity = purity;
    s.tracer_natural_abundance = !keep_tracer_natural;
    auto table = io::correct_intensity_table(sets.value(), s, input);
    if (!accept(table, ctx)) return;
    auto dir = io::make_output_directory(output);
    if (!dir) {
      print_diagnostics(dir.diagnostics());
      ctx.exit_code = kExitInput;
      return;
    }
    const std::string path = output + "/corrected.tsv";
    if (auto w = io::write_output_file(path, table.value()); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    info.add_input("intensities", input);
    if (!isotopes.empty()) info.add_input("isotopes", isotopes);
    info.set("isotope_abundances", isotopes.empty() ? "built-in" : "from --isotopes, built-in for other elements");
    info.set("tracer", tracer);
    info.set("purity", std::to_string(purity));
    info.set("tracer_natural_abundance_corrected", keep_tracer_natural ? "no" : "yes");
    info.set("method", "low-resolution correction matrix, non-negative least squares");
    info.add_output(path);
    if (auto w = info.write(output); !w) {
      print_diagnostics(w.diagnostics());
      ctx.exit_code = kExitFailure;
      return;
    }
    spdlog::info("read {} spectra; wrote {}", sets.value().size(), path);
  });
}

}  // namespace fluxion::cli
