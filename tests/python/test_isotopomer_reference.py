"""The EMU engine against full isotopomer balances (bench/isotopomer_reference.py, a different
algorithm: every isotopomer of every metabolite, solved by fixed-point iteration) at the same
fluxes: a toy network with a product made twice by one reaction, a symmetric molecule and
reversible steps; and FreeFlux's E. coli at its published true fluxes (70 reactions)."""
import csv
import os
import subprocess
import sys

import pandas as pd
import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
REFERENCE = os.path.join(ROOT, "bench", "isotopomer_reference.py")


def flux_table(reactions_csv, fluxes_csv, out):
    """FreeFlux's one-way fluxes (id, id_f / id_b) as fluxion's net and exchange fluxes."""
    v = {row[0]: float(row[1]) for row in csv.reader(open(fluxes_csv)) if row and not row[0].startswith("#")}
    with open(out, "w") as f:
        f.write("reaction\tnet\texchange\n")
        for row in csv.reader(open(reactions_csv)):
            if not row or row[0].startswith("#"):
                continue
            r = row[0]
            if r in v:
                f.write(f"{r}\t{v[r]!r}\t0\n")
            else:
                a, b = v[r + "_f"], v[r + "_b"]
                f.write(f"{r}\t{a - b!r}\t{min(a, b)!r}\n")


def compare(binary, tmp, reactions, fluxes, substrate, components, fragments, natural):
    table = tmp / "fluxes.tsv"
    flux_table(reactions, fluxes, table)
    tracers = tmp / "tracers.tsv"
    with open(tracers, "w") as f:
        f.write("experiment\tsubstrate\tlabel\tfraction\tpurity\n")
        for label, fraction, purity in components:
            f.write(f"e1\t{substrate}\t{label}\t{fraction}\t{purity}\n")
    cmd = [binary, "simulate", "-m", reactions, "-f", str(table), "-e", str(tracers), "--measured", ",".join(fragments), "-o", str(tmp / "emu")]
    if natural:
        cmd += ["--natural-abundance", substrate]
    subprocess.run(cmd, check=True, capture_output=True)
    emu = pd.read_csv(tmp / "emu" / "mids.tsv", sep="\t")
    args = []
    for label, fraction, purity in components:
        positions = "U" if label.startswith("[U") else label[1:label.index("-")]
        args.append(f"{positions}:{fraction}:{purity}")
    ref = subprocess.run([sys.executable, REFERENCE, reactions, fluxes, substrate, *args, "--natural", "0.0107" if natural else "0",
                          "--fragments", ",".join(fragments)], check=True, capture_output=True, text=True)
    with open(tmp / "reference.tsv", "w") as f:
        f.write(ref.stdout)
    iso = pd.read_csv(tmp / "reference.tsv", sep="\t")
    keys = ["metabolite", "isotopologue"]
    both = emu.merge(iso, on=keys, suffixes=("_emu", "_iso"))
    assert len(both) == len(emu) == len(iso)
    return (both["fraction_emu"] - both["fraction_iso"]).abs().max()


def test_toy_network_matches_isotopomer_balances(fluxion_binary, tmp_path):
    pytest.importorskip("numpy")
    reactions = tmp_path / "toy.csv"
    reactions.write_text(
        "#reaction_ID,substrate_IDs(atom),product_IDs(atom),reversibility\n"
        "v1,S.ex(abc),P(abc),0\n"
        "v2,P(abc)+P(def),Q(abde)+C(c)+C(f),0\n"  # C made twice by one reaction
        "v3,Q(abcd),\"R(abcd,dcba)\",1\n"        # a symmetric product, reversible
        "v4,\"R(abcd,dcba)\",T(abcd),0\n"
        "v5,T(abcd)+C(e),P(abc)+U(de),0\n"      # C consumed: a cycle back to P
        "v6,U(ab),U.ex(ab),0\n"
        "v7,C(a),C.ex(a),0\n"
        "v8,Q(abcd),Q.ex(abcd),0\n")
    fluxes = tmp_path / "toy_fluxes.csv"
    fluxes.write_text("#flux_ID,value\nv1,10\nv2,6.5\nv3_f,5\nv3_b,2\nv4,3\nv5,3\nv6,3\nv7,10\nv8,3.5\n")
    worst = compare(fluxion_binary, tmp_path, str(reactions), str(fluxes), "S.ex", [("[1-13C1]", 0.6, 0.99), ("[U-13C3]", 0.3, 1)],
                    ["C", "P", "Q", "R", "T", "U"], natural=True)
    assert worst < 1e-9


def test_freeflux_ecoli_at_its_true_fluxes_matches_isotopomer_balances(fluxion_binary, shared_data, tmp_path):
    pytest.importorskip("numpy")
    d = os.path.join(shared_data, "mfa", "freeflux", "ecoli", "synthetic_data")
    fragments = ["Ala[2,3]", "Ala[1,2,3]", "Gly[1,2]", "Val[1,2,3,4,5]", "Leu[2,3,4,5,6]", "Ile[2,3,4,5,6]", "Ser[1,2,3]",
                 "Thr[1,2,3,4]", "Phe[1,2]", "Phe[1,2,3,4,5,6,7,8,9]", "Asp[1,2]", "Asp[1,2,3,4]", "Glu[1,2,3,4,5]", "CO2"]
    worst = compare(fluxion_binary, tmp_path, os.path.join(d, "reactions.csv"), os.path.join(d, "fluxes.csv"), "Glc.ex",
                    [("[1-13C1]", 0.754, 0.997), ("[U-13C6]", 0.246, 0.994)], fragments, natural=True)
    assert worst < 1e-9


