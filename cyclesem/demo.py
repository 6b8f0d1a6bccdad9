"""The whole product on data it makes itself: ``cyclesem demo``.

Four stages, each the library call behind a ``cyclesem`` command:

1. ``cyclesem synth``: procedural SEM-like phantoms degraded by the ``demo``
   recipe into a benchmark (unpaired train split, paired test split with the
   true PSFs);
2. ``cyclesem train --unpaired``: a demo-sized CycleGAN on the unpaired split;
3. ``cyclesem enhance``: the trained run on the test images;
4. ``cyclesem compare``: identity, Wiener (true PSF), blind deconvolution,
   unsharp masking and the trained run, scored against the clear test images,
   with ``report.html``.

The demo folder holds ``benchmark/``, ``cyclegan/`` (the run), ``enhanced/`` and ``report/``.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from cyclesem.io.outputs import clear_output_folder

__all__ = ["DemoSettings", "DEMO", "QUICK_DEMO", "DemoResult", "run_demo"]

_PARTS = ("benchmark", "cyclegan", "enhanced", "report")


@dataclass(frozen=True)
class DemoSettings:
    """What the demo makes and how long it trains.

    Attributes
    ----------
    recipe : str
        The ``synth`` recipe of the benchmark.
    phantoms, size, seed, test_fraction
        Benchmark options (see :func:`synth.make_benchmark`).
    preset : str
        The CycleGAN preset; ``train_overrides`` are ``--set`` texts on top.
    steps, crop, batch
        Training length and crops.
    methods : tuple of str
        The baselines compared with the trained run.
    """

    recipe: str = "demo"
    phantoms: int = 60
    size: int = 256
    seed: int = 0
    test_fraction: float = 0.2
    preset: str = "tiny"
    train_overrides: tuple[str, ...] = ("enhance.keep_grey_levels=false",)
    steps: int = 1500
    crop: int = 64
    batch: int = 4
    methods: tuple[str, ...] = ("identity", "wiener", "blind", "unsharp")


DEMO = DemoSettings()
"""The README's demo: a few minutes on two CPU cores.

The ``tiny`` physically constrained CycleGAN (a MIDNet restorer taught by the
fitted SEM degradation), 1500 steps of four 64 px crops. The ``demo`` recipe
veils its images (fog), which lowers their contrast: undoing that is part of
what the demo scores, so its run writes the network's own grey levels
(``enhance.keep_grey_levels = false``, as ``cyclesem enhance
--no-keep-grey-levels``) where a new run would map them back to the input's.
"""

QUICK_DEMO = replace(DEMO, phantoms=6, size=64, steps=2, crop=32,
                     train_overrides=(*DEMO.train_overrides, "runtime.eager=true"))
"""A seconds-long smoke run of every stage (``cyclesem demo --quick``, the tests)."""


@dataclass(frozen=True)
class DemoResult:
    """Where the demo's outputs are and what the comparison found."""

    out_dir: Path
    comparison: object
    train_seconds: float
    steps: int


def run_demo(out_dir: str | os.PathLike, settings: DemoSettings = DEMO, *, make_benchmark: Callable,
             overwrite: bool = False, progress: bool = True, echo: Callable[[str], None] = print) -> DemoResult:
    """Run the four demo stages into ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The demo folder; an earlier demo there is replaced only with ``overwrite``.
    settings : DemoSettings
        What to make and how long to train.
    make_benchmark : callable
        :func:`synth.make_benchmark` (``cyclesem`` never imports ``synth``; the
        CLI hands it in).
    overwrite : bool
        Replace an earlier demo in ``out_dir``.
    progress : bool
        Show progress bars.
    echo : callable
        Receives the demo's one-line messages.

    Returns
    -------
    DemoResult

    Raises
    ------
    CyclesemError
        If ``out_dir`` holds something other than an earlier demo, or it exists
        without ``overwrite``. A failed demo leaves no partial folder behind.
    """
    out_dir = clear_output_folder(out_dir, overwrite, owned=_PARTS, what="an earlier demo",
                                  not_empty="exists (use --overwrite to replace an earlier demo)")
    try:
        return _stages(out_dir, settings, make_benchmark, progress, echo)
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise


def _stages(out_dir: Path, settings: DemoSettings, make_benchmark, progress: bool, echo) -> DemoResult:
    bench, run_dir = out_dir / "benchmark", out_dir / "cyclegan"
    echo(f"[1/4] cyclesem synth: {settings.phantoms} phantoms, recipe '{settings.recipe}' -> {bench}")
    make_benchmark(settings.recipe, bench, seed=settings.seed, n_phantoms=settings.phantoms,
                   size=settings.size, test_fraction=settings.test_fraction, progress=progress)
    echo(f"[2/4] cyclesem train --unpaired: preset '{settings.preset}', {settings.steps} steps -> {run_dir}")
    started = time.perf_counter()
    _train(bench, run_dir, settings, progress, echo)
    train_seconds = time.perf_counter() - started
    echo(f"[3/4] cyclesem enhance: test images -> {out_dir / 'enhanced'}")
    _enhance(run_dir, bench / "test" / "blurry", out_dir / "enhanced", progress)
    echo(f"[4/4] cyclesem compare: {', '.join(settings.methods)} and the trained run -> {out_dir / 'report'}")
    comparison = _compare(bench, run_dir, out_dir / "report", settings, progress)
    return DemoResult(out_dir, comparison, train_seconds, settings.steps)


def _train(bench: Path, run_dir: Path, settings: DemoSettings, progress: bool, echo) -> None:
    from cyclesem.config import resolve_config
    from cyclesem.train.tasks import run_training

    folders = {domain: str((bench / "train" / domain).resolve()) for domain in ("blurry", "clear")}
    config = resolve_config(
        "cyclegan", settings.preset, None, list(settings.train_overrides),
        {"train": {"steps": settings.steps, "crop": settings.crop, "batch": settings.batch,
                   "seed": settings.seed},
         "data": folders},
    )
    run_training(config, run_dir, progress=progress, log=echo)


def _enhance(run_dir: Path, inputs: Path, out: Path, progress: bool) -> None:
    from tqdm.auto import tqdm

    from cyclesem.restore.enhance import enhance_file
    from cyclesem.io import list_images
    from cyclesem.restore.runs import load_run

    run = load_run(run_dir)
    for path in tqdm(list_images(inputs), desc="enhance", unit="image", disable=not progress):
        enhance_file(run, path, out / path.name)


def _compare(bench: Path, run_dir: Path, out: Path, settings: DemoSettings, progress: bool):
    from cyclesem.evaluate.compare import benchmark_source, run_comparison

    methods = list(settings.methods) + [str(run_dir)]
    return run_comparison(benchmark_source(bench), methods, out, progress=progress,
                          command="cyclesem demo")
