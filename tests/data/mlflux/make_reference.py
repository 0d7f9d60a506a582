#!/usr/bin/python3
"""Writes simple_ann_reference.tsv: the authors' toy network (Simple_ANN.json/.h5) run on
three seeded input vectors by a forward pass written here with numpy and h5py, apart
from fluxion's HDF5 reader and LibTorch. Each line: the 120 inputs, then the 6 raw
(transformed-space) outputs. Run once (Debian: python3-h5py, python3-numpy)."""
import json
import h5py
import numpy as np

here = __file__.rsplit("/", 1)[0]
arch = json.load(open(f"{here}/Simple_ANN.json"))
dense = [l["config"] for l in arch["config"]["layers"] if l["class_name"] == "Dense"]
rng = np.random.RandomState(517)
x = rng.uniform(0.0, 1.0, size=(3, 120)).astype(np.float64)
with h5py.File(f"{here}/Simple_ANN.h5", "r") as f:
    h = x
    for layer in dense:
        g = f[layer["name"]][layer["name"]]
        h = h @ np.asarray(g["kernel:0"], dtype=np.float64) + np.asarray(g["bias:0"], dtype=np.float64)
        if layer["activation"] == "relu":
            h = np.maximum(h, 0.0)
with open(f"{here}/simple_ann_reference.tsv", "w") as out:
    out.write("# inputs (120) then outputs (6, transformed space); numpy float64 forward pass of Simple_ANN\n")
    for xi, yi in zip(x, h):
        out.write("\t".join(repr(float(v)) for v in list(xi) + list(yi)) + "\n")
