#!/usr/bin/env python3
"""BayFlux's Toya 2010 E. coli data (../shared/data/mfa/bayflux) as fluxion inputs.

The carbon model is BayFlux's transitions file alone (TOYA_transitions.txt: id, equation,
atom map; "<==>" reversible; a reaction listed twice gives both orientations of succinate
or fumarate, which are marked symmetric). Metabolites never consumed or never produced are
boundary pools; CO2 exchanges with an unlabelled outside pool (EX_co2). Not converted: the
SBML's biomass reaction, which ties BayFlux's biomass drains (*bm) to the growth rate.
Writes OUT/model.tsv, tracers.tsv (30 % [1-13C] + 20 % [U-13C] glucose), mids.tsv
(GCMS<strain>.txt with GCMSerr as sd), constraints.txt (glucose uptake and acetate; PGI or
PYK = 0 in the pgi and pyk mutants).

  usage: bench/bayflux_toya.py DATA_DIR STRAIN OUT      (STRAIN: wt5h, pgi16h, pyk5h, ...)
"""
import os
import re
import sys


def convert_model(transitions, out):
    reactions, order = {}, []
    symmetric = {"succ_c", "fum_c"}  # BayFlux lists both orientations
    for n, line in enumerate(open(transitions), 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) != 3:
            sys.exit(f"{transitions}:{n}: expected id<TAB>equation<TAB>atom map")
        rid, equation, atom_map = cells
        if rid in reactions:
            continue  # the other orientation of a symmetric molecule
        reversible = "<==>" in equation
        sides = re.split(r"\s*(?:-->|<==>)\s*", equation)
        maps = [s.strip() for s in atom_map.split(":")]
        if len(sides) != 2 or len(maps) != 2:
            sys.exit(f"{transitions}:{n}: cannot read '{line}'")
        left, right = ([m.strip() for m in s.split("+")] for s in sides)
        left_atoms, right_atoms = ([a.strip() for a in s.split("+")] for s in maps)
        reactions[rid] = (reversible, left, right, left_atoms, right_atoms)
        order.append(rid)
    consumed, produced = set(), set()
    for reversible, left, right, _, _ in reactions.values():
        consumed.update(left)
        produced.update(right)
        if reversible:
            consumed.update(right)
            produced.update(left)

    def side(mets, atoms):
        return " + ".join(f"{m} ({a.upper()})" for m, a in zip(mets, atoms))

    with open(out, "w") as f:
        f.write("#! id: toya_core\n#! note: BayFlux TOYA_transitions.txt converted by bench/bayflux_toya.py\n")
        f.write("id\tequation\tlb\tub\txch_lb\txch_ub\n")
        for rid in order:
            reversible, left, right, la, ra = reactions[rid]
            arrow = "<->" if reversible else "->"
            f.write(f"{rid}\t{side(left, la)} {arrow} {side(right, ra)}\t{-1000 if reversible else 0}\t1000\t0\t{'inf' if reversible else 0}\n")
        f.write("EX_co2\tco2_e (A) <-> co2_c (A)\t-1000\t1000\t0\t0\n")
        f.write("\nmetabolite\tboundary\tsymmetric\nco2_e\tyes\tno\n")
        for m in sorted(consumed | produced):
            boundary = "no" if m in consumed and m in produced else "yes"
            f.write(f"{m}\t{boundary}\t{'yes' if m in symmetric else 'no'}\n")


def read_gcms(path):
    out = {}
    for line in open(path):
        cells = [c.strip() for c in line.rstrip("\n").split("\t")]
        if len(cells) > 2 and cells[1] == "M-0":
            out[cells[0]] = [float(c) for c in cells[2:] if c not in ("-", "")]
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    data, strain, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    convert_model(os.path.join(data, "toya2010_wt5h", "TOYA_transitions.txt"), os.path.join(out, "model.tsv"))
    gcms = os.path.join(data, "toya2010_gcms", strain)
    mids, errors = read_gcms(os.path.join(gcms, f"GCMS{strain}.txt")), read_gcms(os.path.join(gcms, f"GCMSerr{strain}.txt"))
    ids = {"ru5p-D": "ru5p_D_c", "mal-L": "mal_L_c"}
    with open(os.path.join(out, "mids.tsv"), "w") as f:
        f.write("experiment\tmetabolite\tisotopologue\tfraction\tsd\n")
        for name, mid in mids.items():
            for k, (x, sd) in enumerate(zip(mid, errors[name])):
                f.write(f"e1\t{ids.get(name, name + '_c')}\t{k}\t{x}\t{sd}\n")
    with open(os.path.join(out, "tracers.tsv"), "w") as f:
        f.write("experiment\tsubstrate\tlabel\tfraction\tpurity\n")
        for label, fraction in (("[1-13C1]", 0.3), ("[U-13C6]", 0.2), ("unlabelled", 0.5)):
            f.write(f"e1\tglc_D_e\t{label}\t{fraction}\t1\n")
    fluxes = {}
    for line in open(os.path.join(gcms, f"FLUX{strain}.txt")):
        m = re.match(r"\s*(\S+):\s*(\S+)\s*\[==\]\s*(\S+)", line)
        if m:
            fluxes[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    with open(os.path.join(out, "constraints.txt"), "w") as f:
        f.write(f"GLCpts == {fluxes['GLCpts'][0]}\nACACCT == {fluxes['EX_ac(e)'][0]}\n")
        # the mutants lack the enzyme
        if strain.startswith("pgi"):
            f.write("PGI == 0\n")
        if strain.startswith("pyk"):
            f.write("PYK == 0\n")


if __name__ == "__main__":
    main()