def test_antoniewicz_2007_fig3_toy_gives_the_papers_mid(fluxion_binary, tmp_path):
    """The EMU paper's example (Antoniewicz, Kelleher & Stephanopoulos, Metab Eng 9:68, 2007, Fig. 3;
    fluxes and [2-13C]A as in BayFlux's notebook of it): F's MID is the paper's
    [0.0001, 0.8008, 0.1983, 0.0009] (4 decimals), and the isotopomer balances agree."""
    pytest.importorskip("numpy")
    reactions = tmp_path / "fig3.csv"
    reactions.write_text(
        "#reaction_ID,substrate_IDs(atom),product_IDs(atom),reversibility\n"
        "a_b,A(abc),B(abc),0\n"
        "b_ec,B(abc),E(a)+C(bc),0\n"
        "bc_de,B(abc)+C(de),E(a)+D(bcd)+E(e),0\n"
        "d_f,D(abc),F(abc),0\n"
        "b_d,B(abc),D(abc),1\n")
    fluxes = tmp_path / "fig3_fluxes.csv"
    fluxes.write_text("#flux_ID,value\na_b,100\nb_ec,20\nbc_de,20\nd_f,80\nb_d_f,110\nb_d_b,50\n")
    worst = compare(fluxion_binary, tmp_path, str(reactions), str(fluxes), "A", [("[2-13C1]", 1, 1)], ["F", "B", "D"], natural=False)
    assert worst < 1e-9
    emu = pd.read_csv(tmp_path / "emu" / "mids.tsv", sep="\t")
    f = emu[emu["metabolite"] == "F"].sort_values("isotopologue")["fraction"].to_list()
    assert f == pytest.approx([0.0001, 0.8008, 0.1983, 0.0009], abs=5e-5)


def test_freeflux_toy_time_course_matches_isotopomer_odes(fluxion_binary, shared_data, tmp_path):
    """Non-stationary labelling: `fluxion simulate --times` (implicit SDIRK on EMUs) against the
    isotopomer balances integrated by explicit Runge-Kutta (`isotopomer_reference.py --times`),
    on FreeFlux's TCA toy with its fluxes and pool sizes, from the natural-abundance start."""
    pytest.importorskip("numpy")
    d = os.path.join(shared_data, "mfa", "freeflux", "toy")
    if not os.path.exists(os.path.join(d, "reactions.tsv")):
        pytest.skip(d + " not found")
    one_way = tmp_path / "fluxes_oneway.tsv"
    one_way.write_text("#flux_ID\tvalue\nv1\t10\nv2\t10\nv3\t5\nv4\t5\nv5\t5\nv6_f\t12.5\nv6_b\t7.5\nv7\t5\n")
    table = tmp_path / "fluxes.tsv"
    table.write_text("reaction\tnet\texchange\nv1\t10\t0\nv2\t10\t0\nv3\t5\t0\nv4\t5\t0\nv5\t5\t0\nv6\t5\t7.5\nv7\t5\t0\n")
    tracers = tmp_path / "tracers.tsv"
    tracers.write_text("experiment\tsubstrate\tlabel\tfraction\tpurity\ne1\tAcCoA\t[2-13C1]\t0.25\t1\ne1\tAcCoA\t[1,2-13C2]\t0.25\t1\n")
    times = "0,0.1,0.2,0.5,1,2"
    pools = os.path.join(d, "concentrations.tsv")
    subprocess.run([fluxion_binary, "simulate", "-m", os.path.join(d, "reactions.tsv"), "-f", str(table), "-e", str(tracers), "--measured",
                    "Glu,Cit,Suc", "--natural-abundance", "all", "--times", times, "--pools", pools, "--tolerance", "1e-8", "-o",
                    str(tmp_path / "emu")], check=True, capture_output=True)
    emu = pd.read_csv(tmp_path / "emu" / "mids.tsv", sep="\t")
    ref = subprocess.run([sys.executable, REFERENCE, os.path.join(d, "reactions.tsv"), str(one_way), "AcCoA", "2:0.25:1", "1,2:0.25:1",
                          "--natural", "0.0107", "--fragments", "Glu,Cit,Suc", "--times", times, "--pools", pools, "--step", "5e-4"],
                         check=True, capture_output=True, text=True)
    (tmp_path / "reference.tsv").write_text(ref.stdout)
    iso = pd.read_csv(tmp_path / "reference.tsv", sep="\t")
    both = emu.merge(iso, on=["metabolite", "time", "isotopologue"], suffixes=("_emu", "_iso"))
    assert len(both) == len(emu) == len(iso) == 6 * (6 + 7 + 5)
    assert (both["fraction_emu"] - both["fraction_iso"]).abs().max() < 1e-7
