"""FBApro from Python on RECON1: a batch of reference fluxes projected without a copy in.

Measures, in one process: the resident memory a 2,000-sample batch adds (numpy's array), the
peak while it is projected (Fortran-ordered: read in place; C-ordered: converted once first),
and the time per batch; median of several runs. Then the same projection with numpy/scipy
alone (scipy.linalg.null_space of the dense S, then K·(Kᵀ·R)) on the same batch: setup and
apply times and the largest difference between the two results. Usage:

    PYTHONPATH=build/release/python /usr/bin/python3 bench/python_projection.py ../shared/data [samples] [runs]
"""
import os
import statistics
import sys
import time

import numpy as np

import fluxion


def rss_mib(field="VmRSS"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError(field)


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:  # Linux ≥ 4.0: VmHWM back to VmRSS
        f.write("5")


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    model = fluxion.load_model(os.path.join(data, "bigg", "RECON1.xml.gz"))
    t = time.perf_counter()
    p = fluxion.projector(model, variant="basic")
    build = time.perf_counter() - t
    r = len(model.reactions)
    batch_mib = r * samples * 8 / 2**20
    print(f"RECON1: {r} reactions, kernel dimension {p.kernel_dimension}; projector built in {build:.2f} s")
    print(f"batch: {r} x {samples} float64 = {batch_mib:.1f} MiB")
    rng = np.random.default_rng(1)
    orders = ("F", "C") if os.environ.get("FLUXION_BENCH_ORDER", "FC") == "FC" else ("C", "F")
    for order in orders:
        times, extra = [], []
        for _ in range(runs):
            refs = np.asarray(rng.normal(size=(r, samples)), order=order)
            base = rss_mib()
            reset_peak()
            t = time.perf_counter()
            out = p.apply(refs)
            times.append(time.perf_counter() - t)
            extra.append(rss_mib("VmHWM") - base)
            del out, refs
        print(f"{order}-ordered input: apply {statistics.median(times) * 1e3:.0f} ms, peak above the input "
              f"{statistics.median(extra):.0f} MiB ({statistics.median(extra) / batch_mib:.2f} x the batch), median of {runs}")
    if os.environ.get("FLUXION_BENCH_SCIPY", "1") == "1":
        scipy_comparison(model, p, samples, runs)


def scipy_comparison(model, p, samples, runs):
    import scipy.linalg

    s, _, _ = fluxion.stoichiometry(model)
    dense = s.toarray()
    t = time.perf_counter()
    k = scipy.linalg.null_space(dense)
    setup = time.perf_counter() - t
    refs = np.asfortranarray(np.random.default_rng(2).normal(size=(dense.shape[1], samples)))
    ours_t, theirs_t = [], []
    for _ in range(runs):
        t = time.perf_counter()
        ours = p.apply(refs)
        ours_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        theirs = k @ (k.T @ refs)
        theirs_t.append(time.perf_counter() - t)
    print(f"numpy/scipy: null_space of the dense {dense.shape[0]} x {dense.shape[1]} S in {setup:.1f} s (dimension {k.shape[1]}); "
          f"apply {statistics.median(theirs_t) * 1e3:.0f} ms against fluxion's {statistics.median(ours_t) * 1e3:.0f} ms "
          f"(median of {runs}); largest difference {np.abs(ours - theirs).max():.2e}")


if __name__ == "__main__":
    main()
