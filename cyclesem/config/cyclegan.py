"""The unpaired CycleGAN config: frozen dataclasses grouped by concern, and named presets.

A config is resolved once at the CLI (:func:`resolve_cyclegan_config`): the
dataclass defaults (what a new run gets: the physically constrained CycleGAN
with a MIDNet restorer, the ``paper`` network sizes), then the preset's
overrides, then a ``--config`` file, then ``--set key=value`` overrides, then
command-line options. The result is saved as ``RUN/config.json`` with a
top-level ``"kind": "cyclegan"`` and ``"version"`` and handed down as an
object; :mod:`cyclesem.config.compat` upgrades the configs of older runs.

Groups shared by every model kind live in :mod:`cyclesem.config.common`.
CycleGAN groups: :class:`GeneratorSettings`, :class:`DiscriminatorSettings`,
:class:`CycleGanLossWeights`, :class:`AdamSettings`, :class:`CycleGanTrainSettings`,
:class:`UnpairedDataSettings`.

Loss weights (defaults, as in the CycleGAN paper where it has them)
---------------------------------------------------------------------
``adversarial = 1``: LSGAN loss of each generator against its discriminator.
``cycle = 10``: L1 between each real image and its cycle reconstruction.
``identity = 5`` (half the cycle weight): L1 between a real image and its
generator applied to an image already in the target domain.
``ssim = 1``: ``1 - SSIM`` between each real image and its reconstruction.
``edge = 1``: L1 between Sobel gradient magnitudes of each real image and its
reconstruction.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from cyclesem.config.builder import merge, resolve
from cyclesem.config.compat import CONFIG_VERSION
from cyclesem.config.common import DataSettings, EnhanceSettings, RuntimeSettings, TrainSettings, non_negative, positive
from cyclesem.config.supervised import MIDNET_PRESETS, MidnetSettings

__all__ = [
    "AdamSettings",
    "CycleGanConfig",
    "DegradationSettings",
    "PhysicalLossWeights",
    "CycleGanLossWeights",
    "CycleGanModelSettings",
    "CycleGanTrainSettings",
    "DiscriminatorSettings",
    "GeneratorSettings",
    "PRESETS",
    "UnpairedDataSettings",
    "resolve_cyclegan_config",
]

_LEVELS = 4  # stride-2 stages of the generator


@dataclass(frozen=True)
class GeneratorSettings:
    """The multi-scale U-Net generator (:mod:`cyclesem.nets.generator`).

    ``channel_multipliers[i]`` times ``width`` channels at level ``i`` (level 0
    is full resolution, level 4 the 1/16 bottleneck). ``encoder_blocks[i]``
    multi-scale blocks run at level ``i`` before down-sampling,
    ``decoder_blocks[i]`` after up-sampling back to level ``i``; the defaults
    spread 14 blocks: 4 + 6 in the bottleneck + 4.
    """

    width: int = 64
    channel_multipliers: tuple[int, ...] = (1, 2, 4, 8, 8)
    encoder_blocks: tuple[int, ...] = (0, 1, 1, 2)
    bottleneck_blocks: int = 6
    decoder_blocks: tuple[int, ...] = (0, 1, 1, 2)
    dilations: tuple[int, ...] = (1, 2, 3)
    residual_scale: float = 1.0
    norm_momentum: float = 0.99

    def check(self) -> list[str]:
        problems = positive(self, ["width", "residual_scale"])
        problems += non_negative(self, ["bottleneck_blocks"])
        if len(self.channel_multipliers) != _LEVELS + 1 or min(self.channel_multipliers, default=0) < 1:
            problems.append(f"'channel_multipliers' needs {_LEVELS + 1} positive numbers")
        for name in ("encoder_blocks", "decoder_blocks"):
            values = getattr(self, name)
            if len(values) != _LEVELS or min(values, default=0) < 0:
                problems.append(f"'{name}' needs {_LEVELS} numbers >= 0")
        if not self.dilations or min(self.dilations) < 1:
            problems.append("'dilations' needs one or more numbers >= 1")
        if not 0.0 <= self.norm_momentum < 1.0:
            problems.append(f"'norm_momentum' must be in [0, 1), got {self.norm_momentum}")
        return problems

    @property
    def total_blocks(self) -> int:
        """Number of multi-scale blocks in the whole generator."""
        return sum(self.encoder_blocks) + self.bottleneck_blocks + sum(self.decoder_blocks)


@dataclass(frozen=True)
class DiscriminatorSettings:
    """The PatchGAN discriminator: ``width``, 2x, 4x, 8x channels, then one score."""

    width: int = 64

    def check(self) -> list[str]:
        return positive(self, ["width"])


@dataclass(frozen=True)
class DegradationSettings:
    """The physical clear -> blurry half (:mod:`cyclesem.nets.degradation`).

    ``psf_radius``: the PSF's support in pixels (training crops must be larger
    than it); ``initial_sigma``: the Gaussian core's starting width (px);
    ``learning_rate``: Adam's rate for the degradation's parameters (a handful
    of numbers on log scales, so larger than the networks'; how fast the fit
    alone finds a benchmark's width: ``experiments/unpaired/fit_degradation.py``); ``warmup``: the
    fraction of the steps during which only the degradation and ``disc_blurry``
    learn; ``fit_intensity``: also fit a veil, gain and offset; ``psf``: the
    PSF family, ``mixture`` (Gaussian core, Lorentzian tail, defocus disc) or
    ``gaussian`` (the elliptical Gaussian alone); ``gain_offset``: what the
    fitted gain and offset do to the restorer's self-made pairs, ``frame``
    (applied to both sides: the blurry folder's grey-level frame) or
    ``nuisance`` (neither side: they only help fit the degradation to the
    blurry folder); ``pair_width_scale``: ``[low, high]`` spreads the
    self-made pairs' PSF widths log-uniformly over the fitted mean width times
    ``low`` to ``high`` (``None``: the fitted distribution itself), so the
    restorer learns to judge each image's blur rather than undo one width
    everywhere (leave-one-source-out on real defocus:
    ``docs/results/generalisation.md``). The defaults fit the Gaussian with the
    intensity terms, the gain and offset a nuisance (why the mixture and a
    framing gain taught the restorer to stretch contrast on real defocus:
    ``docs/results/unpaired.md``); runs saved before these defaults keep theirs
    (:mod:`cyclesem.config.compat`).
    """

    psf_radius: int = 40
    initial_sigma: float = 2.0
    learning_rate: float = 3e-2
    warmup: float = 0.15
    fit_intensity: bool = True
    psf: Literal["mixture", "gaussian"] = "gaussian"
    gain_offset: Literal["frame", "nuisance"] = "nuisance"
    pair_width_scale: tuple[float, float] | None = (0.2, 1.5)

    def check(self) -> list[str]:
        problems = positive(self, ["psf_radius", "initial_sigma", "learning_rate"])
        scale = self.pair_width_scale
        if scale is not None and (len(scale) != 2 or not 0 < scale[0] <= scale[1]):
            problems.append(f"'pair_width_scale' needs two numbers 0 < low <= high, got {list(scale)}")
        if not 0.0 <= self.warmup < 1.0:
            problems.append(f"'warmup' must be in [0, 1), got {self.warmup}")
        return problems


@dataclass(frozen=True)
class CycleGanModelSettings:
    """The four networks: which kinds, and their sizes.

    ``degradation``: ``physical`` (the clear -> blurry half is the SEM
    degradation of :mod:`cyclesem.nets.degradation`) or ``unet`` (the paper's
    symmetric CycleGAN: a second U-Net). ``restorer``: the blurry -> clear
    network, ``unet`` (:mod:`cyclesem.nets.generator`, sizes in ``generator``)
    or ``midnet`` (:mod:`cyclesem.nets.midnet`, sizes in ``midnet``; physical
    degradation only). ``--set model.degradation=unet --set model.restorer=unet
    --set data.normalization=image --set optimizer.learning_rate=2e-4 --set
    train.batch=1`` gives the paper's symmetric CycleGAN as it was first trained.
    """

    degradation: Literal["physical", "unet"] = "physical"
    restorer: Literal["unet", "midnet"] = "midnet"
    generator: GeneratorSettings = field(default_factory=GeneratorSettings)
    midnet: MidnetSettings = field(default_factory=MidnetSettings)
    discriminator: DiscriminatorSettings = field(default_factory=DiscriminatorSettings)
    physical: DegradationSettings = field(default_factory=DegradationSettings)

    def check(self) -> list[str]:
        if self.restorer == "midnet" and self.degradation != "physical":
            return ["'restorer' = 'midnet' needs 'degradation' = 'physical'"]
        return []


@dataclass(frozen=True)
class CycleGanLossWeights:
    """Weights of the CycleGAN loss terms (see the module docstring)."""

    adversarial: float = 1.0
    cycle: float = 10.0
    identity: float = 5.0
    ssim: float = 1.0
    edge: float = 1.0

    def check(self) -> list[str]:
        return non_negative(self, [f.name for f in dataclasses.fields(self)])


@dataclass(frozen=True)
class PhysicalLossWeights:
    """Weights of the physically constrained CycleGAN's terms (:mod:`cyclesem.models.physical_cyclegan`).

    Restorer: ``pair_l1``, ``pair_ssim``, ``pair_edge`` on the self-made pairs
    ``G(F(clear))`` against ``clear``; ``identity`` (``G(clear)`` against
    ``clear``); ``adversarial_clear`` (``disc_clear`` on ``G(blurry)``);
    ``blurry_cycle`` (the mean degradation of ``G(blurry)`` against
    ``blurry``). Degradation: ``adversarial_blurry`` (``disc_blurry`` on
    ``F(clear)``), ``spectral`` (radial power spectra of ``F(clear)`` and
    real blurry crops) and ``intensity`` (their grey-level histograms; give it a
    weight with ``model.physical.fit_intensity``).

    The real-image terms (``adversarial_clear``, ``blurry_cycle``) are off by
    default: on the Gaussian benchmark the restorer scored lower with them and
    each step took longer (``experiments/README.md``).
    """

    pair_l1: float = 1.0
    pair_ssim: float = 1.0
    pair_edge: float = 0.1
    identity: float = 0.5
    adversarial_clear: float = 0.0
    blurry_cycle: float = 0.0
    adversarial_blurry: float = 0.1
    spectral: float = 1.0
    intensity: float = 1.0

    def check(self) -> list[str]:
        return non_negative(self, [f.name for f in dataclasses.fields(self)])


@dataclass(frozen=True)
class AdamSettings:
    """Adam with a constant learning rate, then linear decay to zero.

    ``decay_start`` is the fraction of ``train.steps`` after which the rate
    decays linearly, reaching zero at the last step. The rate suits the
    physically constrained CycleGAN; the paper's CycleGAN used 2e-4.
    """

    learning_rate: float = 1e-3
    beta_1: float = 0.5
    beta_2: float = 0.999
    decay_start: float = 0.5

    def check(self) -> list[str]:
        problems = positive(self, ["learning_rate"])
        if not 0.0 <= self.decay_start <= 1.0:
            problems.append(f"'decay_start' must be in [0, 1], got {self.decay_start}")
        return problems


@dataclass(frozen=True)
class CycleGanTrainSettings(TrainSettings):
    """:class:`TrainSettings` (batches of 4) plus the pool of past fakes shown to the discriminators."""

    batch: int = 4
    pool_size: int = 50

    def check(self) -> list[str]:
        return super().check() + non_negative(self, ["pool_size"])


@dataclass(frozen=True)
class UnpairedDataSettings(DataSettings):
    """:class:`DataSettings` (``shared`` normalisation) plus the two image folders (recorded so a run can resume)."""

    normalization: Literal["image", "shared"] = "shared"
    blurry: str = ""
    clear: str = ""


@dataclass(frozen=True)
class CycleGanConfig:
    """The resolved config of an unpaired CycleGAN run (``version``: its ``config.json`` format)."""

    kind: Literal["cyclegan"] = "cyclegan"
    version: int = CONFIG_VERSION
    preset: str = "paper"
    model: CycleGanModelSettings = field(default_factory=CycleGanModelSettings)
    loss: CycleGanLossWeights = field(default_factory=CycleGanLossWeights)
    physical_loss: PhysicalLossWeights = field(default_factory=PhysicalLossWeights)
    optimizer: AdamSettings = field(default_factory=AdamSettings)
    train: CycleGanTrainSettings = field(default_factory=CycleGanTrainSettings)
    data: UnpairedDataSettings = field(default_factory=UnpairedDataSettings)
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    enhance: EnhanceSettings = field(default_factory=lambda: EnhanceSettings(keep_grey_levels=True))

    def check(self) -> list[str]:
        problems = [] if self.version == CONFIG_VERSION else [
            f"'version' must be {CONFIG_VERSION} (older configs are upgraded when a run folder loads)"]
        if self.preset not in PRESETS:
            problems.append(f"'preset' must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        return problems


PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {
        "model": {
            "generator": {"width": 8, "channel_multipliers": [1, 2, 4, 4, 4],
                          "encoder_blocks": [0, 0, 0, 0], "bottleneck_blocks": 2,
                          "decoder_blocks": [0, 0, 0, 0]},
            "midnet": MIDNET_PRESETS["tiny"],
            "discriminator": {"width": 8},
            "physical": {"psf_radius": 16},
        },
        "train": {"steps": 200, "crop": 64, "checkpoint_every": 100, "sample_every": 50,
                  "log_every": 5},
    },
    "small": {
        "model": {
            "generator": {"width": 16, "channel_multipliers": [1, 2, 4, 8, 8],
                          "encoder_blocks": [0, 0, 1, 1], "bottleneck_blocks": 4,
                          "decoder_blocks": [0, 0, 1, 1]},
            "midnet": MIDNET_PRESETS["small"],
            "discriminator": {"width": 32},
        },
        "train": {"steps": 1000, "crop": 96, "checkpoint_every": 250, "sample_every": 250},
    },
    "paper": {},
}
"""Overrides of the defaults by preset: ``tiny`` (tests and demos on a CPU),
``small`` (about an hour on a CPU), ``paper`` (the full network, for a GPU)."""


def resolve_cyclegan_config(
    preset: str = "small",
    file_mapping: Mapping[str, Any] | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    options: Mapping[str, Any] | None = None,
    *,
    source: str | None = None,
) -> CycleGanConfig:
    """Build a :class:`CycleGanConfig`: preset, then file, then ``--set``, then options.

    Parameters
    ----------
    preset : str
        A key of :data:`PRESETS`.
    file_mapping : mapping, optional
        The contents of a ``--config`` file (read by the CLI).
    overrides : list of str
        ``key.path=value`` texts from ``--set``.
    options : mapping, optional
        Nested values from command-line options (``{"train": {"steps": 10}}``);
        ``None`` values are ignored.
    source : str, optional
        Named in error messages (the config file).

    Returns
    -------
    CycleGanConfig

    Raises
    ------
    CyclesemError
        Listing every unknown key and invalid value.
    """
    base = merge(PRESETS.get(preset, {}), {"preset": preset})
    return resolve(CycleGanConfig, base, file_mapping, overrides, options, source=source)
