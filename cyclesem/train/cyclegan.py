"""Unpaired CycleGAN training as a runner task (:class:`cyclesem.train.runner.TrainingTask`).

:class:`CycleGanTask` builds the four networks and their optimizers from a
:class:`~cyclesem.config.cyclegan.CycleGanConfig` (Adam, constant then linear
decay), draws unrelated blurry and clear crops as a pure function of (seed,
step), and exports ``gen_blurry_to_clear`` in float32 as ``generator.keras``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras

from cyclesem.backend import jit_compile, mixed_precision_policy
from cyclesem.config import to_dict
from cyclesem.data.crops import CropSampler, centre_crops
from cyclesem.data.pipelines import unpaired_batches
from cyclesem.models.four_networks import NETWORK_NAMES
from cyclesem.models.schedules import ConstantThenLinearDecay
from cyclesem.nets import build_discriminator, build_generator

if TYPE_CHECKING:
    from cyclesem.models.cyclegan import CycleGan

__all__ = ["CycleGanTask"]


class CycleGanTask:
    """Unpaired CycleGAN training for :func:`cyclesem.train.runner.train` (see its task interface).

    Parameters
    ----------
    config : cyclesem.config.cyclegan.CycleGanConfig
        The resolved config.
    blurry, clear : list of numpy.ndarray
        Normalised 2-D float32 training images of each domain
        (:func:`cyclesem.data.images.load_unpaired`).
    """

    kind = "cyclegan"
    progress_keys = ("generators", "cycle", "disc_clear", "disc_blurry")
    preview_count = 2

    def __init__(self, config, blurry: list, clear: list):
        self.config = config
        train, data = config.train, config.data
        self.samplers = {
            domain: CropSampler([(image,) for image in images], train.crop,
                                flips=data.flips, rotations=data.rotations)
            for domain, images in (("blurry", blurry), ("clear", clear))
        }
        self.previews = {"blurry": centre_crops(blurry, train.crop, self.preview_count),
                         "clear": centre_crops(clear, train.crop, self.preview_count)}

    @property
    def settings(self):
        """The run's :class:`~cyclesem.config.cyclegan.TrainSettings`."""
        return self.config.train

    def config_dict(self) -> dict:
        """The resolved config, for ``RUN/config.json``."""
        return to_dict(self.config)

    def build_model(self) -> CycleGan:
        """The compiled CycleGAN with built optimizers (call inside the strategy scope)."""
        from cyclesem.models.cyclegan import GENERATORS, CycleGan

        config = self.config
        policy = mixed_precision_policy(config.runtime.mixed_precision)
        networks = {name: build_generator(config.model.generator, name=name, dtype_policy=policy)
                    for name in GENERATORS}
        networks.update({name: build_discriminator(config.model.discriminator, name=name,
                                                   dtype_policy=policy)
                         for name in NETWORK_NAMES[2:]})
        model = CycleGan(networks, config.loss, pool_size=config.train.pool_size,
                         crop=config.train.crop, seed=config.train.seed, name="cyclegan")
        model.compile({name: self._optimizer(name) for name in NETWORK_NAMES},
                      jit_compile=jit_compile(config.runtime.xla, config.runtime.eager),
                      run_eagerly=config.runtime.eager)
        return model

    def _optimizer(self, network_name: str):
        settings, steps = self.config.optimizer, self.config.train.steps
        schedule = ConstantThenLinearDecay(settings.learning_rate, steps,
                                           int(round(settings.decay_start * steps)))
        optimizer = keras.optimizers.Adam(schedule, beta_1=settings.beta_1, beta_2=settings.beta_2,
                                          name=f"adam_{network_name}")
        if mixed_precision_policy(self.config.runtime.mixed_precision) == "mixed_float16":  # float16 needs scaling
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer, name=f"scaled_{network_name}")
        return optimizer

    def optimizers(self, model: CycleGan) -> dict:
        """The four optimizers by network name (their variables go into checkpoints)."""
        return model.network_optimizers

    def completed_steps(self, model: CycleGan) -> int:
        """Training steps the model has done (restored with its checkpoint)."""
        return int(keras.ops.convert_to_numpy(model.completed_steps.value))

    def dataset(self, start_step: int):
        """Batches for steps ``start_step`` to ``train.steps - 1``."""
        train = self.config.train
        return unpaired_batches(self.samplers["blurry"], self.samplers["clear"], seed=train.seed,
                                batch=train.batch, start_step=start_step, steps=train.steps)

    def export_model(self, model: CycleGan) -> keras.Model:
        """A float32 copy of ``gen_blurry_to_clear``, the network ``generator.keras`` holds."""
        exported = build_generator(self.config.model.generator, name="gen_blurry_to_clear")
        exported.set_weights(model.gen_blurry_to_clear.get_weights())
        return exported

    def sample_rows(self, model: CycleGan) -> list[list]:
        """Preview rows: blurry, G(blurry), F(G(blurry)); clear, F(clear), G(F(clear))."""
        rows = []
        for domain, forward, backward in (("blurry", model.gen_blurry_to_clear, model.gen_clear_to_blurry),
                                          ("clear", model.gen_clear_to_blurry, model.gen_blurry_to_clear)):
            real = self.previews[domain]
            fake = forward(real, training=False)
            cycled = backward(fake, training=False)
            rows += [[real[i, ..., 0], _image(fake)[i], _image(cycled)[i]] for i in range(len(real))]
        return rows


def _image(batch):
    return keras.ops.convert_to_numpy(keras.ops.cast(batch, "float32"))[..., 0]
