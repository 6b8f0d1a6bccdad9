"""Run restoration methods on a benchmark or on real pairs, score them, write a report.

Sources of images:

- a benchmark folder made by ``cyclesem synth`` (:func:`benchmark_source`):
  ``test/blurry/*.tif`` and ``test/clear/*.tif`` of the same names, the true PSF
  of each in ``test/psf/<stem>.npy``, and ``manifest.json``;
- real pairs (:func:`pairs_source`): a folder of blurry and a folder of sharp
  images matched by name; they have no PSF, so methods that need one are
  skipped with a note.

Methods are the classical baselines of :data:`BUILTIN_METHODS` and run folders
of ``cyclesem train`` (loaded with :func:`cyclesem.runs.load_run`, TensorFlow
imported only then). A method or an image that fails is reported and the rest
goes on. :func:`run_comparison` writes ``metrics.csv``, ``report.md`` and
``report.html`` (:mod:`cyclesem.report`) and returns a :class:`Comparison`.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from tqdm import tqdm

from cyclesem import __version__, classical, report
from cyclesem.errors import CyclesemError
from cyclesem.folders import building_folder, check_output_folder
from cyclesem.io import list_images, read_image
from cyclesem.metrics import no_reference_scores, score_pair
from cyclesem.pairs import match_pairs
from cyclesem.pretrained import is_model_name, model_names
from cyclesem.registration import estimate_shift

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

Restore = Callable[[np.ndarray, "np.ndarray | None"], np.ndarray]


@dataclass(frozen=True)
class Method:
    """A way to restore an image: ``restore(blurry, psf) -> restored``.

    ``needs_psf`` methods get the true PSF (a benchmark's ``test/psf``); the
    others get ``None``. ``details`` says how it was set up, for the report.
    """

    name: str
    restore: Restore = field(repr=False)
    needs_psf: bool
    details: str


BUILTIN_METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("identity", lambda image, psf: np.array(image, np.float32), False, "the blurry input, unchanged"),
        Method("wiener", lambda image, psf: classical.wiener(image, psf), True, "Wiener-Hunt, true PSF, balance 0.01"),
        Method("self_wiener", lambda image, psf: classical.self_tuned_wiener(image, psf), True,
               "Wiener-Hunt, true PSF, balance from the image's noise (predictive risk)"),
        Method("blind", lambda image, psf: classical.blind_deconvolution(image)[0], False,
               "round Gaussian PSF fitted to the image, then self-tuned Wiener"),
        Method("rl", lambda image, psf: classical.richardson_lucy(image, psf), True,
               "Richardson-Lucy, true PSF, 30 iterations"),
        Method("rl_tv", lambda image, psf: classical.richardson_lucy(image, psf, tv_weight=0.005), True,
               "Richardson-Lucy with total variation 0.005, true PSF, 30 iterations"),
        Method("unsharp", lambda image, psf: classical.unsharp_mask(image), False, "unsharp mask, radius 2 px, amount 1"),
    )
}
DEFAULT_METHODS = ("identity", "wiener", "self_wiener", "blind", "rl", "unsharp")


@dataclass(frozen=True)
class Item:
    """One test image: its blurry and clear files and, on a benchmark, its PSF."""

    name: str
    blurry: Path
    clear: Path
    psf: Path | None = None


@dataclass(frozen=True)
class Source:
    """The images to compare on, and what the report says about where they came from."""

    kind: str
    items: tuple[Item, ...]
    description: dict
    has_psf: bool


@dataclass
class Comparison:
    """What :func:`run_comparison` measured and wrote.

    ``rows``: one dict per image and method (``image, method, psnr, ssim, ag,
    con, sf, focus, seconds``); ``summary``: :class:`report.SummaryRow` per
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


# ---------------------------------------------------------------------------- sources


def benchmark_source(path: str | os.PathLike) -> Source:
    """The test split of a benchmark folder (``cyclesem synth``).

    Raises
    ------
    CyclesemError
        If the folder lacks ``test/blurry`` or ``test/clear`` images.
    """
    root = Path(path)
    blurry_dir, clear_dir = root / "test" / "blurry", root / "test" / "clear"
    for folder in (root, blurry_dir, clear_dir):
        if not folder.is_dir():
            raise CyclesemError("not a benchmark folder (needs test/blurry and test/clear)", folder)
    pairs = match_pairs(list_images(blurry_dir), list_images(clear_dir))
    items = tuple(Item(p.name, p.blurry, p.sharp, psf=root / "test" / "psf" / f"{p.name}.npy") for p in pairs)
    description = {"benchmark": os.fspath(root)} | _manifest_summary(root / "manifest.json")
    return Source("benchmark", items, description, has_psf=True)


def _manifest_summary(path: Path) -> dict:
    """Recipe, seed, size and source folder from a benchmark's manifest, if readable."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    recipe = manifest.get("recipe") or {}
    summary = {
        "recipe": recipe.get("name"),
        "recipe description": recipe.get("description"),
        "seed": manifest.get("seed"),
        "tile size": manifest.get("size"),
        "source images": (manifest.get("sources") or {}).get("folder") or (manifest.get("sources") or {}).get("phantoms"),
        "made by cyclesem": manifest.get("cyclesem_version"),
    }
    return {key: value for key, value in summary.items() if value not in (None, "")}


def pairs_source(blurry_dir: str | os.PathLike, sharp_dir: str | os.PathLike) -> Source:
    """Real pairs: files of ``blurry_dir`` and ``sharp_dir`` matched by name (no PSF).

    Raises
    ------
    CyclesemError
        If a folder is missing or empty, or a file has no partner.
    """
    pairs = match_pairs(list_images(blurry_dir), list_images(sharp_dir))
    items = tuple(Item(pair.name, pair.blurry, pair.sharp) for pair in pairs)
    description = {"blurry images": os.fspath(blurry_dir), "sharp images": os.fspath(sharp_dir)}
    return Source("pairs", items, description, has_psf=False)


# ---------------------------------------------------------------------------- methods


def resolve_methods(names: Sequence[str]) -> tuple[list[Method], list[tuple[str, str]]]:
    """Turn method names and run folders into methods, and ``(folder, why)`` for runs that did not load.

    Raises
    ------
    CyclesemError
        For names that are neither known methods nor folders (all listed), or no names.
    """
    names = [name.strip() for name in names if name.strip()]
    unknown = [n for n in names if n not in BUILTIN_METHODS and not Path(n).is_dir() and not is_model_name(n)]
    if unknown or not names:
        known = ", ".join(BUILTIN_METHODS)
        what = f"unknown method(s) {', '.join(unknown)}" if unknown else "no methods given"
        raise CyclesemError(f"{what}: use {known}, a packaged model ({', '.join(model_names())}), "
                            f"or a run folder of 'cyclesem train'")
    methods, failures = [], []
    for name in dict.fromkeys(names):
        if name in BUILTIN_METHODS:
            methods.append(BUILTIN_METHODS[name])
            continue
        try:
            methods.append(_run_method(name))
        except Exception as exc:  # noqa: BLE001 - a run that does not load is reported, the rest goes on
            failures.append((name, _problem(exc)))
    return methods, failures


def _run_method(path: str) -> Method:
    from cyclesem.runs import load_run  # imports TensorFlow lazily

    run = load_run(path)
    return Method(run.name, lambda image, psf: run.enhance(image), False, run.describe())


def _problem(exc: BaseException) -> str:
    if isinstance(exc, CyclesemError):
        return exc.one_line()
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


# ------------------------------------------------------------------------- comparing


@dataclass
class _Collected:
    rows: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    examples: list[report.Example] = field(default_factory=list)


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

    Returns
    -------
    Comparison

    Raises
    ------
    CyclesemError
        Unknown methods, or ``out_dir`` exists without ``overwrite``.
    """
    out_dir = Path(out_dir)
    check_output_folder(out_dir, overwrite)
    chosen, failures = resolve_methods(methods)
    chosen, notes = _usable_methods(chosen, source)
    collected = _Collected(failures=list(failures))
    started = time.perf_counter()
    bar = tqdm(total=len(source.items) * max(len(chosen), 1), desc="compare", unit="run", disable=not progress)
    with bar:
        for index, item in enumerate(source.items):
            _compare_item(item, chosen, collected, register=register, keep_example=index < examples, bar=bar)
    reference = report.mean_scores(collected.references)
    summary = report.summarize(collected.rows, [m.name for m in chosen])
    context = report.ReportContext(
        title=_title(source),
        summary=summary,
        reference=reference,
        rows=collected.rows,
        examples=collected.examples,
        failures=collected.failures,
        notes=notes + (["full-reference scores on the registered overlap"] if register else []),
        provenance=_provenance(source, chosen, command, time.perf_counter() - started),
    )
    html = _write_outputs(out_dir, overwrite, context)
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
    except Exception as exc:  # noqa: BLE001 - a bad image is reported, the rest goes on
        collected.failures.append((item.name, _problem(exc)))
        bar.update(len(methods))
        return
    collected.references.append(no_reference_scores(clear))
    example = report.start_example(item.name, blurry, clear) if keep_example else None
    for method in methods:
        bar.set_postfix_str(f"{item.name} / {method.name}", refresh=False)
        try:
            row, restored = _score_method(method, blurry, clear, psf, shift)
        except Exception as exc:  # noqa: BLE001 - a failing method is reported, the rest goes on
            collected.failures.append((f"{item.name} / {method.name}", _problem(exc)))
        else:
            collected.rows.append({"image": item.name} | row)
            if example is not None:
                example.add(method.name, restored, row)
        bar.update(1)
    if example is not None:
        collected.examples.append(example)


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
        return f"Comparison on benchmark {name}" + (f" (recipe {recipe})" if recipe else "")
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


def _write_outputs(out_dir: Path, overwrite: bool, context: report.ReportContext) -> Path:
    """Write the report files in a temporary sibling folder, then rename it into place."""
    with building_folder(out_dir, overwrite=overwrite) as temp:
        report.write_csv(context.rows, temp / "metrics.csv")
        report.write_markdown(context, temp / "report.md")
        report.write_html(context, temp / "report.html")
    return out_dir / "report.html"
