"""fluxion: metabolic fluxes from isotope tracing, expression and constraint-based models.

The C++ engines of the ``fluxion`` command line, for notebooks. Models come from any file
fluxion reads, a built-in model's name or a ``cobra.Model``; results are pandas data frames
and numpy arrays; bad input raises :class:`fluxion.InputError` (a ``ValueError``) with the
command line's messages, naming the file, line and column. Long calls release the GIL.

    >>> import fluxion, cobra
    >>> model = fluxion.from_cobra(cobra.io.load_model("textbook"))
    >>> fluxion.fba(model, fva=True, fraction=0.9).head()

The keyword arguments of each function are the long options of the matching command, with
underscores for dashes (``knockout_genes=["b4025"]`` is ``--knockout-genes b4025``).
"""
from __future__ import annotations

from typing import Any, Iterable, Optional, Union

from . import _core
from ._core import InputError, Model, Projector

__version__: str = _core.__version__
#: The commit the engines were built from (``fluxion version`` prints the same).
git_commit: str = _core.git_commit

__all__ = [
    "InputError",
    "Model",
    "Projector",
    "__version__",
    "git_commit",
    "load_model",
    "from_cobra",
    "to_cobra",
    "escher_map",
    "stoichiometry",
    "flux_space",
    "fba",
    "pfba",
    "fva",
    "projector",
    "project",
    "simulate",
    "fit",
    "FitResult",
    "moma",
    "imat",
    "expression",
    "correct",
    "predictor",
    "predict",
    "scflux",
    "train",
    "ensemble",
    "dynamics_train",
    "dynamics_predict",
    "dataset",
    "score",
    "dynamics_scfea",
]

ModelLike = Union[Model, str, Any]  # a fluxion.Model, a file or built-in name, or a cobra.Model


def load_model(source: str) -> Model:
    """A model from a file (.tsv .fml .xml .sbml .json .txt, optionally .gz) or a built-in
    model's name (``fluxion model list``). Bad files raise InputError naming file:line:column."""
    return Model.load(str(source))


def from_cobra(model) -> Model:
    """A fluxion Model from a ``cobra.Model``: reactions, metabolites, bounds, GPR rules and the
    objective, through COBRA JSON (what cobrapy's JSON keeps, fluxion keeps)."""
    import cobra.io

    return Model.from_cobra_json(cobra.io.to_json(model), "cobra model '%s'" % model.id)


def to_cobra(model: ModelLike):
    """A ``cobra.Model`` from a fluxion Model, through COBRA JSON."""
    import cobra.io

    return cobra.io.from_json(_model(model).to_cobra_json())


def escher_map(model: ModelLike, spacing: float = 250.0) -> list:
    """The model drawn as an Escher map (the JSON that escher.Builder and escher.github.io
    load): the built-in models by hand, any other model laid out automatically, cofactors
    beside each reaction. Reaction ids are the map's ids, so fluxes keyed by reaction draw on it."""
    import json

    return json.loads(_model(model).escher_map(float(spacing)))


def _model(model: ModelLike) -> Model:
    if isinstance(model, Model):
        return model
    if isinstance(model, str) or hasattr(model, "__fspath__"):
        return load_model(str(model))
    if type(model).__module__.split(".")[0] == "cobra":
        return from_cobra(model)
    raise InputError(f"model: give a fluxion.Model, a cobra.Model, a file name or a built-in model's name, not {type(model).__name__}")


def stoichiometry(model: ModelLike):
    """The stoichiometry over the balanced metabolites: ``(S, metabolites, reactions)``, S a
    ``scipy.sparse`` CSC matrix (metabolites × reactions) and its row and column ids."""
    m = _model(model)
    return m.stoichiometry(), m.balanced_metabolites, m.reactions


def flux_space(model: ModelLike) -> dict:
    """The steady-state flux space as ``fluxion model info`` reports it: ``rank`` of S, the
    ``free_net`` and ``exchange`` flux ids, and the ``columns`` of the flux vector. The null
    space itself: ``Model.null_space()`` (an orthonormal basis, reactions × dimension)."""
    return _model(model).flux_space()


def _fba_frame(r: dict):
    import pandas as pd

    import numpy as np

    fluxes = r["fluxes"] if len(r["fluxes"]) else np.full(len(r["reactions"]), np.nan)  # not optimal: no fluxes
    frame = pd.DataFrame({"flux": fluxes}, index=pd.Index(r["reactions"], name="reaction"))
    if "minimum" in r:
        frame["minimum"] = r["minimum"]
        frame["maximum"] = r["maximum"]
        frame["status"] = r["fva_status"]
    frame.attrs.update(
        status=r["status"],
        objective=r["objective"],
        failure=r["failure"],
        summary=r["summary"],
        gene_blocked=list(r["gene_blocked"]),
        provenance=dict(r["settings"], fluxion_version=__version__, git_commit=git_commit),
    )
    return frame


