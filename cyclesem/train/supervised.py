"""Supervised MIDNet / NAFNet training on (blurry, sharp) pairs, as a task of the runner.

:class:`SupervisedTask` gives :func:`cyclesem.training.train` what it needs
(see :class:`cyclesem.training.TrainingTask`): a compiled
:class:`~cyclesem.models.supervised.SupervisedRestoration` around
:func:`~cyclesem.nets.midnet.build_midnet` (attention-gated skips for
``"midnet"``, additive for ``"nafnet"``), Adam with cosine annealing of the
learning rate, batches of aligned random crops (flips, rotations) that are a
pure function of (seed, step), validation (PSNR, SSIM on a fixed grid of
crops of the validation pairs), and the float32 network for ``generator.keras``.

:func:`load_training_pairs` reads the pair folders a config names: pairs match
by file name (every unmatched file is listed in one error, before any
training), the validation pairs are separate folders or whole source groups held
out, and each pair is optionally registered (sub-pixel) onto the overlap.

Validation scores are in normalised units (each pair scaled by its blurry
image's percentile levels, ``max_val`` 1), so they rank checkpoints; they are
not the file-unit scores of ``cyclesem compare``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import keras
import numpy as np

from cyclesem.backend import require_tensorflow
from cyclesem.config import to_dict
from cyclesem.data.crops import CropSampler, centre_crops
from cyclesem.data.pipelines import paired_batches
from cyclesem.models.supervised import SupervisedRestoration
from cyclesem.nets.midnet import build_midnet
from cyclesem.data.normalize import PercentileNormalizer
from cyclesem.data.pairs import LoadedPairs, load_pairs, match_pair_folders, split_pairs

tf = require_tensorflow()

__all__ = ["PairedData", "StepCountedRestoration", "SupervisedTask", "grid_crops", "load_training_pairs"]


@dataclass
class PairedData:
    """Training and validation pairs as loaded (see :func:`load_training_pairs`)."""

    train: LoadedPairs
    validation: LoadedPairs

    @property
    def failures(self) -> list[tuple[str, str]]:
        """``(path, problem)`` of every pair that did not load, on both sides."""
        return self.train.failures + self.validation.failures


def load_training_pairs(config, *, progress: bool = False) -> PairedData:
    """Match, split, read, optionally register and normalise the pairs ``config.data`` names.

    Parameters
    ----------
    config : cyclesem.config.supervised.SupervisedConfig
    progress : bool
        Show a progress bar while loading (registration takes a while).

    Returns
    -------
    PairedData
        Bad pairs are listed in ``failures``; the rest are loaded.

    Raises
    ------
    CyclesemError
        If files have no partner (all listed at once), a folder holds no
        images, the split is impossible, or no pair of a side loads.
    """
    data = config.data
    pairs = match_pair_folders(data.blurry, data.sharp)
    if data.val_blurry:
        train, validation = pairs, match_pair_folders(data.val_blurry, data.val_sharp)
    else:
        train, validation = split_pairs(pairs, data.val_fraction, config.train.seed)
    normalizer = PercentileNormalizer(data.norm_low, data.norm_high)
    load = dict(register=data.register, normalizer=normalizer, progress=progress)
    return PairedData(load_pairs(train, **load), load_pairs(validation, **load))


def grid_crops(images: list[np.ndarray], size: int, limit: int) -> np.ndarray:
    """Non-overlapping ``size`` crops on a grid over each image, at most ``limit`` spread evenly.

    Images smaller than ``size`` give one reflect-padded crop. Returns
    ``(n, size, size, 1)`` float32, the same crops for the same input.
    """
    crops = []
    for image in images:
        rows, cols = max(1, image.shape[0] // size), max(1, image.shape[1] // size)
        for row in range(rows):
            for col in range(cols):
                patch = image[row * size:(row + 1) * size, col * size:(col + 1) * size]
                crops.append(centre_crops([patch], size, 1)[0])
    if len(crops) > limit:
        crops = [crops[i] for i in np.linspace(0, len(crops) - 1, limit).round().astype(int)]
    return np.stack(crops).astype(np.float32)


@contextlib.contextmanager
def _global_dtype_policy(name: str | None):
    """Set Keras's global dtype policy inside the block (``None``: leave it), then restore it."""
    previous = keras.config.dtype_policy()
    if name is not None:
        keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


