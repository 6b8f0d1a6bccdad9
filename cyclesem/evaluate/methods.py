"""The methods a comparison runs: classical baselines by name, and trained run folders.

A :class:`Method` restores an image as ``restore(blurry, psf) -> restored``;
:data:`BUILTIN_METHODS` are the classical baselines of
:mod:`cyclesem.restore.classical`; :func:`resolve_methods` turns names and run
folders into methods (a run folder loads with
:func:`cyclesem.restore.runs.load_run`, TensorFlow imported only then).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.pretrained import is_model_name, model_names
from cyclesem.restore import classical

__all__ = ["BUILTIN_METHODS", "DEFAULT_METHODS", "Method", "PSF_METHODS", "describe_problem", "resolve_methods"]

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


def resolve_methods(names: Sequence[str]) -> tuple[list[Method], list[tuple[str, str]]]:
    """Turn method names and run folders into methods, and ``(folder, why)`` for runs that did not load.

    Raises
    ------
    CyclesemError
        For names that are neither known methods nor folders (all listed), or no names.
    """
    names = [name.strip() for name in names if name.strip()]
    unknown = [n for n in names if n not in BUILTIN_METHODS and not Path(_run_part(n)).is_dir()
               and not is_model_name(n)]
    if unknown or not names:
        known = ", ".join(BUILTIN_METHODS)
        what = f"unknown method(s) {', '.join(unknown)}" if unknown else "no methods given"
        raise CyclesemError(f"{what}: use {known}, a packaged model ({', '.join(model_names())}), "
                            f"a run folder of 'cyclesem train', or "
                            f"METHOD:RUN, METHOD one of {', '.join(PSF_METHODS)} with the PSF a physical "
                            f"CycleGAN run estimated")
    methods, failures = [], []
    for name in dict.fromkeys(names):
        if name in BUILTIN_METHODS:
            methods.append(BUILTIN_METHODS[name])
            continue
        try:
            methods.append(_estimated_psf_method(name) if name != _run_part(name) else _run_method(name))
        except Exception as exc:  # noqa: BLE001 - a run that does not load is reported, the rest goes on
            failures.append((name, describe_problem(exc)))
    return _named_apart(methods, [n for n in dict.fromkeys(names) if n not in dict(failures)]), failures


def _named_apart(methods: list[Method], given: list[str]) -> list[Method]:
    """Run folders sharing a folder name (``a/run``, ``b/run``) are named by the path given."""
    counts = Counter(m.name for m in methods)
    return [dataclasses.replace(m, name=path) if counts[m.name] > 1 and m is not BUILTIN_METHODS.get(m.name) else m
            for m, path in zip(methods, given)]


def _run_method(path: str) -> Method:
    from cyclesem.restore.runs import load_run  # imports TensorFlow lazily

    run = load_run(path)
    return Method(run.name, lambda image, psf: run.enhance(image), False, run.describe())


PSF_METHODS = ("wiener", "self_wiener", "rl", "rl_tv")
"""Methods that take a PSF, and so also run as ``METHOD:RUN`` with a run's estimated PSF."""


def _run_part(name: str) -> str:
    """``RUN`` of a ``METHOD:RUN`` name whose method takes a PSF, else ``name`` itself."""
    method, _, run = name.partition(":")
    return run if run and method in PSF_METHODS else name


def _estimated_psf_method(name: str) -> Method:
    """A PSF method (``wiener:RUN``...) given the mean PSF a run fitted (``RUN/degradation.json``)."""
    from cyclesem.io.run_folder import read_estimated_psf

    method, _, run = name.partition(":")
    psf, sigma = read_estimated_psf(run)
    builtin = BUILTIN_METHODS[method]
    return Method(name, lambda image, _: builtin.restore(image, psf), False,
                  f"{builtin.details.replace('true PSF', 'PSF estimated by the run')} "
                  f"({Path(run).name}, equivalent sigma {sigma:.2f} px)")


def describe_problem(exc: BaseException) -> str:
    if isinstance(exc, CyclesemError):
        return exc.one_line()
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
