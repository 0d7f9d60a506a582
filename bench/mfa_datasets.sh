# The real ¹³C-MFA datasets of ../shared/data/mfa as `fluxion fit` arguments, for the fit
# benchmarks (sourced: bench/fit_default_starts.sh, fit_solvers.sh, fit_exchange_parameters.sh).
#   mfa_prepare DATA OUT NAME...     writes the inputs that need preparing (park, Toya strains) under OUT
#   mfa_dataset_args DATA OUT NAME   prints the arguments of one dataset: ecoli, tutorial1, mcf7,
#                                    influx_si, park, or a Toya strain (wt5h, pgi16h, pyk5h, ...)
mfa_prepare() {
  local data=$1 out=$2 set
  shift 2
  for set in "$@"; do
    case $set in
      park) bash examples/park2016/prepare.sh "$data/mfa/park2016/mammalia" "$out/park" > /dev/null ;;
      wt* | pgi* | pyk*) python3 bench/bayflux_toya.py "$data/mfa/bayflux" "$set" "$out/$set" > /dev/null ;;
    esac
  done
}

mfa_dataset_args() {
  local data=$1 out=$2 mf="$1/mfa/mfapy"
  local ecoli_na=SubsGlc,SubsAla,SubsAsp,SubsThr,SubsGlu,SubsPhe,SubsTyr,SubsIle,SubsLeu,SubsVal
  case $3 in
    ecoli) echo "-m $mf/Example_2_Ecoli_model.txt --mfapy-mdv $mf/Example_2_Ecoli_mdv.txt --mfapy-status $mf/Example_2_Ecoli_status.csv -e examples/mfapy_ecoli/tracers.tsv --natural-abundance $ecoli_na" ;;
    tutorial1) echo "-m $mf/Tutorial_1_13C-MFAEcoli_model.txt --mfapy-mdv $mf/Tutorial_1_13C-MFAEcoli_mdv.txt --mfapy-sd 0.01 --mfapy-status $mf/Tutorial_1_13C-MFAEcoli_status.csv -e examples/mfapy_ecoli/tracers.tsv --natural-abundance $ecoli_na" ;;
    mcf7) echo "-m $mf/Example_3_MCF7_model.txt --mfapy-mdv $mf/Example_3_MCF7_mdv_1_13C_Glc.txt --mfapy-mdv $mf/Example_3_MCF7_mdv_U_13C_Gln.txt --mfapy-sd 0.015 --mfapy-status $mf/Example_3_MCF7_status.csv -e examples/mfapy_mcf7/tracers.tsv --natural-abundance SubsGlc,SubsGln,SubsLeu,SubsIle,SubsVal,SubsArg" ;;
    influx_si) echo "-m $data/mfa/influx_si/e_coli.ftbl" ;;
    park) echo "-m $data/mfa/park2016/mammalia/mammalia.xml -i $out/park/mids.tsv -e $out/park/tracers.tsv --constraints $out/park/constraints.txt --measured-fluxes $out/park/fluxes.tsv" ;;
    *) echo "-m $out/$3/model.tsv -e $out/$3/tracers.tsv -i $out/$3/mids.tsv --constraints $out/$3/constraints.txt --natural-abundance all" ;;
  esac
}
