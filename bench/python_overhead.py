"""The cost of a call through Python against the same work in C++, on one warm process.

For each call: the C++ work measured inside the binding (from its entry to its last C++
step: reading, setting up, the engine), the binding's wall time seen from Python (adds
argument conversion and the results' conversion to Python objects), and the documented
function (adds the pandas tables). simulate: the glycolysis model's carbon and hydrogen MIDs
(the EMU solves alone: SimulatedMids::seconds). predict: the glycolysis package on 3
replicates, a package opened once. Medians of N calls. Usage:

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_overhead.py [calls]
"""
import statistics
import sys
import time

import fluxion

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
FLUXES = "examples/glycolysis/true_fluxes.tsv"
MIDS = "examples/glycolysis/mids.tsv"


def median_ms(values):
    return 1e3 * statistics.median(values)


def timed(call):
    t = time.perf_counter()
    r = call()
    return time.perf_counter() - t, r


def main():
    model = fluxion.load_model("glycolysis")
    with open(FLUXES) as f:
        flux_text = f.read()
    inner, binding, front, solves = [], [], [], []
    for _ in range(N):
        dt, r = timed(lambda: fluxion._core.simulate(model, flux_text, FLUXES, "", "", [], [], ["none"], False))
        binding.append(dt)
        inner.append(r["cpp_seconds"])
        solves.append(r["seconds"])
        dt, _ = timed(lambda: fluxion.simulate(model, FLUXES))
        front.append(dt)
    print(f"simulate (glycolysis, C and H, 1 experiment), median of {N}:")
    print(f"  C++ {median_ms(inner):.3f} ms (EMU solves {median_ms(solves):.3f} ms); binding {median_ms(binding):.3f} ms; "
          f"fluxion.simulate {median_ms(front):.3f} ms")
    p = fluxion.predictor("glycolysis")
    inner, binding, front, solves = [], [], [], []
    for _ in range(N):
        dt, r = timed(lambda: p.predict(MIDS))
        binding.append(dt)
        inner.append(r["cpp_seconds"])
        solves.append(r["seconds"])
        dt, _ = timed(lambda: fluxion.predict(p, MIDS))
        front.append(dt)
    print(f"predict (glycolysis package, 3 replicates), median of {N}:")
    print(f"  C++ {median_ms(inner):.3f} ms (prediction {median_ms(solves):.3f} ms); binding {median_ms(binding):.3f} ms; "
          f"fluxion.predict {median_ms(front):.3f} ms")


if __name__ == "__main__":
    main()
