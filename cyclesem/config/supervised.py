"""Configs of supervised training on (blurry, sharp) pairs: MIDNet and NAFNet.

A config is resolved once at the CLI (:func:`resolve_supervised_config`): the
dataclass defaults (the ``paper`` network), then the preset's overrides (network
sizes from :data:`MIDNET_PRESETS`, schedule from :data:`PRESETS`), then a ``--config`` file, then ``--set key=value``
overrides, then command-line options. The result is saved as
``RUN/config.json`` with a top-level ``"kind"``: ``"midnet"`` (attention-gated
skips) or ``"nafnet"`` (additive skips, the ablation).

Groups shared with the CycleGAN (:mod:`cyclesem.config.common`):
:class:`~cyclesem.config.common.TrainSettings` (extended here with validation
settings), :class:`~cyclesem.config.common.DataSettings` (extended with the pair
folders) and :class:`~cyclesem.config.common.RuntimeSettings`. The loss weights
are :class:`RestorationLossWeights` (L1 1, Sobel edge 0.05, FFT 0.01, as in
MIDNet); the loss itself is :func:`cyclesem.models.losses.restoration_loss_terms`.

No Keras here: the networks are built from these settings by
:mod:`cyclesem.train.supervised`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

from cyclesem.config.builder import merge, resolve
from cyclesem.config.compat import CONFIG_VERSION
from cyclesem.config.common import DataSettings, EnhanceSettings, RuntimeSettings, TrainSettings, positive

__all__ = [
    "CosineAdamSettings",
    "MIDNET_PRESETS",
    "RestorationLossWeights",
    "MidnetSettings",
    "PRESETS",
    "PairedDataSettings",
    "SKIPS",
    "SupervisedConfig",
    "SupervisedTrainSettings",
    "resolve_supervised_config",
]

SKIPS = {"midnet": "attention", "nafnet": "add"}
"""The skip connection each model kind uses (:func:`cyclesem.nets.midnet.build_midnet`)."""


@dataclass(frozen=True)
class RestorationLossWeights:
    """Weights of the terms of the restoration loss (MIDNet's recipe by default).

    ``ssim`` (``1 - SSIM``, off in MIDNet's recipe) weights structure over grey
    levels; ``mse`` (mean squared error, off in MIDNet's recipe) rewards the conditional
    mean, what PSNR measures (``experiments/README.md``, "Pretrained models").
    """

    l1: float = 1.0
    edge: float = 0.05
    fft: float = 0.01
    ssim: float = 0.0
    mse: float = 0.0

    def check(self) -> list[str]:
        """Problems with the weights (for :func:`cyclesem.config.build`)."""
        return [f"loss weight '{name}' must be >= 0, got {value}"
                for name, value in vars(self).items() if value < 0]


@dataclass(frozen=True)
class MidnetSettings:
    """Sizes of the U-shaped network (:func:`cyclesem.nets.midnet.build_midnet`).

    ``enc_blocks`` and ``dec_blocks`` give the MID blocks per stride-2 stage
    (same length); each stage doubles ``width``. ``local_pool`` > 0 exports
    the network with test-time local channel-attention pooling (NAFNet's TLC)
    over windows of ``local_pool`` times the training crop, so tiled
    enhancement matches whole-image enhancement; 0 pools over each tile.
    ``self_ensemble`` exports the network as the mean of its outputs on the four
    flips of its input (:func:`cyclesem.nets.ensemble.flip_ensemble`): four times
    the work, and detail the network only guesses, such as the grid of its
    up-sampling, averages away. Training is the same either way.
    """

    width: int = 32
    enc_blocks: tuple[int, ...] = (1, 1, 1, 28)
    middle_blocks: int = 1
    dec_blocks: tuple[int, ...] = (1, 1, 1, 1)
    local_pool: float = 0.0
    self_ensemble: bool = False

    def check(self) -> list[str]:
        problems = []
        if self.width < 1 or self.middle_blocks < 0 or min((*self.enc_blocks, *self.dec_blocks, 0)) < 0:
            problems.append("'width' must be > 0 and block counts >= 0")
        if not self.enc_blocks or len(self.enc_blocks) != len(self.dec_blocks):
            problems.append(f"'enc_blocks' {list(self.enc_blocks)} and 'dec_blocks' {list(self.dec_blocks)} "
                            f"need the same length, at least 1")
        if self.local_pool < 0:
            problems.append(f"'local_pool' must be >= 0, got {self.local_pool}")
        return problems

    @property
    def stride(self) -> int:
        """The network's total down-sampling factor."""
        return 2 ** len(self.enc_blocks)

    def network_sizes(self) -> dict:
        """The keyword arguments of :func:`cyclesem.nets.midnet.build_midnet` these settings give."""
        return {name: getattr(self, name) for name in ("width", "enc_blocks", "middle_blocks", "dec_blocks")}


MIDNET_PRESETS = {
    "tiny": {"width": 8, "enc_blocks": (1, 1), "middle_blocks": 1, "dec_blocks": (1, 1)},
    "small": {"width": 16, "enc_blocks": (1, 1, 2, 4), "middle_blocks": 1, "dec_blocks": (1, 1, 1, 1)},
    "paper": MidnetSettings().network_sizes(),
}
"""Network sizes by preset; ``paper`` (the defaults) is NAFNet's deblurring model (GoPro)."""


@dataclass(frozen=True)
class CosineAdamSettings:
    """Adam whose learning rate anneals along a cosine from ``learning_rate`` to ``final_learning_rate``."""

    learning_rate: float = 1e-3
    final_learning_rate: float = 1e-7
    beta_1: float = 0.9
    beta_2: float = 0.999

    def check(self) -> list[str]:
        if not 0.0 <= self.final_learning_rate <= self.learning_rate or self.learning_rate <= 0:
            return [f"need 0 <= final_learning_rate <= learning_rate and learning_rate > 0, got "
                    f"{self.final_learning_rate} and {self.learning_rate}"]
        return []


@dataclass(frozen=True)
class SupervisedTrainSettings(TrainSettings):
    """:class:`~cyclesem.config.common.TrainSettings` plus validation.

    Every ``validate_every`` steps (and at the last step) the network is scored
    (PSNR, SSIM) on up to ``validation_crops`` crops of side ``crop`` cut from
    the validation pairs on a fixed grid; the best PSNR so far is exported as
    ``RUN/best.keras``.
    """

    validate_every: int = 500
    validation_crops: int = 64

    def check(self) -> list[str]:
        return super().check() + positive(self, ["validate_every", "validation_crops"])


@dataclass(frozen=True)
class PairedDataSettings(DataSettings):
    """:class:`~cyclesem.config.common.DataSettings` plus the pair folders.

    Pairs match by file name. ``register`` aligns each blurry image onto its
    sharp partner (sub-pixel) and keeps the overlap. Validation pairs are
    either the folders ``val_blurry`` / ``val_sharp`` or a fraction
    ``val_fraction`` of the source groups of the training pairs (0: no
    validation); not both.
    """

    blurry: str = ""
    sharp: str = ""
    register: bool = False
    val_fraction: float = 0.1
    val_blurry: str = ""
    val_sharp: str = ""

    def check(self) -> list[str]:
        problems = super().check()
        if not 0.0 <= self.val_fraction < 1.0:
            problems.append(f"'val_fraction' must be in [0, 1), got {self.val_fraction}")
        if bool(self.val_blurry) != bool(self.val_sharp):
            problems.append("'val_blurry' and 'val_sharp' go together")
        elif self.val_blurry and self.val_fraction > 0:
            problems.append("'val_fraction' must be 0 when 'val_blurry' and 'val_sharp' are given")
        return problems


@dataclass(frozen=True)
class SupervisedConfig:
    """The resolved config of a supervised MIDNet or NAFNet run (``version``: its ``config.json`` format)."""

    kind: Literal["midnet", "nafnet"] = "midnet"
    version: int = CONFIG_VERSION
    preset: str = "paper"
    model: MidnetSettings = field(default_factory=MidnetSettings)
    loss: RestorationLossWeights = field(default_factory=RestorationLossWeights)
    optimizer: CosineAdamSettings = field(default_factory=CosineAdamSettings)
    train: SupervisedTrainSettings = field(default_factory=SupervisedTrainSettings)
    data: PairedDataSettings = field(default_factory=PairedDataSettings)
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    enhance: EnhanceSettings = field(default_factory=EnhanceSettings)

    def check(self) -> list[str]:
        problems = [] if self.version == CONFIG_VERSION else [
            f"'version' must be {CONFIG_VERSION} (older configs are upgraded when a run folder loads)"]
        if self.preset not in PRESETS:
            problems.append(f"'preset' must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        if self.train is not None and self.model is not None and self.train.crop % self.model.stride:
            problems.append(f"'train.crop' ({self.train.crop}) must be a multiple of the network's "
                            f"stride {self.model.stride} (2 ** stages)")
        return problems

    @property
    def skip(self) -> str:
        """``"attention"`` (MIDNet) or ``"add"`` (NAFNet)."""
        return SKIPS[self.kind]


PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"train": {"steps": 200, "crop": 64, "batch": 4, "checkpoint_every": 100,
                       "sample_every": 50, "log_every": 5, "validate_every": 50,
                       "validation_crops": 16}},
    "small": {"train": {"steps": 3000, "crop": 128, "batch": 4, "checkpoint_every": 250,
                        "sample_every": 250, "validate_every": 250}},
    "paper": {"train": {"steps": 100000, "crop": 256, "batch": 8, "checkpoint_every": 2000,
                        "sample_every": 2000, "validate_every": 2000, "log_every": 50}},
}
"""Schedules by preset (network sizes come from ``MIDNET_PRESETS``): ``tiny``
(tests and demos on a CPU), ``small`` (a CPU), ``paper`` (NAFNet's deblurring
network, for a GPU)."""


def resolve_supervised_config(
    kind: str = "midnet",
    preset: str = "small",
    file_mapping: Mapping[str, Any] | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    options: Mapping[str, Any] | None = None,
    *,
    source: str | None = None,
) -> SupervisedConfig:
    """Build a :class:`SupervisedConfig`: preset, then file, then ``--set``, then options.

    As :func:`cyclesem.config.cyclegan.resolve_cyclegan_config`, plus ``kind``.

    Parameters
    ----------
    kind : {"midnet", "nafnet"}
        The model kind (a ``kind`` in the file or options wins).
    preset : str
        A key of :data:`PRESETS`.
    file_mapping, overrides, options, source
        A ``--config`` file's contents, ``--set`` texts, nested option values
        (``None`` ignored), the file's name for error messages.

    Returns
    -------
    SupervisedConfig

    Raises
    ------
    CyclesemError
        Listing every unknown key and invalid value.
    """
    base = merge(_preset_mapping(preset), {"kind": kind, "preset": preset})
    return resolve(SupervisedConfig, base, file_mapping, overrides, options, source=source)


def _preset_mapping(preset: str) -> dict:
    """The preset's schedule and network sizes (``{}`` for an unknown preset: ``check`` says so)."""
    if preset not in PRESETS:
        return {}
    sizes = {key: list(value) if isinstance(value, tuple) else value
             for key, value in MIDNET_PRESETS[preset].items()}
    return merge(PRESETS[preset], {"model": sizes})