def fba(model: ModelLike, **options):
    """Flux balance analysis, as ``fluxion fba``: cobrapy's semantics on COIN-OR CLP.

    Returns a pandas DataFrame indexed by reaction with the column ``flux`` (and with
    ``fva=True`` also ``minimum``, ``maximum`` and each range's solver ``status``). Its
    ``attrs`` hold ``status`` ("optimal", "infeasible", ...), ``objective``, ``failure`` (why
    it is not optimal, or ""), ``summary`` and the run's ``provenance``. A solve that is not
    optimal is a status, not an exception.

    Options (``fluxion fba --help``): objective, pfba, fva, fraction, knockout,
    knockout_genes, set_bounds (a bounds table file), loopless, threads.
    """
    return _fba_frame(_core.fba(_model(model), **options))


def pfba(model: ModelLike, fraction: float = 1.0, **options):
    """Parsimonious FBA (cobrapy's ``pfba``): the optimal fluxes of least total |v|, with the
    objective kept at ``fraction`` of its optimum. ``attrs["objective"]`` is the model's
    objective; ``attrs["total_flux"]``, Σ|v|, is what cobrapy reports as pFBA's objective."""
    frame = fba(model, pfba=True, fraction=fraction, **options)
    frame.attrs["total_flux"] = float(frame["flux"].abs().sum())
    return frame


def fva(model: ModelLike, fraction: float = 1.0, loopless: bool = False, **options):
    """Flux variability (cobrapy's ``flux_variability_analysis``): each reaction's minimum and
    maximum with the objective at least ``fraction`` of its optimum."""
    frame = fba(model, fva=True, fraction=fraction, loopless=loopless, **options)
    return frame[["minimum", "maximum", "status"]].copy().__finalize__(frame)


def _sets(m: Model, fixed, noisy):
    fixed = list(fixed)
    if noisy is None:  # as the command's --default-confidence noisy: every reaction not fixed
        taken = set(fixed)
        noisy = [r for r in m.reactions if r not in taken]
    return fixed, list(noisy)


def projector(model: ModelLike, fixed: Iterable[str] = (), noisy: Optional[Iterable[str]] = None, variant: str = "full") -> Projector:
    """FBApro's projector for a model, built once and applied to many batches (as
    ``fluxion project`` with ``--save-projector``). ``fixed``: reactions reproduced exactly;
    ``noisy``: reactions matched in least squares (None: every reaction not fixed, as the
    command's default confidence; ``[]``: none, so that only ``fixed`` counts); ``variant``:
    full, fixed, partial or basic."""
    m = _model(model)
    fixed, noisy = _sets(m, fixed, noisy)
    return _core.projector(m, fixed, noisy, variant)


def project(model: ModelLike, references, fixed: Iterable[str] = (), noisy: Optional[Iterable[str]] = None, variant: str = "full",
            projector: Optional[Projector] = None):
    """FBApro: the steady states closest to reference fluxes.

    ``references``: reactions × samples (a numpy array, or a DataFrame indexed by the model's
    reactions, which is reordered to the model; a reaction it does not give, or gives as NaN in
    every sample, is unmeasured). A Fortran-ordered float64 array is read in
    place; anything else is converted once. Returns the projected fluxes in the form given:
    a numpy array (Fortran order), or a DataFrame with the model's reactions as index.
    Pass ``projector`` (from :func:`projector`) to reuse its factorisation between calls.
    """
    import numpy as np

    m = _model(model)
    frame = None
    if hasattr(references, "reindex") and hasattr(references, "columns"):
        frame = references
        given = frame.reindex(m.reactions)
        if given.isna().all(axis=None):
            raise InputError("references: no row is named by a reaction of model '%s'" % m.id)
        measured = given.notna().all(axis=1)
        partly = [r for r in m.reactions if given.loc[r].notna().any() and not measured[r]]
        if partly:
            raise InputError("references: reaction '%s' is measured in some samples and not in others; project those "
                             "samples apart, or give every sample a value" % partly[0])
        if noisy is None and projector is None:  # the reactions the table gives, as the command's default confidence
            taken = set(fixed)
            noisy = [r for r in m.reactions if measured[r] and r not in taken]
        references = given.fillna(0.0).to_numpy(dtype=np.float64)  # unmeasured rows: ignored by the projection
    if projector is not None:
        p = projector
    else:
        fixed, noisy = _sets(m, fixed, noisy)
        p = _core.projector(m, fixed, noisy, variant)
    a = np.asarray(references, dtype=np.float64)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise InputError("references: give reactions × samples (2 dimensions), not %d" % a.ndim)
    out = p.apply(np.asfortranarray(a))
    if frame is not None:
        import pandas as pd

        return pd.DataFrame(out, index=pd.Index(m.reactions, name="reaction"), columns=frame.columns)
    return out


