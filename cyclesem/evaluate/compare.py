"""Run restoration methods on a benchmark or on real pairs, score them, write a report.

Sources of images are :mod:`~cyclesem.evaluate.sources` (a ``cyclesem synth``
benchmark, or real pairs); methods are :mod:`~cyclesem.evaluate.methods` (the
classical baselines, and run folders of ``cyclesem train``). A method or an
image that fails is reported and the rest goes on. :func:`run_comparison`
writes ``metrics.csv``, ``report.md`` and ``report.html``
(:mod:`cyclesem.evaluate.report`) and returns a :class:`Comparison`.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from cyclesem import __version__
from cyclesem.data.registration import estimate_shift
from cyclesem.errors import CyclesemError
from cyclesem.evaluate import report, report_data, report_html
from cyclesem.evaluate.methods import BUILTIN_METHODS, DEFAULT_METHODS, Method, describe_problem, resolve_methods
from cyclesem.evaluate.metrics import no_reference_scores, score_pair
from cyclesem.evaluate.sources import Item, Source, benchmark_source, pairs_source
from cyclesem.io import read_image
from cyclesem.io.outputs import building_folder, check_output_folder

__all__ = [
    "Method",
    "BUILTIN_METHODS",
    "DEFAULT_METHODS",
    "Item",
    "Source",
    "Comparison",
    "benchmark_source",
    "pairs_source",
    "resolve_methods",
    "run_comparison",
]

REPORT_FILES = ("metrics.csv", "report.md", "report.html")


@dataclass
class Comparison:
    """What :func:`run_comparison` measured and wrote.

    ``rows``: one dict per image and method (``image, method, psnr, ssim, ag,
    con, sf, focus, seconds``); ``summary``: :class:`report_data.SummaryRow` per
    method; ``reference``: mean no-reference scores of the clear images;
    ``failures``: ``(what, why)``; ``notes``: skipped methods and remarks.
    """

    rows: list[dict]
    summary: list
    reference: dict
    failures: list[tuple[str, str]]
    notes: list[str]
    out_dir: Path
    report_html: Path

    def table(self) -> str:
        """The summary as a Markdown table (best per column in bold)."""
        return report.markdown_table(self.summary, self.reference)


# ------------------------------------------------------------------------- comparing


@dataclass
class _Collected:
    rows: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    examples: list[report_data.Example] = field(default_factory=list)


def run_comparison(
    source: Source,
    methods: Sequence[str],
    out_dir: str | os.PathLike,
    *,
    register: bool = False,
    overwrite: bool = False,
    command: str = "",
    examples: int = 3,
    progress: bool = True,
    client=None,
) -> Comparison:
    """Run ``methods`` on every image of ``source``, score them, and write the report.

    Parameters
    ----------
    source : Source
        From :func:`benchmark_source` or :func:`pairs_source`.
    methods : sequence of str
        Names from :data:`BUILTIN_METHODS` or run folders.
    out_dir : path-like
        For ``metrics.csv``, ``report.md`` and ``report.html``; written in a
        temporary sibling folder, renamed into place at the end.
    register : bool
        Register each blurry image onto its clear partner (sub-pixel phase
        correlation); full-reference metrics then score the overlap.
    overwrite, command, examples, progress
        Replace ``out_dir``; the command line for the report; how many images
        the report shows side by side; show a progress bar.
    client : distributed.Client, optional
        Run each image (all methods on it) as a task on this Dask cluster
        (:mod:`cyclesem.restore.distributed`); the report is the same.

    Returns
    -------
    Comparison

    Raises
    ------
    CyclesemError
        Unknown methods, or ``out_dir`` exists without ``overwrite``.
    """
    out_dir = Path(out_dir)
    policy = _report_policy(source, methods)
    check_output_folder(out_dir, overwrite, **policy)
    chosen, failures = resolve_methods(methods)
    chosen, notes = _usable_methods(chosen, source)
    collected = _Collected(failures=list(failures))
    started = time.perf_counter()
    bar = tqdm(total=len(source.items) * max(len(chosen), 1), desc="compare", unit="run", disable=not progress)
    with bar:
        if client is not None:
            _compare_on_cluster(client, source, methods, collected, register=register, examples=examples,
                                progress=lambda _: bar.update(len(chosen)))
        else:
            for index, item in enumerate(source.items):
                _compare_item(item, chosen, collected, register=register, keep_example=index < examples, bar=bar)
    reference = report_data.mean_scores(collected.references)
    summary = report_data.summarize(collected.rows, [m.name for m in chosen])
    context = report_data.ReportContext(
        title=_title(source),
        summary=summary,
        reference=reference,
        rows=collected.rows,
        examples=collected.examples,
        failures=collected.failures,
        notes=notes + (["full-reference scores on the registered overlap"] if register else []),
        provenance=_provenance(source, chosen, command, time.perf_counter() - started),
    )
    html = _write_outputs(out_dir, overwrite, context, policy)
    return Comparison(collected.rows, summary, reference, collected.failures, notes, out_dir, html)


def _usable_methods(methods: list[Method], source: Source) -> tuple[list[Method], list[str]]:
    if source.has_psf:
        return methods, []
    skipped = [m.name for m in methods if m.needs_psf]
    notes = [f"skipped {', '.join(skipped)}: needs the true PSF, which real pairs lack"] if skipped else []
    return [m for m in methods if not m.needs_psf], notes


def _compare_item(item: Item, methods: list[Method], collected: _Collected, *, register, keep_example, bar) -> None:
    """Score every method on one image; failures are collected, never raised."""
    try:
        blurry, clear = _load_pair(item)
        psf = _load_psf(item.psf) if any(m.needs_psf for m in methods) and item.psf is not None else None
        shift = estimate_shift(clear, blurry) if register else None
        reference = no_reference_scores(clear)
        example = report_data.start_example(item.name, blurry, clear) if keep_example else None
    except Exception as exc:  # noqa: BLE001 - a bad image is reported, the rest goes on
        collected.failures.append((item.name, describe_problem(exc)))
        bar.update(len(methods))
        return
    collected.references.append(reference)
    for method in methods:
        bar.set_postfix_str(f"{item.name} / {method.name}", refresh=False)
        try:
            row, restored = _score_method(method, blurry, clear, psf, shift)
        except Exception as exc:  # noqa: BLE001 - a failing method is reported, the rest goes on
            collected.failures.append((f"{item.name} / {method.name}", describe_problem(exc)))
        else:
            collected.rows.append({"image": item.name} | row)
            if example is not None:
                example.add(method.name, restored, row)
        bar.update(1)
    if example is not None:
        collected.examples.append(example)


def _compare_on_cluster(client, source: Source, names, collected: _Collected, *, register, examples, progress):
    """Every image as a task (:func:`_item_task`); the results merged into ``collected`` in image order."""
    from cyclesem.restore.distributed import gather_tasks

    calls = [(item, tuple(names), source, register, index < examples) for index, item in enumerate(source.items)]
    for item, (result, problem) in zip(source.items, gather_tasks(client, _item_task, calls, progress=progress)):
        if problem is not None:
            collected.failures.append((item.name, problem))
            continue
        for name in ("rows", "references", "failures", "examples"):
            getattr(collected, name).extend(getattr(result, name))


_WORKER_METHODS: dict[tuple, list[Method]] = {}  # per worker process: methods resolved (runs loaded) once


def _item_task(item: Item, names: tuple[str, ...], source: Source, register: bool, keep_example: bool) -> _Collected:
    """On a worker: every method on one image, as :func:`_compare_item` does in one process."""
    if names not in _WORKER_METHODS:
        _WORKER_METHODS[names] = _usable_methods(resolve_methods(list(names))[0], source)[0]
    collected = _Collected()
    _compare_item(item, _WORKER_METHODS[names], collected, register=register, keep_example=keep_example,
                  bar=tqdm(disable=True))
    return collected


def _load_pair(item: Item) -> tuple[np.ndarray, np.ndarray]:
    blurry = np.asarray(read_image(item.blurry).content, np.float32)
    clear = np.asarray(read_image(item.clear).content, np.float32)
    if blurry.shape != clear.shape:
        raise CyclesemError(f"blurry {blurry.shape} and clear {clear.shape} images differ in size", item.blurry)
    return blurry, clear


def _load_psf(path: Path) -> np.ndarray:
    try:
        psf = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CyclesemError(f"cannot read the PSF ({exc})", path) from None
    if psf.ndim != 2 or not np.isfinite(psf).all() or psf.sum() <= 0:
        raise CyclesemError("the PSF must be a finite 2-D array with a positive sum", path)
    return psf.astype(np.float32)


def _score_method(method: Method, blurry, clear, psf, shift) -> tuple[dict, np.ndarray]:
    if method.needs_psf and psf is None:
        raise CyclesemError(f"{method.name} needs the true PSF and this image has none")
    started = time.perf_counter()
    restored = np.asarray(method.restore(blurry, psf), np.float32)
    seconds = time.perf_counter() - started
    if restored.shape != blurry.shape:
        raise CyclesemError(f"returned an image of shape {restored.shape}, expected {blurry.shape}")
    if not np.isfinite(restored).all():
        raise CyclesemError("returned non-finite values")
    scores = score_pair(clear, restored, shift=shift)
    return {"method": method.name} | scores | {"seconds": seconds}, restored


# ---------------------------------------------------------------------------- output


def _title(source: Source) -> str:
    if source.kind == "benchmark":
        recipe = source.description.get("recipe")
        name = Path(source.description["benchmark"]).name
        label = name if "bench" in name.lower() else f"benchmark {name}"  # the demo's folder is "benchmark"
        return f"Comparison on {label}" + (f" (recipe {recipe})" if recipe else "")
    blurry, sharp = (Path(source.description[key]) for key in ("blurry images", "sharp images"))
    return f"Comparison on real pairs: {blurry.parent.name}/{blurry.name} against {sharp.parent.name}/{sharp.name}"


def _provenance(source: Source, methods: list[Method], command: str, seconds: float) -> dict:
    return {
        "source": source.description,
        "images": len(source.items),
        "methods": {m.name: m.details for m in methods},
        "command": command,
        "date": datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cyclesem": __version__,
        "software": f"Python {platform.python_version()}, numpy {np.__version__}, on {os.cpu_count()} CPU core(s)",
        "duration": f"{seconds:.1f} s",
    }


def _report_policy(source: Source, methods: Sequence[str]) -> dict:
    """What ``--overwrite`` may replace: a report, and no folder holding an input."""
    runs = tuple(Path(name) for name in methods if name.strip() not in BUILTIN_METHODS)
    return {"owned": REPORT_FILES, "what": "a report", "inputs": source.roots + runs}


def _write_outputs(out_dir: Path, overwrite: bool, context: report_data.ReportContext, policy: dict) -> Path:
    """Write the report files in a temporary sibling folder, then rename it into place."""
    with building_folder(out_dir, overwrite=overwrite, **policy) as temp:
        report.write_csv(context.rows, temp / "metrics.csv")
        report.write_markdown(context, temp / "report.md")
        report_html.write_html(context, temp / "report.html")
    return out_dir / "report.html"
