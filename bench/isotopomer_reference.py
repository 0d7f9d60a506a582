#!/usr/bin/env python3
"""An independent check of the EMU engine: full isotopomer balances.

Reads a FreeFlux reaction table (reactions.csv) and a flux vector in FreeFlux's terms
(fluxes.csv: irreversible ids, and id_f / id_b for reversible ones), feeds one substrate a
tracer mixture, and solves the steady-state isotopomer balances by fixed-point iteration:
every balanced metabolite's isotopomer distribution (2^n states) is the flux-weighted mean
of what each producing reaction makes of its reactants' distributions (reactants drawn
independently, each occurrence its own draw; symmetric alternatives "Suc(abcd,dcba)" at
equal shares). No EMUs, no cumomers: a different algorithm from fluxion's.

Prints each requested fragment's MID, as `fluxion simulate` writes mids.tsv:
  experiment element metabolite isotopologue fraction

With --times and --pools (metabolite<TAB>size, as `fluxion simulate --pools`), the
non-stationary labelling instead: from every pool at natural abundance, the isotopomer
balances c·dx/dt = Σ v·(made) − (Σ v)·x integrated with classical Runge-Kutta at a fixed
step (--step), an explicit method unlike fluxion's implicit one; rows then carry a time
column after the metabolite, as `fluxion simulate --times` writes them.

usage: isotopomer_reference.py REACTIONS.csv FLUXES.csv SUBSTRATE 'label:fraction:purity' ... \
           --natural 0.0107 --fragments Ala[2,3],Gly[1,2] [--co2-label M1]
labels: '1' (atom 1) or 'U' (all atoms); natural abundance applies to unlabelled positions.
"""
import argparse
import csv
import re
import sys

import numpy as np


def parse_side(text):
    """'0.488Ala+G6P(abcdef)+Suc(abcd,dcba)' -> [(metabolite, [atom strings])], carbon-carrying only."""
    out = []
    depth, start, terms = 0, 0, []
    for i, ch in enumerate(text):
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth -= 1
        elif ch == '+' and depth == 0:
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    for t in terms:
        t = t.strip()
        if not t or '(' not in t:
            continue  # no atoms: a cofactor
        name, atoms = t[:t.index('(')], t[t.index('(') + 1:-1]
        name = re.sub(r'^[0-9.]+', '', name).strip()
        out.append((name, [a.strip() for a in atoms.split(',')]))
    return out


def read_reactions(path):
    reactions = []
    with open(path) as f:
        for row in csv.reader(f, delimiter='\t' if path.endswith('.tsv') else ','):
            if not row or row[0].startswith('#'):
                continue
            reactions.append((row[0], parse_side(row[1]), parse_side(row[2]), row[3].strip() == '1'))
    return reactions


def read_fluxes(path):
    fluxes = {}
    with open(path) as f:
        for row in csv.reader(f, delimiter='\t' if path.endswith('.tsv') else ','):
            if row and not row[0].startswith('#'):
                fluxes[row[0]] = float(row[1])
    return fluxes


def pools_given(path):
    pools = {}
    with open(path) as f:
        for row in csv.reader(f, delimiter='\t'):
            if row and not row[0].startswith('#') and row[0] != 'metabolite':
                pools[row[0]] = float(row[1])
    return pools


