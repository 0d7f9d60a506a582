#!/usr/bin/python3
"""fluxion's FBA and FVA against cobrapy on this machine, interleaved: per model and round,
cobrapy's FBA re-solve (slim_optimize on an unchanged model, median of 20) and its FVA over
all reactions (one process, the same fraction of the optimum), then `fluxion fba --fva`
with one thread (the solve times it records in run_info.json; model loading excluded on
both sides). Prints a table of medians over the rounds and the ratios measured in this run.

    /usr/bin/python3 bench/peers_cobra.py [fluxion binary] [shared data dir] [rounds, default 3]

Needs Debian's python3-cobra (cobrapy with GLPK through optlang).
"""
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cobra
from cobra.flux_analysis import flux_variability_analysis

fluxion = sys.argv[1] if len(sys.argv) > 1 else "build/release/apps/fluxion/fluxion"
data = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/data")
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
# as bench/bench_fba.sh: iML1515 at fraction 0.9; iMM1415's objective named
models = [("e_coli_core", 1.0, None), ("iND750", 1.0, None), ("iML1515", 0.9, None),
          ("iMM1415", 1.0, "BIOMASS_mm_1_no_glygln"), ("RECON1", 1.0, None)]

rows = []
with tempfile.TemporaryDirectory() as tmp:
    for name, fraction, objective in models:
        path = data / "bigg" / f"{name}.xml.gz"
        model = cobra.io.read_sbml_model(str(path))
        if objective:
            model.objective = objective
        t = {"cobra_fba": [], "cobra_fva": [], "fluxion_fba": [], "fluxion_fva": []}
        for _ in range(rounds):
            model.slim_optimize()
            solves = []
            for _ in range(20):
                t0 = time.perf_counter()
                model.slim_optimize()
                solves.append(time.perf_counter() - t0)
            t["cobra_fba"].append(statistics.median(solves))
            t0 = time.perf_counter()
            flux_variability_analysis(model, fraction_of_optimum=fraction, processes=1)
            t["cobra_fva"].append(time.perf_counter() - t0)
            out = Path(tmp) / name
            cmd = [fluxion, "fba", "-m", str(path), "--fva", "--fraction", str(fraction), "--threads", "1", "-o", str(out)]
            if objective:
                cmd += ["--objective", objective]
            # exit 1 when some FVA ranges were not found (iND750 at fraction 1.0: 9 LPs not
            # optimal); the timings are recorded all the same
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode not in (0, 1) or not (out / "run_info.json").exists():
                sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
            info = json.loads((out / "run_info.json").read_text())
            timings = info.get("timings", info)
            t["fluxion_fba"].append(float(timings["fba_s"]))
            t["fluxion_fva"].append(float(timings["fva_s"]))
        med = {k: statistics.median(v) for k, v in t.items()}
        rows.append((name, len(model.reactions), fraction, med))
        print(f"{name}: done", file=sys.stderr, flush=True)

print(f"cobrapy {cobra.__version__} ({cobra.Configuration().solver.__name__.split('.')[-1]}), {rounds} rounds, medians")
print("| model | reactions | fraction | cobrapy FBA re-solve | fluxion FBA solve | cobrapy FVA | fluxion FVA, 1 thread | FVA speed-up |")
print("|---|---|---|---|---|---|---|---|")
for name, n, fraction, m in rows:
    print(f"| {name} | {n:,} | {fraction} | {1000 * m['cobra_fba']:.2f} ms | {1000 * m['fluxion_fba']:.2f} ms | "
          f"{m['cobra_fva']:.3f} s | {m['fluxion_fva']:.3f} s | {m['cobra_fva'] / m['fluxion_fva']:.1f}× |")
