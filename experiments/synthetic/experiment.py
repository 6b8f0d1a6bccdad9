"""Experiment files of ``experiments/synthetic`` and ``experiments/ablation_edge``.

One TOML file describes one experiment: the benchmark ``cyclesem synth`` makes
(recipe, source folders of real sharp SEM images, seed, tile size), how the
unpaired CycleGAN trains (preset, steps, crop, seed) and under which names and
``--set`` overrides (one run folder per entry of ``[runs]``), the classical
methods ``cyclesem compare`` scores beside the runs, and the metric columns of
the summary table. :func:`load_experiment` checks every name against the
project (packaged recipes, presets, compare methods, config keys) and lists all
problems at once; nothing here trains or imports TensorFlow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from cyclesem.evaluate.compare import BUILTIN_METHODS
from cyclesem.config import build, load_mapping
from cyclesem.errors import CyclesemError
from cyclesem.evaluate.metrics import METRICS
from cyclesem.config.cyclegan import PRESETS, resolve_cyclegan_config
from synth.recipes import recipe_names

__all__ = ["BenchmarkSpec", "TrainingSpec", "Experiment", "load_experiment"]

DEFAULT_SOURCES = ("sem-clear/nanowires", "sem-clear/superalloy", "sem-denoise/clean")


@dataclass(frozen=True)
class BenchmarkSpec:
    """Options of ``cyclesem synth``; ``sources`` are folders under ``../shared/data``."""

    recipe: str = "hybrid"
    sources: tuple[str, ...] = DEFAULT_SOURCES
    seed: int = 0
    size: int = 256
    test_fraction: float = 0.2

    def check(self) -> list[str]:
        problems = []
        if self.recipe not in recipe_names():
            problems.append(f"'recipe' must be one of {', '.join(recipe_names())}, got {self.recipe!r}")
        if not self.sources:
            problems.append("'sources' needs at least one folder")
        if not 0.0 < self.test_fraction < 1.0:
            problems.append(f"'test_fraction' must be in (0, 1), got {self.test_fraction}")
        return problems


@dataclass(frozen=True)
class TrainingSpec:
    """Options of ``cyclesem train --unpaired`` shared by every run of the experiment."""

    preset: str = "tiny"
    steps: int = 1000
    crop: int = 64
    batch: int = 1
    seed: int = 0

    def check(self) -> list[str]:
        if self.preset not in PRESETS:
            return [f"'preset' must be one of {', '.join(PRESETS)}, got {self.preset!r}"]
        return []


@dataclass(frozen=True)
class Experiment:
    """One experiment: a benchmark, CycleGAN runs on it, and the methods they are compared with.

    ``runs`` maps a run folder's name (also its row in the tables) to the
    ``--set key=value`` overrides of that run.
    """

    description: str = ""
    benchmark: BenchmarkSpec = field(default_factory=BenchmarkSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    runs: Any = field(default_factory=lambda: {"cyclegan": []})
    methods: tuple[str, ...] = ("identity", "wiener", "self_wiener", "blind", "rl", "unsharp")
    columns: tuple[str, ...] = ("psnr", "ssim", "ag", "con", "sf")

    def check(self) -> list[str]:
        problems = [f"unknown method {name!r} (known: {', '.join(BUILTIN_METHODS)})"
                    for name in self.methods if name not in BUILTIN_METHODS]
        problems += [f"unknown column {name!r} (known: {', '.join(METRICS)})"
                     for name in self.columns if name not in METRICS]
        return problems + _run_problems(self.runs, self.training)


def _run_problems(runs: Any, training: TrainingSpec) -> list[str]:
    """Problems with ``[runs]``: names, override lists, and the configs they resolve to."""
    if not isinstance(runs, dict) or not runs:
        return ["'runs' must be a table of run names and their --set overrides"]
    problems = []
    for name, overrides in runs.items():
        if name in BUILTIN_METHODS or not name.replace("_", "").replace("-", "").isalnum():
            problems.append(f"run name {name!r} must be letters, digits, '_' or '-' and not a method's name")
        if not isinstance(overrides, list) or not all(isinstance(text, str) for text in overrides):
            problems.append(f"'runs.{name}' must be a list of key=value texts")
            continue
        try:
            resolve_cyclegan_config(training.preset if training.preset in PRESETS else "tiny", None, overrides)
        except CyclesemError as exc:
            problems.append(f"'runs.{name}': {exc.one_line()}")
    return problems


def load_experiment(path: str | os.PathLike) -> Experiment:
    """Read and check an experiment file.

    Parameters
    ----------
    path : str or os.PathLike
        A TOML file (see the module notes).

    Returns
    -------
    Experiment

    Raises
    ------
    CyclesemError
        Listing every unknown key, unknown name and invalid value at once.
    """
    return build(Experiment, load_mapping(path), source=os.fspath(path))