def _table_text(table, columns, what: str):
    """A DataFrame, a dict or a file as the TSV text fluxion's readers take, and its source name."""
    import os

    if table is None:
        return "", ""
    if isinstance(table, (str, os.PathLike)):
        path = os.fspath(table)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise InputError(f"{path}: {e.strerror}") from None
        if path.endswith(".gz"):
            import gzip

            data = gzip.decompress(data)
        return data.decode("utf-8", errors="replace"), path
    import pandas as pd

    if isinstance(table, dict):
        table = pd.Series(table, dtype=float)
    if isinstance(table, pd.Series):
        table = table.rename(columns[1]).to_frame()
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{what}: give a DataFrame, a dict or a file, not {type(table).__name__}")
    frame = table.copy()
    if columns[0] not in frame.columns:
        frame = frame.rename_axis(columns[0]).reset_index()
    return frame.to_csv(sep="\t", index=False, float_format="%.17g"), f"{what} (a DataFrame)"


def simulate(model: ModelLike, fluxes, tracers=None, elements: Iterable[str] = (), measured: Iterable[str] = (),
             natural_abundance: Union[str, Iterable[str]] = "none", sensitivities: bool = False):
    """MIDs for given fluxes, as ``fluxion simulate`` (the EMU engine).

    ``fluxes``: net (and exchange) fluxes: a DataFrame indexed by reaction with the columns
    ``net`` and optionally ``exchange`` (every reaction, or the free net fluxes), a dict or
    Series of net fluxes, or a flux table file. ``tracers``: the tracer experiments (a
    DataFrame with experiment, substrate, label, fraction, purity, or a file); None for a
    built-in model's own. ``elements``: traced elements (default: those the tracers label);
    ``measured``: fragments to report (``"Ala[2,3]"``; default: the model's measured
    metabolites); ``natural_abundance``: "none", "all" or substrate ids.

    Returns a long DataFrame (experiment, element, metabolite, isotopologue, fraction), as
    mids.tsv. With ``sensitivities=True``, ``attrs["jacobian"]`` holds ∂fraction/∂(free net
    and exchange fluxes): one row per row of the result, one column per free flux. A
    simulation the network cannot carry is ``attrs["failed"]`` (the solver's message)."""
    import numpy as np
    import pandas as pd

    m = _model(model)
    flux_text, flux_source = _table_text(fluxes, ("reaction", "net"), "fluxes")
    tracer_text, tracer_source = _table_text(tracers, ("experiment", "substrate"), "tracers")
    natural = [natural_abundance] if isinstance(natural_abundance, str) else list(natural_abundance)
    r = _core.simulate(m, flux_text, flux_source, tracer_text, tracer_source, list(elements), list(measured), natural,
                       bool(sensitivities))
    frame = pd.DataFrame(r["rows"], columns=["experiment", "element", "metabolite", "isotopologue", "fraction"])
    frame.attrs.update(failed=r["failed"], seconds=r["seconds"],
                       provenance={"model": m.id, "tracers": tracer_source or m.id, "natural_abundance": ",".join(natural),
                                   "fluxion_version": __version__, "git_commit": git_commit})
    if sensitivities:
        frame.attrs["jacobian"] = pd.DataFrame(np.asarray(r["jacobian"]), columns=r["parameters"])
    return frame


