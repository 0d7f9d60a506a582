#!/usr/bin/env python3
"""A synthetic atlas-sized AnnData (.h5ad, CSR X) for `fluxion scflux` at scale, written in
blocks of cells with h5py so that it is never held whole: the genes of scFEA's example
(Melissa_full.csv, 381 genes) with each gene's value in a new cell drawn from that gene's
values in a random example cell (as bench_scfea draws them: every gene keeps its
distribution and zero fraction), plus `filler` genes outside every network, Poisson with a
mean of 0.08 (92 % zeros, as in droplet data).

    python3 bench/synthetic_h5ad.py ../shared/data CELLS OUT.h5ad [filler genes, default 2600] [seed]
"""
import sys

import h5py
import numpy as np
import pandas as pd


def main():
    data, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    filler = int(sys.argv[4]) if len(sys.argv) > 4 else 2600
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    table = pd.read_csv(f"{data}/scfea/changwn_scFEA/input/Melissa_full.csv", index_col=0)
    example = table.to_numpy(dtype=np.float32)  # genes × cells
    genes = [str(g) for g in table.index] + [f"FILLER{k}" for k in range(filler)]
    ng = len(genes)
    rng = np.random.default_rng(seed)
    block = 20000
    with h5py.File(out, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        x = f.create_group("X")
        x.attrs["encoding-type"] = "csr_matrix"
        x.attrs["encoding-version"] = "0.1.0"
        x.attrs["shape"] = np.array([n, ng], dtype=np.int64)
        d = x.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(1 << 20,))
        i = x.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 20,))
        indptr = np.zeros(n + 1, dtype=np.int64)
        nnz = 0
        for c0 in range(0, n, block):
            m = min(block, n - c0)
            pick = rng.integers(0, example.shape[1], size=(m, example.shape[0]))
            dense = np.concatenate([example[np.arange(example.shape[0])[None, :], pick],
                                    rng.poisson(0.08, size=(m, filler)).astype(np.float32)], axis=1)
            rows, cols = np.nonzero(dense)
            vals = dense[rows, cols]
            d.resize((nnz + vals.size,))
            i.resize((nnz + vals.size,))
            d[nnz:] = vals
            i[nnz:] = cols.astype(np.int32)
            indptr[c0 + 1:c0 + m + 1] = nnz + np.cumsum(np.bincount(rows, minlength=m))
            nnz += vals.size
            print(f"\r{c0 + m} cells, {nnz} non-zeros", end="", file=sys.stderr)
        x.create_dataset("indptr", data=indptr)
        str_type = h5py.string_dtype("utf-8")
        for name, index in (("obs", [f"cell{k}" for k in range(n)]), ("var", genes)):
            g = f.create_group(name)
            g.attrs["encoding-type"] = "dataframe"
            g.attrs["encoding-version"] = "0.2.0"
            g.attrs["_index"] = "_index"
            g.attrs.create("column-order", np.array([], dtype=h5py.string_dtype("utf-8")), dtype=h5py.string_dtype("utf-8"))
            ds = g.create_dataset("_index", data=np.array(index, dtype=object), dtype=str_type)
            ds.attrs["encoding-type"] = "string-array"
            ds.attrs["encoding-version"] = "0.2.0"
        for name in ("obsm", "varm", "obsp", "varp", "layers", "uns"):
            g = f.create_group(name)
            g.attrs["encoding-type"] = "dict"
            g.attrs["encoding-version"] = "0.1.0"
    print(f"\n{out}: {n} cells × {ng} genes, {nnz} non-zeros ({100 * (1 - nnz / (n * ng)):.1f} % zeros)", file=sys.stderr)


if __name__ == "__main__":
    main()
