"""Supervised MIDNet / NAFNet training on (blurry, sharp) pairs, as a task of the runner.

:class:`SupervisedTask` gives :func:`cyclesem.train.runner.train` what it needs
(see :class:`cyclesem.train.runner.TrainingTask`): a compiled
:class:`~cyclesem.models.supervised.SupervisedRestoration` around
:func:`~cyclesem.nets.midnet.build_midnet` (attention-gated skips for
``"midnet"``, additive for ``"nafnet"``), Adam with cosine annealing of the
learning rate, batches of aligned random crops (flips, rotations) that are a
pure function of (seed, step), validation (PSNR, SSIM on a fixed grid of
crops of the validation pairs), and the float32 network for ``generator.keras``.

The pairs come from :func:`cyclesem.data.pairs.load_training_pairs` (through
:func:`cyclesem.train.tasks.task_for`).

Validation scores are in normalised units (each pair scaled by its blurry
image's percentile levels, ``max_val`` 1), so they rank checkpoints; they are
not the file-unit scores of ``cyclesem compare``.
"""

from __future__ import annotations

import keras
import numpy as np

from cyclesem.backend import jit_compile, mixed_precision_policy
from cyclesem.config import to_dict
from cyclesem.data.crops import CropSampler, centre_crops, grid_crops
from cyclesem.data.pipelines import paired_batches
from cyclesem.models.supervised import StepCountedRestoration, mean_scores
from cyclesem.nets.ensemble import flip_ensemble
from cyclesem.nets.midnet import build_midnet

__all__ = ["SupervisedTask"]


class SupervisedTask:
    """Supervised MIDNet / NAFNet training for :func:`cyclesem.train.runner.train`.

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

    def _network(self, local_pool_size: int | None = None, dtype_policy: str | None = None) -> keras.Model:
        return build_midnet(**self.config.model.network_sizes(), skip=self.config.skip,
                            local_pool_size=local_pool_size, dtype_policy=dtype_policy)

    def build_model(self) -> StepCountedRestoration:
        """The compiled model with a built optimizer (call inside the strategy scope).

        Under mixed precision the network computes in float16 under TensorFlow
        (``compile`` wraps Adam in a loss-scale optimizer) or bfloat16 under
        JAX (no loss scaling), its last layers in float32
        (:func:`cyclesem.backend.mixed_precision_policy`).
        """
        config = self.config
        policy = mixed_precision_policy(config.runtime.mixed_precision)
        model = StepCountedRestoration(self._network(dtype_policy=policy), config.loss, name=config.kind,
                                       dtype=policy)
        model.compile(optimizer=self._optimizer(),
                      jit_compile=jit_compile(config.runtime.xla, config.runtime.eager),
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
        """Mean PSNR (dB) and SSIM over the validation crops; ``{}`` without validation pairs.

        The crops go through the network in whole batches (the last one
        filled up with copies of the last crop, left out of the scores), so
        each batch splits evenly over the devices of a multi-device run.
        """
        if self.validation is None:
            return {}
        blurry, sharp = self.validation
        batch = self.config.train.batch
        filled = np.concatenate([blurry, np.repeat(blurry[-1:], -len(blurry) % batch, axis=0)])
        restored = model.predict(filled, batch_size=batch, verbose=0)[:len(blurry)]
        return mean_scores(restored, sharp, model.max_val)

    def export_model(self, model) -> keras.Model:
        """A float32 copy of the network, the one ``generator.keras`` holds.

        With ``model.local_pool`` > 0 its channel attention pools over windows
        of ``local_pool * crop`` pixels at inference (see :mod:`cyclesem.nets.midnet`);
        with ``model.self_ensemble`` it is the mean over the four flips of its input
        (:func:`cyclesem.nets.ensemble.flip_ensemble`).
        """
        factor = self.config.model.local_pool
        window = int(round(factor * self.config.train.crop)) if factor > 0 else None
        exported = self._network(window)
        exported.set_weights(model.network.get_weights())
        return flip_ensemble(exported) if self.config.model.self_ensemble else exported

    def sample_rows(self, model) -> list[list]:
        """Preview rows: blurry, restored, sharp."""
        blurry, sharp = self.previews
        restored = keras.ops.convert_to_numpy(model.network(blurry, training=False)).astype(np.float32)
        return [[blurry[i, ..., 0], restored[i, ..., 0], sharp[i, ..., 0]] for i in range(len(blurry))]