def expand(side):
    """All combinations of symmetric alternatives: [(weight, [(metabolite, atoms)])]."""
    combos = [(1.0, [])]
    for met, alternatives in side:
        combos = [(w / len(alternatives), parts + [(met, a)]) for w, parts in combos for a in alternatives]
    return combos


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('reactions')
    ap.add_argument('fluxes')
    ap.add_argument('substrate')
    ap.add_argument('components', nargs='+')
    ap.add_argument('--natural', type=float, default=0.0107)
    ap.add_argument('--fragments', required=True)
    ap.add_argument('--tolerance', type=float, default=1e-13)
    ap.add_argument('--times', help='non-stationary: output times, comma-separated, ascending')
    ap.add_argument('--pools', help='non-stationary: metabolite<TAB>size ("#" lines are comments)')
    ap.add_argument('--step', type=float, default=1e-4, help='non-stationary: Runge-Kutta step')
    args = ap.parse_args()

    reactions = read_reactions(args.reactions)
    v = read_fluxes(args.fluxes)
    n_atoms = {}
    for _, lhs, rhs, _ in reactions:
        for met, alts in lhs + rhs:
            n_atoms[met] = len(alts[0])
    produced = {m: [] for m in n_atoms}
    consumed = set()
    # one-way steps: (flux, weight, reactant parts, product parts)
    steps = []
    for rid, lhs, rhs, rev in reactions:
        directions = [(v[rid + '_f'], lhs, rhs), (v[rid + '_b'], rhs, lhs)] if rev else [(v[rid], lhs, rhs)]
        for flux, src, dst in directions:
            if flux <= 0 or not dst:
                continue
            for wl, sparts in expand(src):
                for wr, dparts in expand(dst):
                    steps.append((flux * wl * wr, sparts, dparts))
            for met, _ in src:
                consumed.add(met)
    for s in steps:
        for met in dict.fromkeys(met for met, _ in s[2]):  # once per step: its occurrences are counted below
            produced[met].append(s)
    balanced = [m for m in n_atoms if produced[m]]  # outputs too: what is made of them
    inputs = [m for m in n_atoms if not produced[m]]

    def uniform_unlabelled(n, p):
        d = np.array([1.0])
        for _ in range(n):
            d = np.multiply.outer(d, np.array([1 - p, p]))
        return d.reshape((2,) * n) if n else d

    dist = {}
    for m in inputs:
        dist[m] = uniform_unlabelled(n_atoms[m], args.natural)
    # the tracer mixture on the substrate
    n = n_atoms[args.substrate]
    mix = np.zeros((2,) * n)
    rest = 1.0
    for comp in args.components:
        label, fraction, purity = comp.split(':')
        fraction, purity = float(fraction), float(purity)
        heavy = set(range(n)) if label == 'U' else {int(x) - 1 for x in label.split(',')}
        d = np.array([1.0])
        for i in range(n):
            p = purity if i in heavy else args.natural
            d = np.multiply.outer(d, np.array([1 - p, p]))
        mix += fraction * d.reshape((2,) * n)
        rest -= fraction
    if rest > 1e-12:
        mix += rest * uniform_unlabelled(n, args.natural)
    dist[args.substrate] = mix
    for m in balanced:
        dist[m] = uniform_unlabelled(n_atoms[m], args.natural)

    letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

    def made_by(step, product_index):
        """The distribution one step gives its product_index-th product."""
        _, sparts, dparts = step
        _, patoms = dparts[product_index]
        operands, subscripts = [], []
        for met, atoms in sparts:
            used = [i for i, a in enumerate(atoms) if a in patoms]
            if not used:
                continue
            d = dist[met]
            drop = tuple(i for i in range(len(atoms)) if i not in used)
            if drop:
                d = d.sum(axis=drop)
            operands.append(d)
            subscripts.append(''.join(letters[patoms.index(atoms[i])] for i in used))
        out = ''.join(letters[i] for i in range(len(patoms)))
        return np.einsum(','.join(subscripts) + '->' + out, *operands)

    def fragment_mids(frag_list):
        out = []
        for frag in re.findall(r'[^,\[\]]+(?:\[[0-9,]+\])?', frag_list):
            frag = frag.strip(',')
            met, atoms = (frag[:frag.index('[')], [int(x) - 1 for x in frag[frag.index('[') + 1:-1].split(',')]) if '[' in frag \
                else (frag, list(range(n_atoms[frag])))
            d = dist[met]
            drop = tuple(i for i in range(n_atoms[met]) if i not in atoms)
            if drop:
                d = d.sum(axis=drop)
            mid = np.zeros(len(atoms) + 1)
            for idx in np.ndindex(d.shape):
                mid[sum(idx)] += d[idx]
            out.append((frag, mid))
        return out

    def production(m):
        """What flows into m (flux-weighted distributions made of its reactants) and the total flux."""
        total = np.zeros_like(dist[m])
        weight = 0.0
        for step in produced[m]:
            for k, (met, _) in enumerate(step[2]):
                if met == m:
                    total += step[0] * made_by(step, k)
                    weight += step[0]
        return total, weight

    def rates():
        """dx/dt of every balanced pool at the current distributions."""
        out = {}
        for m in balanced:
            total, weight = production(m)
            out[m] = (total - weight * dist[m]) / pools[m]
        return out

    if args.times:  # an output without a size (CO2) is not simulated: nothing draws from it
        missing = [m for m in balanced if m not in pools_given(args.pools) and m in consumed]
        if missing:
            sys.exit('no pool size for ' + ', '.join(missing))
        balanced = [m for m in balanced if m in pools_given(args.pools)]

    if args.times:
        pools = pools_given(args.pools)
        print('experiment\telement\tmetabolite\ttime\tisotopologue\tfraction')
        t = 0.0
        for target in [float(x) for x in args.times.split(',')]:
            while t < target - 1e-12:
                h = min(args.step, target - t)
                x0 = {m: dist[m].copy() for m in balanced}
                k1 = rates()
                for m in balanced:
                    dist[m] = x0[m] + 0.5 * h * k1[m]
                k2 = rates()
                for m in balanced:
                    dist[m] = x0[m] + 0.5 * h * k2[m]
                k3 = rates()
                for m in balanced:
                    dist[m] = x0[m] + h * k3[m]
                k4 = rates()
                for m in balanced:
                    dist[m] = x0[m] + h / 6 * (k1[m] + 2 * k2[m] + 2 * k3[m] + k4[m])
                t += h
            for frag, mid in fragment_mids(args.fragments):
                for k, x in enumerate(mid):
                    print(f'e1\tC\t{frag}\t{target:g}\t{k}\t{x:.12f}')
        return

    for sweep in range(200000):
        change = 0.0
        for m in balanced:
            total, _ = production(m)
            new = total / total.sum()  # = total / weight; renormalised, else rounding grows through multi-reactant cycles
            change = max(change, float(np.abs(new - dist[m]).max()))
            dist[m] = new
        if change < args.tolerance:
            break
    else:
        sys.exit('no convergence')
    print(f'# {sweep + 1} sweeps, last change {change:.2e}', file=sys.stderr)

    print('experiment\telement\tmetabolite\tisotopologue\tfraction')
    for frag, mid in fragment_mids(args.fragments):
        for k, x in enumerate(mid):
            print(f'e1\tC\t{frag}\t{k}\t{x:.12f}')


if __name__ == '__main__':
    main()