def _progress_printer(show: bool):
    """A progress callback: a tqdm bar per phase when tqdm is importable, else a line on
    stderr at each tenth of a phase; None when not shown."""
    if not show:
        return None, lambda: None
    import sys

    try:
        from tqdm.auto import tqdm  # type: ignore
    except ImportError:
        tqdm = None
    bars = {}

    def report(phase, done, total, unit):
        if tqdm is not None:
            bar = bars.get(phase)
            if bar is None:
                bar = bars[phase] = tqdm(total=total or None, desc=phase, unit=" " + unit if unit else "it", leave=False)
            bar.update(done - bar.n)
        else:
            step = max(1, (total or 10) // 10)
            if done == total or done % step == 0:
                print(f"{phase}: {done}/{total or '?'} {unit}", file=sys.stderr, flush=True)
        return True

    def close():
        for bar in bars.values():
            bar.close()

    return report, close


def _in_worker(call, on_interrupt):
    """Runs call() in a worker thread so that Ctrl-C reaches Python: the main thread waits,
    and on KeyboardInterrupt calls on_interrupt() (which asks the engine to stop at its next
    safe point), waits for the worker and raises KeyboardInterrupt."""
    import threading

    outcome = {}

    def work():
        try:
            outcome["value"] = call()
        except BaseException as e:  # handed to the calling thread
            outcome["error"] = e

    worker = threading.Thread(target=work, name="fluxion", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        on_interrupt()
        worker.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _interruptible(call, progress):
    """call(progress_hook) in a worker (_in_worker); the hook reports to `progress` and
    returns False, stopping the engine, once Ctrl-C was pressed."""
    import threading

    stop = threading.Event()

    def hook(phase, done, total, unit):
        if stop.is_set():
            return False
        return True if progress is None else progress(phase, done, total, unit) is not False

    return _in_worker(lambda: call(hook), stop.set)


class FitResult:
    """A least-squares fit as ``fluxion fit`` reports it.

    Data frames (the command's files, the same numbers): ``fluxes`` (net and exchange with
    SEs and linearised 95 % intervals), ``residuals``, ``starts``, ``pools`` (a time
    course's pool sizes, else None), ``profile`` (with ``profile=...``) and ``monte_carlo``
    (with ``monte_carlo=N``). Statistics: ``ssr``,
    ``dof``, ``chi2_critical``, ``p_value``, ``accepted`` (the χ² test), ``termination``,
    ``starts_near_best``. ``summary`` is the command's summary; ``provenance`` how it was made.
    """

    def __init__(self, r: dict):
        import io

        import pandas as pd

        files = r["files"]

        def frame(name):
            text = files.get(name, "")
            return pd.read_csv(io.StringIO(text), sep="\t", keep_default_na=False, na_values=["NA", "nan"]) if text else None

        self.fluxes = frame("fluxes.tsv")
        self.residuals = frame("residuals.tsv")
        self.starts = frame("starts.tsv")
        self.pools = frame("pools.tsv")
        self.profile = frame("profile.tsv")
        self.monte_carlo = frame("monte_carlo.tsv")
        self.json = files.get("fit.json", "")
        for key in ("ssr", "dof", "n_measurements", "n_parameters", "chi2_critical", "p_value", "accepted", "termination",
                    "usable", "starts_near_best", "seconds", "summary", "description", "notes"):
            setattr(self, key, r[key])
        self.provenance = dict(r["settings"], model=r["model"], fluxion_version=__version__, git_commit=git_commit)
        self.files = dict(files)

    def __repr__(self):
        verdict = "accepted" if self.accepted else "rejected"
        return f"<fluxion.FitResult SSR {self.ssr:.4g}, {self.dof} dof, χ² {verdict} (threshold {self.chi2_critical:.4g})>"


def _path(value, what: str, keep: list):
    """A file argument: a path as given; a DataFrame (in the file's layout; a named index is a
    column) written once to a temporary TSV that lives as long as the call."""
    import os
    import tempfile

    if value is None or isinstance(value, (str, os.PathLike)):
        return None if value is None else os.fspath(value)
    if not hasattr(value, "to_csv"):
        raise InputError(f"{what}: give a file or a DataFrame, not {type(value).__name__}")
    import pandas as pd

    frame = value
    if not isinstance(value.index, pd.RangeIndex):  # ids in the index: the table's first column
        first = {"references": "reaction", "measured_fluxes": "reaction", "expression": "gene", "pools": "metabolite"}.get(what, "id")
        frame = value.rename_axis(value.index.name or first).reset_index()
    directory = tempfile.mkdtemp(prefix="fluxion-")
    keep.append(directory)
    path = os.path.join(directory, what + ".tsv")
    frame.to_csv(path, sep="\t", index=False, float_format="%.17g")
    return path


def fit(model: str, mids=None, tracers=None, progress: bool = True, **options) -> FitResult:
    """Least-squares ¹³C-MFA, as ``fluxion fit``: multistart Levenberg–Marquardt from points in the flux
    polytope, the χ² test, residuals, linearised intervals, and with ``profile=[...]`` or
    ``monte_carlo=N`` profile-likelihood and Monte Carlo intervals.

    ``model``: a built-in model's name or a model file (with atom maps). ``mids``: measured
    MIDs (a file in any format fluxion reads, or a DataFrame in fluxion's MID table layout).
    ``tracers``: the tracer table (a file or DataFrame; None for a built-in model's own).
    Other keyword arguments are ``fluxion fit``'s options (``help(fluxion._core.fit)``):
    starts, seed, threads, measured_fluxes, constraints, natural_abundance, start_from, ...
    MIDs with a ``time`` column are a time course (non-stationary MFA): give the pool sizes
    with ``pools`` (a file or a DataFrame: metabolite, size, [status fixed|free|measured],
    [lower], [upper], [sd]) and/or ``default_pool``; ``result.pools`` holds the fitted sizes.

    Shows progress (tqdm when importable); Ctrl-C stops the fit cleanly and raises
    KeyboardInterrupt. A fit that does not converge is a ``termination``, not an exception.
    """
    import shutil

    if isinstance(model, Model):
        raise InputError("model: fit reads the model with its atom maps from a file or a built-in name; give that, not a Model")
    keep = []
    try:
        files = dict(model=str(model), mids=_path(mids, "mids", keep), experiments=_path(tracers, "tracers", keep))
        for name in ("measured_fluxes", "constraints", "pools"):
            if name in options:
                options[name] = _path(options[name], name, keep)
        files = {k: v for k, v in files.items() if v is not None}
        report, close = _progress_printer(progress)
        try:
            r = _interruptible(lambda hook: _core.fit(progress=hook, **files, **options), report)
        finally:
            close()
        return FitResult(r)
    finally:
        for d in keep:
            shutil.rmtree(d, ignore_errors=True)


def _read_tsv(text: str, index: Optional[str] = None):
    import io

    import pandas as pd

    frame = pd.read_csv(io.StringIO(text), sep="\t", keep_default_na=False, na_values=["NA"])
    return frame.set_index(index) if index else frame


def _with_files(call, model, file_args: dict, options: dict):
    """Runs call(model, **options) with DataFrame arguments written to temporary files."""
    import shutil

    keep = []
    try:
        for name, value in file_args.items():
            if value is not None:
                options[name] = _path(value, name, keep)
        return call(_model(model), **options)
    finally:
        for d in keep:
            shutil.rmtree(d, ignore_errors=True)


def _sample_frame(r: dict):
    frame = _read_tsv(r["fluxes"], "reaction")
    frame.attrs.update(summary=r["summary"], samples=_read_tsv(r["summary_table"]), not_optimal=r["not_optimal"],
                       provenance=dict(r["settings"], fluxion_version=__version__, git_commit=git_commit))
    return frame


def moma(model: ModelLike, references=None, **options):
    """MoMA, as ``fluxion moma``: the fluxes of a perturbed model (``knockout``,
    ``knockout_genes``, ``set_bounds``) closest to reference fluxes (a DataFrame, reactions ×
    samples with a ``reaction`` index, or a file; None: the unperturbed model's pFBA, as
    cobrapy). ``linear=True`` for the linear variant. Returns reactions × samples; ``attrs``
    hold each sample's status (``samples``), the summary and the provenance."""
    r = _with_files(_core.moma, model, {"references": references}, options)
    frame = _sample_frame(r)
    frame.attrs["blocked"] = list(r["blocked"])
    return frame


def imat(model: ModelLike, expression=None, references=None, **options):
    """iMAT, as ``fluxion imat`` (COIN-OR CBC): fluxes consistent with gene ``expression``
    (genes × samples, a DataFrame with a gene index or a file) or with reaction
    ``references``. Returns reactions × samples; ``attrs["samples"]`` holds each status."""
    r = _with_files(_core.imat, model, {"expression": expression, "references": references}, options)
    frame = _sample_frame(r)
    frame.attrs["genes_found"] = r["genes_found"]
    return frame


def expression(model: ModelLike, expression, **options):
    """Gene expression to reference fluxes, as ``fluxion expression``: activities through the
    GPR rules, mapped into FVA ranges (or the model's bounds). Returns the reference fluxes
    (reactions × samples, with a ``confidence`` column, ready for :func:`project`);
    ``attrs["activity"]`` holds the reaction activities."""
    r = _with_files(_core.expression, model, {"expression": expression}, options)
    frame = _read_tsv(r["files"]["references.tsv"], "reaction")
    activity = r["files"].get("activity.tsv")
    frame.attrs.update(summary=r["summary"], ranges=r["ranges"],
                       activity=_read_tsv(activity, "reaction") if activity else None,
                       provenance=dict(r["settings"], fluxion_version=__version__, git_commit=git_commit))
    return frame


def correct(intensities, tracer: str = "13C", purity: float = 1.0, isotopes: Optional[str] = None,
            tracer_natural_abundance: bool = True):
    """Natural-abundance and tracer-purity correction of raw intensities, as ``fluxion correct``
    (correction matrix and non-negative least squares, IsoCor's low-resolution method).

    ``intensities``: sample, metabolite, isotopologue, area, formula[, derivative] (a file or
    a DataFrame). ``tracer``: 13C, 2H, 15N or 18O; ``purity`` of the tracer at labelled
    positions; ``isotopes``: an IsoCor Isotopes.dat replacing the built-in abundances;
    ``tracer_natural_abundance=False`` leaves the tracer element's natural isotopes at
    unlabelled positions in the data. Returns corrected.tsv as a DataFrame (IsoCor's columns).
    """
    import shutil

    keep = []
    try:
        path = _path(intensities, "intensities", keep)
        text = _core.correct(path, tracer, float(purity), isotopes or "", bool(tracer_natural_abundance))
    finally:
        for d in keep:
            shutil.rmtree(d, ignore_errors=True)
    return _read_tsv(text)



def _learn_engines():
    """fluxion._learn, imported on first use: it loads LibTorch (half a second)."""
    import importlib

    return importlib.import_module("fluxion._learn")


def predictor(package: str, model: Optional[str] = None):
    """An ML-Flux predictor package opened once (a built-in name such as "glycolysis" or a
    .fluxpkg), for :func:`predict` on many MID tables."""
    return _learn_engines().Predictor(str(package), model or "")


def predict(package, mids, **options) -> dict:
    """Fluxes, ΔG and standard errors from measured MIDs, as ``fluxion predict``.

    ``package``: a predictor (from :func:`predictor`), a built-in package name or a .fluxpkg.
    ``mids``: a MID table (a file or a DataFrame: experiment, metabolite, isotopologue,
    fraction, [sd], [element], [replicate]). Options are ``fluxion predict``'s (imputer,
    knn_k, temperature, ...). Returns a dict of DataFrames, one per file the command writes
    (``fluxes``, ``delta_g``, ``mids``, ``replicates``; a time-course package such as
    "simple_time_course" takes MIDs with a ``time`` column and adds ``pools``, the predicted
    pool sizes), with ``table`` (the command's aligned table) and ``provenance``."""
    import os
    import shutil

    p = package if hasattr(package, "predict") else predictor(package)
    keep = []
    try:
        r = p.predict(_path(mids, "mids", keep), **options)
    finally:
        for d in keep:
            shutil.rmtree(d, ignore_errors=True)
    out = {}
    for name, text in r["files"].items():
        stem, ext = os.path.splitext(name)
        out[stem] = _read_tsv(text) if ext == ".tsv" else text
    out["table"] = r["table"]
    out["provenance"] = {"package": r["package"], "model": r["model"], "fluxion_version": __version__, "git_commit": git_commit}
    return out


def scflux(adata, layer: Optional[str] = None, gene_column: Optional[str] = None, groups: Optional[str] = None,
           key_added: str = "scflux", progress: bool = True, copy: bool = False, **options):
    """scFEA on an AnnData, as ``fluxion scflux``: per-cell module fluxes and metabolite balances.

    ``adata``: an ``anndata.AnnData`` (or an .h5ad path), cells × genes; the counts from
    ``adata.X`` or ``adata.layers[layer]``, genes from ``var_names`` (or ``var[gene_column]``).
    The network: ``network`` (a directory), ``model`` (derived from a model's GPR rules) or
    scFEA's files (``module_genes``, ``stoichiometry``, ``compound_names``, ``module_info``).
    ``groups``: an ``obs`` column whose groups are compared. Other options are ``fluxion
    scflux``'s (epochs, seed, impute, ...).

    Writes where scanpy users look: ``obsm[key_added + "_flux"]`` (cells × modules) and
    ``obsm[key_added + "_balance"]`` (cells × compounds) as DataFrames, and ``uns[key_added]``
    with the modules, compounds, group comparison, summary and provenance. Returns the AnnData
    when ``copy`` or given a path, else None (scanpy's convention). A 10x directory or .h5,
    or a dense table, is read by the command's reader into a new AnnData of the cells (no X);
    ``groups`` is then a cell → group table file."""
    import numpy as np
    import scipy.sparse

    if (isinstance(adata, str) or hasattr(adata, "__fspath__")) and not str(adata).endswith(".h5ad"):
        return _scflux_file(str(adata), layer, gene_column, groups, key_added, progress, options)
    if isinstance(adata, str) or hasattr(adata, "__fspath__"):
        import anndata

        adata, copy = anndata.read_h5ad(str(adata)), True
    elif copy:
        adata = adata.copy()
    matrix = adata.layers[layer] if layer else adata.X
    if matrix is None:
        raise InputError("expression: the AnnData has no X" + (f" (layer '{layer}')" if layer else ""))
    csr = scipy.sparse.csr_matrix(matrix, dtype=np.float32, copy=True)
    csr.sum_duplicates()  # sorted, one entry per (cell, gene), as the engine's matrix holds them
    if gene_column:
        if gene_column not in adata.var:
            raise InputError(f"gene_column: '{gene_column}' is not a column of var ({', '.join(map(str, adata.var.columns))})")
        genes = adata.var[gene_column].astype(str).tolist()
    else:
        genes = adata.var_names.astype(str).tolist()
    labels = []
    if groups is not None:
        if groups not in adata.obs:
            raise InputError(f"groups: '{groups}' is not a column of obs ({', '.join(map(str, adata.obs.columns))})")
        labels = adata.obs[groups].astype(str).tolist()
    cells = adata.obs_names.astype(str).tolist()
    report, close = _progress_printer(progress)
    L = _learn_engines()
    try:
        r = _interruptible(lambda hook: L.scflux(csr.indptr.astype(np.int64), csr.indices.astype(np.int32), csr.data, genes, cells, labels,
                                                 hook, **options), report)
    finally:
        close()
    _scflux_into(adata, r, key_added, layer, groups)
    return adata if copy else None


def _scflux_file(path, layer, gene_column, groups, key_added, progress, options):
    """scflux on a 10x directory or .h5 or a dense table, read by the command's reader; a new
    AnnData of the cells (no X) with the results. ``groups``: a cell → group table file."""
    import anndata
    import pandas as pd

    report, close = _progress_printer(progress)
    L = _learn_engines()
    request = dict(options, expression=path, layer=layer, gene_column=gene_column, groups=groups)
    try:
        r = _interruptible(lambda hook: L.scflux_file(hook, **request), report)
    finally:
        close()
    adata = anndata.AnnData(obs=pd.DataFrame(index=pd.Index(r["cells"], name="cell")))
    _scflux_into(adata, r, key_added, layer, groups)
    return adata


def _scflux_into(adata, r, key_added, layer, groups):
    import io

    import numpy as np
    import pandas as pd

    adata.obsm[key_added + "_flux"] = pd.DataFrame(r["flux"], index=adata.obs_names, columns=r["modules"])
    adata.obsm[key_added + "_balance"] = pd.DataFrame(r["balance"], index=adata.obs_names, columns=r["compounds"])
    uns = {
        "modules": pd.DataFrame({"name": r["module_names"], "genes_found": np.asarray(r["genes_found"], dtype=np.int64)},
                                index=pd.Index(r["modules"], name="module")),
        "compounds": np.asarray(r["compounds"], dtype=object),
        "summary": r["summary"],
        "termination": r["termination"],
        "provenance": dict(r["settings"], fluxion_version=__version__, git_commit=git_commit, layer=layer or "X",
                           groups=groups or ""),
    }
    for name in ("groups_modules.csv", "groups_balance.csv"):
        if name in r["files"]:
            uns[name[:-4]] = pd.read_csv(io.StringIO(r["files"][name]))
    adata.uns[key_added] = uns



def train(dataset: str, output: str, model: Optional[str] = None, progress: bool = True, **options) -> dict:
    """An ML-Flux predictor package from a dataset, as ``fluxion train``: written to
    ``output`` (predictor.fluxpkg and the training tables). Options are the command's
    (epochs, hidden, loss, heads, mid_noise, time_limit, resume, ...; ``help`` lists them).

    Resumable: a time limit, ``stop_after_epochs`` or Ctrl-C pauses the training after an
    epoch with its checkpoint in ``output``; ``resume=True`` continues. Returns ``paused``,
    ``package`` (its path, "" when paused), the test MAE beside the training mean's and the
    tables as DataFrames (``loss``, ``test_errors``, ...)."""
    import os

    report, close = _progress_printer(progress)
    L = _learn_engines()
    try:
        r = _interruptible(lambda hook: L.train(str(dataset), str(output), model or "", hook, **options), report)
    finally:
        close()
    out = {k: v for k, v in r.items() if k != "files"}
    for name, text in r["files"].items():
        out[os.path.splitext(name)[0]] = _read_tsv(text)
    return out



def ensemble(members, dataset: str, output: str, model: Optional[str] = None, **options) -> dict:
    """Predictor packages trained on one dataset joined into one that predicts the mean of
    their free fluxes, as ``fluxion ensemble``: written to ``output`` (predictor.fluxpkg and
    its error tables, computed on the dataset's test rows). ``members``: two or more package
    files or built-in names. Options are the command's (error_rows, masked_rows, seed).
    Returns ``package`` (its path), ``members``, the test MAE beside the training mean's and
    the tables as DataFrames (``test_errors``, ``error_tables``, ``vssr_acceptance``)."""
    import os

    r = _learn_engines().ensemble([str(m) for m in members], str(dataset), str(output), model or "", **options)
    out = {k: v for k, v in r.items() if k != "files"}
    for name, text in r["files"].items():
        out[os.path.splitext(name)[0]] = _read_tsv(text)
    return out


def dynamics_train(output: str, data: Optional[str] = None, configurations: Optional[str] = None, progress: bool = True,
                   **options) -> dict:
    """NP, NODEP or SNODEP on a time series, as ``fluxion dynamics train``: ``data`` a
    directory of per-day tables (d0.csv.gz, d1.csv.gz, …), or ``configurations`` a knockout
    experiment's directory. Written to ``output`` (model.pt, model.json, the tables). Options
    are the command's (model, epochs, context_days, ...). Returns ``report`` (the paper's
    test MSE beside the variance floor), ``usable`` and the tables as DataFrames."""
    import io
    import os

    import pandas as pd

    report, close = _progress_printer(progress)
    L = _learn_engines()
    try:
        r = _interruptible(lambda hook: L.dynamics_train(data or "", configurations or "", str(output), hook, **options), report)
    finally:
        close()
    out = {k: v for k, v in r.items() if k != "files"}
    for name, text in r["files"].items():
        stem, ext = os.path.splitext(name)
        if ext == ".csv":
            out[stem] = pd.read_csv(io.StringIO(text))
    return out


def dynamics_predict(model: str, context: str, days: Iterable[float] = (), output: Optional[str] = None, **options):
    """A trained dynamics model's distributions at any days (unseen ones too), as ``fluxion
    dynamics predict``: ``model`` the directory dynamics_train wrote, ``context`` per-day
    tables with the model's context days. Returns summary.csv as a DataFrame (per day and
    feature: mean and SD); the per-day tables are written to ``output`` when given."""
    import io

    import pandas as pd

    r = _learn_engines().dynamics_predict(output or "", model=str(model), context=str(context), days=list(days) or None, **options)
    frame = pd.read_csv(io.StringIO(r["summary"]))
    frame.attrs.update(description=r["description"], provenance=dict(r["settings"], fluxion_version=__version__, git_commit=git_commit),
                       written=list(r["written"]))
    return frame



def dataset(model: str, output: str, rows: int = 0, progress: bool = True, **options) -> dict:
    """ML-Flux training data, as ``fluxion dataset``: flux sets from the sampler and the
    simulated MIDs of every tracer experiment, written to ``output`` (dataset.h5,
    manifest.json) with a train / validation / test split. Options are the command's
    (experiments, method, exchange, draws, threads, resume, ...; ``help`` lists them).

    Ctrl-C stops it after the part in hand and raises KeyboardInterrupt; ``resume=True``
    finishes it. Returns ``complete``, ``rows``, ``file`` and the sampler's record."""
    flag = _core.StopFlag()
    r = _in_worker(lambda: _core.dataset(str(output), flag, bool(progress), model=str(model), rows=int(rows), **options), flag.set)
    r["sampler"] = dict(r["sampler"])
    return r



def score(package, dataset: str, **options) -> dict:
    """A predictor package scored on a dataset's rows, as ``fluxion score``: every flux's MAE,
    bias and share within tolerance beside the training mean's, the skill (1 − MAE / MAE of
    the mean), identifiability, and the paper's metrics. ``package``: a predictor, a built-in
    name or a .fluxpkg; ``dataset``: a directory ``dataset`` wrote. Options are the
    command's (subset, rows, mid_noise, tolerance, ...). Returns the tables as DataFrames
    (``scores``, ``delta_g_scores``, ``paper_metrics``), ``median_skill`` and ``summary``."""
    import os

    p = package if hasattr(package, "score") else predictor(package)
    r = p.score(str(dataset), **options)
    out = {k: v for k, v in r.items() if k != "files"}
    for name, text in r["files"].items():
        stem, ext = os.path.splitext(name)
        out[stem] = _read_tsv(text) if ext == ".tsv" else text
    return out



def dynamics_scfea(data: str, network: str, output: str, progress: bool = True, **options) -> dict:
    """Per-day module flux and metabolite balance from an expression time series, as
    ``fluxion dynamics scfea``: ``data`` a directory of per-day tables, ``network`` a
    directory with one scFEA network; with ``knockouts=N`` also N knockout configurations.
    Written to ``output`` (flux/, balance/, ...; the tables dynamics_train learns from).
    Returns the files written, the summary and the settings."""
    report, close = _progress_printer(progress)
    L = _learn_engines()
    try:
        r = _interruptible(lambda hook: L.dynamics_scfea(str(data), str(network), str(output), hook, **options), report)
    finally:
        close()
    r["settings"] = dict(r["settings"])
    return r


def _add_options_help(function, engine, skip=()):
    """Appends the engine's option declarations (the command's --help) to a function's
    docstring, so that help(fluxion.fit) lists every keyword argument with its default."""
    doc = engine.__doc__ or ""
    at = doc.find("Keyword arguments")
    if at < 0:
        return
    lines = [line for line in doc[at:].splitlines()[1:] if line.strip() and line.strip().split(" ")[0] not in skip]
    function.__doc__ = (function.__doc__ or "").rstrip() + "\n\n    Options (those of the command, underscores for dashes):\n" + "\n".join(
        "    " + line.strip() if line.startswith("    ") else "    " + line for line in lines)


_add_options_help(fba, _core.fba)
_add_options_help(fit, _core.fit, skip=("model", "mids", "experiments", "progress:"))
_add_options_help(moma, _core.moma, skip=("references",))
_add_options_help(imat, _core.imat, skip=("references", "expression"))
_add_options_help(expression, _core.expression, skip=("expression",))
_add_options_help(dataset, _core.dataset, skip=("model", "rows"))
