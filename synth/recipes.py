"""Recipes: the range ``[lo, hi]`` of every degradation parameter.

A recipe is a TOML file with four optional tables, ``[blur]``, ``[varying]``
(blur that changes across the image, :mod:`synth.varying`), ``[fog]`` and
``[noise]``; a parameter left out keeps its neutral default (no blur, no fog, no
noise). The packaged recipes live in ``synth/recipes/*.toml``
(:func:`recipe_names`); users may pass their own file, for example::

    description = "defocus and a little shot noise"
    [blur]
    kinds = ["defocus"]        # drawn uniformly per image
    radius = [2.0, 5.0]        # px
    softness = [0.3, 1.0]      # px
    [noise]
    dose = [100.0, 400.0]      # electrons per pixel at full brightness

Unknown keys and invalid ranges are all reported in one
:class:`~cyclesem.errors.CyclesemError`.

:func:`draw` picks one value per parameter, uniformly in its range, from a
``numpy.random.Generator``, and returns a :class:`~synth.degrade.Degradation`.

Examples
--------
>>> import numpy as np
>>> recipe = load_recipe("hybrid")
>>> draw(recipe, np.random.default_rng(0)).blur_kind in recipe.blur.kinds
True
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cyclesem.config import build, load_mapping
from cyclesem.errors import CyclesemError
from synth.degrade import BLUR_KINDS, Degradation
from synth.varying import VARYING_KINDS

__all__ = ["Recipe", "BlurRanges", "VaryingRanges", "FogRanges", "NoiseRanges", "load_recipe", "recipe_names", "draw", "RECIPE_DIR"]

RECIPE_DIR = Path(__file__).resolve().parent / "recipes"

Range = tuple[float, float]


def _range_problems(obj, limits: dict[str, tuple[float, float]]) -> list[str]:
    """Problems with ``obj``'s ranges: lo > hi, or values outside ``limits[name]``."""
    problems = []
    for name, (low, high) in limits.items():
        lo, hi = getattr(obj, name)
        if not (math.isfinite(lo) and math.isfinite(hi)):
            problems.append(f"'{name}' must be finite, got [{lo}, {hi}]")
        elif lo > hi:
            problems.append(f"'{name}' range [{lo}, {hi}] has lo > hi")
        elif lo < low or hi > high:
            problems.append(f"'{name}' must lie within [{low}, {high}], got [{lo}, {hi}]")
    return problems


@dataclass(frozen=True)
class BlurRanges:
    """Blur: a kind per image, drawn uniformly from ``kinds``, and its parameters.

    ``gaussian`` uses ``sigma`` (major axis, px), ``aspect`` (minor / major) and
    ``angle`` (degrees); ``defocus`` uses ``radius`` (px) and ``softness`` (px);
    ``astigmatism`` uses ``radius``, ``aspect``, ``angle`` and ``softness``.
    """

    kinds: tuple[str, ...] = ("none",)
    sigma: Range = (1.0, 1.0)
    aspect: Range = (1.0, 1.0)
    angle: Range = (0.0, 180.0)
    radius: Range = (2.0, 2.0)
    softness: Range = (0.0, 0.0)

    def check(self) -> list[str]:
        """Problems with these settings (empty when valid)."""
        problems = [f"blur kind '{k}' is not one of {', '.join(BLUR_KINDS)}" for k in self.kinds if k not in BLUR_KINDS]
        if not self.kinds:
            problems.append("'kinds' must name at least one blur kind")
        limits = {"sigma": (0, 64), "aspect": (0.05, 1), "angle": (-360, 360), "radius": (0, 64), "softness": (0, 16)}
        return problems + _range_problems(self, limits)


@dataclass(frozen=True)
class VaryingRanges:
    """Blur that varies across the image, on top of ``[blur]`` (:func:`synth.varying.blur_map`).

    ``kinds``: ``none``, ``tilt`` or ``patches``, drawn uniformly; ``sharp`` and
    ``blurred``: Gaussian widths (px) of the in-focus and most blurred parts;
    ``angle``: tilt direction (degrees); ``focus``: fraction in focus (tilt).
    """

    kinds: tuple[str, ...] = ("none",)
    sharp: Range = (0.0, 0.0)
    blurred: Range = (3.0, 3.0)
    angle: Range = (0.0, 360.0)
    focus: Range = (0.4, 0.4)

    def check(self) -> list[str]:
        """Problems with these settings (empty when valid)."""
        problems = [f"varying kind '{k}' is not one of {', '.join(VARYING_KINDS)}" for k in self.kinds if k not in VARYING_KINDS]
        if not self.kinds:
            problems.append("'kinds' must name at least one varying kind")
        limits = {"sharp": (0, 16), "blurred": (0, 16), "angle": (-360, 360), "focus": (0, 0.95)}
        return problems + _range_problems(self, limits)


@dataclass(frozen=True)
class FogRanges:
    """Fog ``I = J * t + veil * (1 - t)`` and a charging glow.

    ``transmission`` is the mean of ``t``, ``spread`` its standard deviation,
    ``scale`` the correlation length of ``t`` and of the glow (fraction of the
    shorter side), ``charging`` the glow's peak brightness.
    """

    transmission: Range = (1.0, 1.0)
    spread: Range = (0.0, 0.0)
    veil: Range = (0.5, 0.5)
    scale: Range = (0.3, 0.3)
    charging: Range = (0.0, 0.0)

    def check(self) -> list[str]:
        """Problems with these settings (empty when valid)."""
        limits = {"transmission": (0, 1), "spread": (0, 1), "veil": (0, 1), "scale": (0.01, 4), "charging": (0, 1)}
        return _range_problems(self, limits)


