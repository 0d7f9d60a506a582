"""Non-stationary labelling against mfapy's own: its INST tutorial toy (Tutorial 2) at the
fluxes of its recorded fit (SLSQP column of Tutorial_2_INST-MFAtoymodel_output.csv) and the
fixed pool sizes of its status sheet (AKG 10, every other 100), 50 % [U-13C]glucose with
natural abundance as the tutorial sets it. fluxion's curves of AKG, OAC and PEP at t = 0, 5,
10, 15, 30, 50 agree with mfapy's simulated ones within 6e-4 (their MDV SD is 0.01), and the
RSS they give on the measured points is mfapy's recorded 300.64 within 0.5."""
import csv
import os
import subprocess

import pandas as pd
import pytest


def test_mfapy_inst_toy_curves_and_rss(fluxion_binary, shared_data, tmp_path):
    d = os.path.join(shared_data, "mfa", "mfapy")
    model = os.path.join(d, "Tutorial_2_INST-MFAtoymodel_model.txt")
    output = os.path.join(d, "Tutorial_2_INST-MFAtoymodel_output.csv")
    if not os.path.exists(output):
        pytest.skip(output + " not found")
    fluxes, simulated, measured = {}, {}, []
    section = 0
    for row in csv.reader(open(output)):
        if not row:
            continue
        if row[0] in ("Id", "Experiment"):
            section += 1
            continue
        if row[0] in ("RSS", "Thres", "p_value"):
            if row[0] == "RSS":
                rss_recorded = float(row[3])
            continue
        if section == 2 and row[0].startswith("v"):
            fluxes[row[0]] = float(row[3])
            if row[4] == "fitting":
                flux_term = ((float(row[3]) - float(row[5])) / float(row[6])) ** 2
        elif section == 3:
            fragment, iso = row[1].rsplit("_", 1)
            key = (fragment[:-1], float(row[2]), int(iso))  # AKGe -> AKG (all its carbons)
            simulated[key] = float(row[3])
            if row[5] == "1":
                measured.append((key, float(row[6]), float(row[7])))
    v13, v14 = fluxes.pop("v13"), fluxes.pop("v14")  # the reversible pair FUM of the model file
    table = tmp_path / "fluxes.tsv"
    table.write_text("reaction\tnet\texchange\n" + "".join(f"{r}\t{v!r}\t0\n" for r, v in fluxes.items()) +
                     f"FUM\t{v13 - v14!r}\t{min(v13, v14)!r}\n")
    (tmp_path / "pools.tsv").write_text("metabolite\tsize\nAKG\t10\n")
    (tmp_path / "tracers.tsv").write_text("experiment\tsubstrate\tlabel\tfraction\tpurity\ntc\tSubsGlc\t[U-13C6]\t0.5\t1\n")
    subprocess.run([fluxion_binary, "simulate", "-m", model, "-f", str(table), "-e", str(tmp_path / "tracers.tsv"), "--natural-abundance", "all",
                    "--measured", "AKG,OAC,PEP", "--times", "0,5,10,15,30,50", "--pools", str(tmp_path / "pools.tsv"), "--default-pool", "100",
                    "-o", str(tmp_path / "sim")], check=True, capture_output=True)
    ours = {(r.metabolite, float(r.time), int(r.isotopologue)): r.fraction
            for r in pd.read_csv(tmp_path / "sim" / "mids.tsv", sep="\t").itertuples()}
    assert len(ours) == len(simulated) == 90
    assert max(abs(ours[k] - simulated[k]) for k in simulated) < 6e-4
    assert max(abs(ours[k] - simulated[k]) for k in simulated if k[1] == 0) < 1e-6  # the natural-abundance start
    rss = sum(((ours[k] - m) / sd) ** 2 for k, m, sd in measured) + flux_term
    assert abs(rss - rss_recorded) < 0.5, (rss, rss_recorded)
