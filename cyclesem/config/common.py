"""Config groups every model kind shares; the training runner reads them.

:class:`TrainSettings` (length, batches, bookkeeping), :class:`DataSettings`
(normalisation percentiles, augmentation; :meth:`DataSettings.normalizer`),
:class:`RuntimeSettings` (mixed precision, XLA, eager), :class:`EnhanceSettings`
(what enhancement does after the network). Each model kind's
module (:mod:`cyclesem.config.cyclegan`, :mod:`cyclesem.config.supervised`)
extends them. No Keras here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["DataSettings", "EnhanceSettings", "RuntimeSettings", "TrainSettings", "non_negative", "positive"]


def non_negative(obj, names) -> list[str]:
    """A problem for each field of ``names`` below zero."""
    return [f"'{name}' must be >= 0, got {getattr(obj, name)}" for name in names if getattr(obj, name) < 0]


def positive(obj, names) -> list[str]:
    """A problem for each field of ``names`` at or below zero."""
    return [f"'{name}' must be > 0, got {getattr(obj, name)}" for name in names if getattr(obj, name) <= 0]


@dataclass(frozen=True)
class TrainSettings:
    """Length, batches and bookkeeping of a training run (any model kind).

    Intervals are in steps; ``keep_checkpoints`` is how many of the latest
    checkpoints stay in ``RUN/checkpoints``. ``init``: the trained network a
    new run starts from (``cyclesem train --init``: a packaged model's name or
    a run folder's absolute path; empty: fresh weights; see
    :mod:`cyclesem.train.init`).
    """

    steps: int = 20000
    crop: int = 256
    batch: int = 1
    seed: int = 0
    checkpoint_every: int = 1000
    sample_every: int = 500
    log_every: int = 10
    keep_checkpoints: int = 3
    init: str = ""

    def check(self) -> list[str]:
        problems = positive(self, ["steps", "batch", "checkpoint_every", "sample_every",
                                    "log_every", "keep_checkpoints"])
        if self.crop < 32:
            problems.append(f"'crop' must be >= 32 pixels, got {self.crop}")
        return problems + non_negative(self, ["seed"])


@dataclass(frozen=True)
class DataSettings:
    """Intensity normalisation and augmentation of training crops.

    ``normalization``: ``image`` maps each image's ``norm_low``/``norm_high``
    percentiles to 0 and 1; ``shared`` maps the fixed levels ``norm_range``
    (those percentiles of all training images pooled, measured once when a
    run is created) for every image, so brightness and contrast relations
    between images survive.
    """

    norm_low: float = 0.5
    norm_high: float = 99.5
    flips: bool = True
    rotations: bool = True
    normalization: Literal["image", "shared"] = "image"
    norm_range: tuple[float, ...] = ()

    def check(self) -> list[str]:
        if not 0.0 <= self.norm_low < self.norm_high <= 100.0:
            return [f"need 0 <= norm_low < norm_high <= 100, got {self.norm_low}, {self.norm_high}"]
        if self.norm_range and (len(self.norm_range) != 2 or self.norm_range[1] <= self.norm_range[0]):
            return [f"'norm_range' needs two increasing levels, got {list(self.norm_range)}"]
        return []

    def normalizer(self):
        """The :mod:`cyclesem.data.normalize` normaliser these settings describe.

        Raises
        ------
        ValueError
            For shared normalisation whose levels are not measured yet.
        """
        from cyclesem.data.normalize import FixedNormalizer, PercentileNormalizer

        if self.normalization == "image":
            return PercentileNormalizer(self.norm_low, self.norm_high)
        if not self.norm_range:
            raise ValueError("shared normalisation needs 'norm_range' (measured when the run is created)")
        return FixedNormalizer(self.norm_low, self.norm_high, *map(float, self.norm_range))


@dataclass(frozen=True)
class RuntimeSettings:
    """How the step runs: mixed precision and XLA (GPU switches), or eagerly.

    ``mixed_precision`` computes in float16 under TensorFlow (with loss
    scaling) and in bfloat16 under JAX, the networks' last layers in float32
    (:func:`cyclesem.backend.mixed_precision_policy`); the physically
    constrained CycleGAN trains in float32 whatever it says.

    ``eager`` skips building the step's graph (tens of seconds for the
    CycleGAN); it suits debugging and runs of a handful of steps.
    """

    mixed_precision: bool = False
    xla: bool = False
    eager: bool = False

    def check(self) -> list[str]:
        return ["'eager' and 'xla' exclude each other"] if self.eager and self.xla else []


@dataclass(frozen=True)
class EnhanceSettings:
    """What enhancing with the trained network does after the network (not training).

    ``limit_to_support``: filter the output by the Wiener gain of the input's own
    spectrum, keeping only detail at frequencies the input carries above its noise
    (:func:`cyclesem.restore.support.limit_to_support`); ``cyclesem enhance
    --limit-to-support / --no-limit-to-support`` overrides it.
    ``keep_grey_levels``: then map the output by the one gain and offset that
    give it the input's brightness and large-scale contrast
    (:func:`cyclesem.restore.grey_levels.keep_grey_levels`); ``cyclesem enhance
    --keep-grey-levels / --no-keep-grey-levels`` overrides it. On for new
    unpaired runs (their config's default), off for supervised ones, which learn
    the contrast of their sharp targets.
    """

    limit_to_support: bool = False
    keep_grey_levels: bool = False