class StepCountedRestoration(SupervisedRestoration):
    """:class:`SupervisedRestoration` that counts its steps and reports each step's own losses.

    ``completed_steps`` is a model variable (checkpointed, exact after Ctrl-C,
    and counting steps a mixed-precision optimizer skipped). The loss trackers
    are reset before every step, so logs hold that step's values, not a running
    mean since ``fit()`` began.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.completed_steps = self.add_weight(
            shape=(), dtype="int64", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="completed_steps")

    def train_step(self, data):
        for tracker in self.metrics:
            tracker.reset_state()
        logs = super().train_step(data)
        self.completed_steps.assign_add(1)
        return logs


class SupervisedTask:
    """Supervised MIDNet / NAFNet training for :func:`cyclesem.training.train`.

    Parameters
    ----------
    config : cyclesem.config.supervised.SupervisedConfig
        The resolved config.
    train_pairs, validation_pairs : list of cyclesem.data.pairs.LoadedPair
        Normalised, aligned training pairs; validation pairs (may be empty:
        then :meth:`validate` returns ``{}``).
    """

    progress_keys = ("total", "l1")
    best_metric = "psnr"
    preview_count = 2

    def __init__(self, config, train_pairs: list, validation_pairs: list = ()):
        self.config = config
        train, data = config.train, config.data
        self.sampler = CropSampler([(p.blurry, p.sharp) for p in train_pairs], train.crop,
                                   flips=data.flips, rotations=data.rotations)
        self.validation = None
        if validation_pairs:
            self.validation = tuple(grid_crops([getattr(p, side) for p in validation_pairs], train.crop,
                                               train.validation_crops) for side in ("blurry", "sharp"))
        shown = list(validation_pairs) or list(train_pairs)
        self.previews = tuple(centre_crops([getattr(p, side) for p in shown], train.crop, self.preview_count)
                              for side in ("blurry", "sharp"))

    @property
    def kind(self) -> str:
        """``"midnet"`` or ``"nafnet"``."""
        return self.config.kind

    @property
    def settings(self):
        """The run's :class:`~cyclesem.config.supervised.SupervisedTrainSettings`."""
        return self.config.train

    def config_dict(self) -> dict:
        """The resolved config, for ``RUN/config.json``."""
        return to_dict(self.config)

    def _network(self, local_pool_size: int | None = None) -> keras.Model:
        sizes = self.config.model
        return build_midnet(sizes.width, sizes.enc_blocks, sizes.middle_blocks, sizes.dec_blocks,
                            self.config.skip, local_pool_size=local_pool_size)

    def build_model(self) -> StepCountedRestoration:
        """The compiled model with a built optimizer (call inside the strategy scope).

        Under mixed precision the network computes in float16 (its last layers
        in float32) and ``compile`` wraps Adam in a loss-scale optimizer.
        """
        config = self.config
        with _global_dtype_policy("mixed_float16" if config.runtime.mixed_precision else None):
            model = StepCountedRestoration(self._network(), config.loss, name=config.kind)
        model.compile(optimizer=self._optimizer(), jit_compile=config.runtime.xla,
                      run_eagerly=config.runtime.eager)
        model.optimizer.build(model.network.trainable_variables)
        return model

    def _optimizer(self):
        settings, steps = self.config.optimizer, self.config.train.steps
        schedule = keras.optimizers.schedules.CosineDecay(
            settings.learning_rate, steps, alpha=settings.final_learning_rate / settings.learning_rate)
        return keras.optimizers.Adam(schedule, beta_1=settings.beta_1, beta_2=settings.beta_2, name="adam")

    def optimizers(self, model) -> dict:
        """The one optimizer (its variables go into checkpoints)."""
        return {"adam": model.optimizer}

    def completed_steps(self, model) -> int:
        """Training steps the model has done (restored with its checkpoint)."""
        return int(keras.ops.convert_to_numpy(model.completed_steps.value))

    def dataset(self, start_step: int):
        """Batches of aligned ``(blurry, sharp)`` crops for steps ``start_step`` to ``train.steps - 1``."""
        train = self.config.train
        return paired_batches(self.sampler, seed=train.seed, batch=train.batch,
                              start_step=start_step, steps=train.steps)

    def validate(self, model) -> dict:
        """Mean PSNR (dB) and SSIM over the validation crops; ``{}`` without validation pairs."""
        if self.validation is None:
            return {}
        blurry, sharp = self.validation
        scores = model.evaluate(blurry, sharp, batch_size=self.config.train.batch, verbose=0,
                                return_dict=True)
        return {"psnr": float(scores["psnr"]), "ssim": float(scores["ssim"])}

    def export_model(self, model) -> keras.Model:
        """A float32 copy of the network, the one ``generator.keras`` holds.

        With ``model.local_pool`` > 0 its channel attention pools over windows
        of ``local_pool * crop`` pixels at inference (see :mod:`cyclesem.nets.midnet`).
        """
        factor = self.config.model.local_pool
        window = int(round(factor * self.config.train.crop)) if factor > 0 else None
        exported = self._network(window)
        exported.set_weights(model.network.get_weights())
        return exported

    def sample_rows(self, model) -> list[list]:
        """Preview rows: blurry, restored, sharp."""
        blurry, sharp = self.previews
        restored = keras.ops.convert_to_numpy(model.network(blurry, training=False)).astype(np.float32)
        return [[blurry[i, ..., 0], restored[i, ..., 0], sharp[i, ..., 0]] for i in range(len(blurry))]