@dataclass(frozen=True)
class NoiseRanges:
    """SEM noise and scan distortions.

    ``dose``: electrons per pixel at full brightness (``[0, 0]``: no shot
    noise); ``detector``: Gaussian noise std; ``jitter``: per-row horizontal
    shift std (px); ``drift``: specimen displacement over the frame (px, in a
    random direction); ``dead`` / ``spikes``: fractions of pixels set to 0 / 1;
    ``bits``: quantisation of the result (1..16).
    """

    dose: Range = (0.0, 0.0)
    detector: Range = (0.0, 0.0)
    jitter: Range = (0.0, 0.0)
    drift: Range = (0.0, 0.0)
    dead: Range = (0.0, 0.0)
    spikes: Range = (0.0, 0.0)
    bits: int = 16

    def check(self) -> list[str]:
        """Problems with these settings (empty when valid)."""
        limits = {
            "dose": (0, 1e9),
            "detector": (0, 1),
            "jitter": (0, 16),
            "drift": (0, 256),
            "dead": (0, 0.1),
            "spikes": (0, 0.1),
        }
        problems = _range_problems(self, limits)
        if self.dose[0] == 0 < self.dose[1]:
            problems.append("'dose' must be [0, 0] (no shot noise) or start above 0")
        if not 1 <= self.bits <= 16:
            problems.append(f"'bits' must be 1..16, got {self.bits}")
        return problems


@dataclass(frozen=True)
class Recipe:
    """A named set of degradation ranges (see the module docstring)."""

    name: str = "custom"
    description: str = ""
    blur: BlurRanges = BlurRanges()
    varying: VaryingRanges = VaryingRanges()
    fog: FogRanges = FogRanges()
    noise: NoiseRanges = NoiseRanges()


def recipe_names() -> list[str]:
    """Names of the packaged recipes (``synth/recipes/*.toml``)."""
    return sorted(p.stem for p in RECIPE_DIR.glob("*.toml"))


def load_recipe(name_or_file: str | os.PathLike) -> Recipe:
    """Load a packaged recipe by name, or a recipe file by path.

    Parameters
    ----------
    name_or_file : str or os.PathLike
        A name from :func:`recipe_names` or the path of a ``.toml`` file.

    Raises
    ------
    CyclesemError
        Unknown name, unreadable file, or invalid settings (all listed).
    """
    text = os.fspath(name_or_file)
    path = Path(text)
    if not path.is_file():
        if text not in recipe_names():
            known = ", ".join(recipe_names())
            raise CyclesemError(f"no recipe file or packaged recipe of this name (packaged: {known})", text)
        path = RECIPE_DIR / f"{text}.toml"
    data = load_mapping(path)
    data.setdefault("name", path.stem)
    return build(Recipe, data, source=str(path))


def draw(recipe: Recipe, rng: np.random.Generator) -> Degradation:
    """Draw one value per parameter of ``recipe``, uniformly in its range.

    The draws happen in a fixed order whatever the kind, so a seed fixes them.
    Parameters that the drawn blur kind does not use are set to 0.
    """
    b, f, n = recipe.blur, recipe.fog, recipe.noise
    kind = b.kinds[int(rng.integers(len(b.kinds)))]
    sigma, aspect, angle, radius, softness = (_uniform(rng, r) for r in (b.sigma, b.aspect, b.angle, b.radius, b.softness))
    fog = {name: _uniform(rng, getattr(f, name)) for name in ("transmission", "spread", "veil", "scale", "charging")}
    noise = {name: _uniform(rng, getattr(n, name)) for name in ("dose", "detector", "jitter", "drift", "dead", "spikes")}
    drift_angle = float(rng.uniform(0.0, 2.0 * math.pi))
    blur = _blur_params(kind, sigma, aspect, angle, radius, softness)
    blur |= _varying_params(recipe.varying, rng)
    drift = noise.pop("drift")
    return Degradation(
        blur_kind=kind,
        **blur,
        transmission=fog["transmission"],
        spread=fog["spread"],
        veil=fog["veil"],
        fog_scale=fog["scale"],
        charging=fog["charging"],
        dose=noise["dose"],
        detector=noise["detector"],
        jitter=noise["jitter"],
        drift_x=drift * math.cos(drift_angle),
        drift_y=drift * math.sin(drift_angle),
        dead=noise["dead"],
        spikes=noise["spikes"],
        bits=n.bits,
    )


def _blur_params(kind: str, sigma: float, aspect: float, angle: float, radius: float, softness: float) -> dict:
    zero = {name: 0.0 for name in ("sigma_x", "sigma_y", "radius_x", "radius_y", "softness", "angle")}
    if kind == "gaussian":
        return zero | {"sigma_x": sigma, "sigma_y": sigma * aspect, "angle": angle}
    if kind == "defocus":
        return zero | {"radius_x": radius, "radius_y": radius, "softness": softness}
    if kind == "astigmatism":
        return zero | {"radius_x": radius, "radius_y": radius * aspect, "angle": angle, "softness": softness}
    return zero


def _varying_params(v: VaryingRanges, rng: np.random.Generator) -> dict:
    """The ``varying_*`` parameters; no draws at all for a recipe without ``[varying]`` (old seeds keep their images)."""
    if v.kinds == ("none",):
        return {}
    kind = v.kinds[int(rng.integers(len(v.kinds)))]
    values = {name: _uniform(rng, getattr(v, name)) for name in ("sharp", "blurred", "angle", "focus")}
    return {"varying_kind": kind} | {f"varying_{name}": value for name, value in values.items()}


def _uniform(rng: np.random.Generator, bounds: Range) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))

