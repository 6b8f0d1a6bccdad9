"""Config groups every model kind shares; the training runner reads them.

:class:`TrainSettings` (length, batches, bookkeeping), :class:`DataSettings`
(normalisation percentiles, augmentation; :meth:`DataSettings.normalizer`),
:class:`RuntimeSettings` (mixed precision, XLA, eager). Each model kind's
module (:mod:`cyclesem.config.cyclegan`, :mod:`cyclesem.config.supervised`)
extends them. No Keras here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DataSettings", "RuntimeSettings", "TrainSettings", "non_negative", "positive"]


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
    checkpoints stay in ``RUN/checkpoints``.
    """

    steps: int = 20000
    crop: int = 256
    batch: int = 1
    seed: int = 0
    checkpoint_every: int = 1000
    sample_every: int = 500
    log_every: int = 10
    keep_checkpoints: int = 3

    def check(self) -> list[str]:
        problems = positive(self, ["steps", "batch", "checkpoint_every", "sample_every",
                                    "log_every", "keep_checkpoints"])
        if self.crop < 32:
            problems.append(f"'crop' must be >= 32 pixels, got {self.crop}")
        return problems + non_negative(self, ["seed"])


@dataclass(frozen=True)
class DataSettings:
    """Per-image percentile normalisation and augmentation of training crops."""

    norm_low: float = 0.5
    norm_high: float = 99.5
    flips: bool = True
    rotations: bool = True

    def check(self) -> list[str]:
        if not 0.0 <= self.norm_low < self.norm_high <= 100.0:
            return [f"need 0 <= norm_low < norm_high <= 100, got {self.norm_low}, {self.norm_high}"]
        return []

    def normalizer(self):
        """The :class:`~cyclesem.data.normalize.PercentileNormalizer` of these percentiles."""
        from cyclesem.data.normalize import PercentileNormalizer

        return PercentileNormalizer(self.norm_low, self.norm_high)


@dataclass(frozen=True)
class RuntimeSettings:
    """How the step runs: float16 mixed precision and XLA (GPU switches), or eagerly.

    ``eager`` skips building the step's graph (tens of seconds for the
    CycleGAN); it suits debugging and runs of a handful of steps.
    """

    mixed_precision: bool = False
    xla: bool = False
    eager: bool = False

    def check(self) -> list[str]:
        return ["'eager' and 'xla' exclude each other"] if self.eager and self.xla else []
