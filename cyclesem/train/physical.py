"""Physically constrained CycleGAN training as a runner task (:class:`cyclesem.train.runner.TrainingTask`).

:class:`PhysicalCycleGanTask` builds :class:`~cyclesem.models.physical_cyclegan.PhysicalCycleGan`
(the restorer of ``model.restorer``, the SEM degradation, two PatchGANs) and
its optimizers, draws unrelated blurry and clear crops plus the degradation's
random numbers as a pure function of (seed, step), exports the restorer as
``generator.keras`` and the fitted degradation as ``degradation.json``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from cyclesem.backend import jit_compile
from cyclesem.data.pipelines import degradation_draws, physical_unpaired_batches
from cyclesem.models.schedules import ConstantThenLinearDecay
from cyclesem.models.physical_cyclegan import NETWORK_NAMES, PhysicalCycleGan
from cyclesem.nets import build_discriminator, build_generator
from cyclesem.nets.ensemble import flip_ensemble
from cyclesem.nets.degradation import PARAMETER_COUNT, VEIL_GRID, build_degradation, describe
from cyclesem.nets.midnet import build_midnet
from cyclesem.train.cyclegan import CycleGanTask

__all__ = ["PhysicalCycleGanTask"]


class PhysicalCycleGanTask(CycleGanTask):
    """Training of :class:`PhysicalCycleGan` for :func:`cyclesem.train.runner.train` (its task interface).

    The crops, previews, settings, saved config and step counter are the
    CycleGAN task's; the networks, optimizers, batches, exports and samples are
    this model's.

    Parameters
    ----------
    config : cyclesem.config.cyclegan.CycleGanConfig
        The resolved config (``model.degradation == "physical"``).
    blurry, clear : list of numpy.ndarray
        Normalised 2-D float32 training images of each domain.
    """

    progress_keys = ("restorer", "pair_l1", "spectral", "disc_blurry")

    def __init__(self, config, blurry: list, clear: list):
        if config.train.crop <= config.model.physical.psf_radius:
            raise ValueError(f"the crop ({config.train.crop}) must be larger than the PSF radius "
                             f"({config.model.physical.psf_radius})")
        super().__init__(config, blurry, clear)

    def build_restorer(self, name: str = "gen_blurry_to_clear") -> keras.Model:
        """A fresh float32 blurry -> clear network of the configured kind."""
        model = self.config.model
        if model.restorer == "midnet":
            return build_midnet(**model.midnet.network_sizes(), skip="attention", name=name)
        return build_generator(model.generator, name=name)

    def build_model(self) -> PhysicalCycleGan:
        """The compiled model with built optimizers (call inside the strategy scope)."""
        config, physical = self.config, self.config.model.physical
        networks = {"gen_blurry_to_clear": self.build_restorer(),
                    "gen_clear_to_blurry": build_degradation(physical.psf_radius, physical.initial_sigma,
                                                                 physical.fit_intensity, psf_shape=physical.psf)}
        networks.update({name: build_discriminator(config.model.discriminator, name=name)
                         for name in ("disc_clear", "disc_blurry")})
        model = PhysicalCycleGan(networks, config.physical_loss,
                                 warmup_steps=int(round(physical.warmup * config.train.steps)),
                                 real_images=max(config.train.batch // 4, 1), gain_offset=physical.gain_offset,
                                 pair_width_scale=physical.pair_width_scale, name="physical_cyclegan")
        model.compile({name: self._optimizer(name) for name in NETWORK_NAMES},
                      jit_compile=jit_compile(config.runtime.xla, config.runtime.eager),
                      run_eagerly=config.runtime.eager)
        return model

    def _optimizer(self, network_name: str):
        settings, steps = self.config.optimizer, self.config.train.steps
        rate = (self.config.model.physical.learning_rate if network_name == "gen_clear_to_blurry"
                else settings.learning_rate)
        schedule = ConstantThenLinearDecay(rate, steps, int(round(settings.decay_start * steps)))
        return keras.optimizers.Adam(schedule, beta_1=settings.beta_1, beta_2=settings.beta_2,
                                     name=f"adam_{network_name}")

    def dataset(self, start_step: int):
        """Batches with the degradation's draws for steps ``start_step`` to ``train.steps - 1``."""
        train = self.config.train
        return physical_unpaired_batches(
            self.samplers["blurry"], self.samplers["clear"], seed=train.seed, batch=train.batch,
            start_step=start_step, steps=train.steps, parameters=PARAMETER_COUNT, veil_grid=VEIL_GRID)

    def export_model(self, model: PhysicalCycleGan) -> keras.Model:
        """A float32 copy of ``gen_blurry_to_clear``, the network ``generator.keras`` holds.

        A MIDNet restorer with ``model.midnet.self_ensemble`` (a run started with ``--init`` from
        such a network, as the packaged ``sem-deblur``) is exported as its mean over the flips
        of its input (:func:`cyclesem.nets.ensemble.flip_ensemble`).
        """
        exported = self.build_restorer()
        exported.set_weights(model.gen_blurry_to_clear.get_weights())
        settings = self.config.model
        if settings.restorer == "midnet" and settings.midnet.self_ensemble:
            return flip_ensemble(exported)
        return exported

    def degradation(self, model: PhysicalCycleGan) -> dict:
        """The fitted degradation in physical units (``degradation.json``)."""
        layer = model.gen_clear_to_blurry.get_layer("degradation")
        return describe(ops.convert_to_numpy(layer.means), ops.convert_to_numpy(layer.spreads),
                        fit_intensity=layer.fit_intensity, psf_shape=layer.psf_shape)

    def run_files(self, model: PhysicalCycleGan) -> dict:
        """Results the runner writes beside the network: ``degradation.json``."""
        return {"degradation": self.degradation(model)}

    def sample_rows(self, model: PhysicalCycleGan) -> list[list]:
        """Rows: blurry, G(blurry), F(G(blurry)); clear, F(clear), G(F(clear)); the mean PSF."""
        rng = np.random.default_rng([self.config.train.seed, 0])
        crop, count = self.config.train.crop, self.preview_count
        draws = [degradation_draws(rng, crop, PARAMETER_COUNT, VEIL_GRID) for _ in range(count)]
        data = {"draws": np.stack([d[0] for d in draws]), "noise": np.stack([d[1] for d in draws])[..., None],
                "veil_field": np.stack([d[2] for d in draws])}
        data = {key: ops.convert_to_tensor(value) for key, value in data.items()}
        blurry, clear = (ops.convert_to_tensor(self.previews[domain]) for domain in ("blurry", "clear"))
        restored = model.gen_blurry_to_clear(blurry, training=False)
        reblurred = model.degrade(restored, data, mean_only=True)
        degraded = model.degrade(clear, data)
        cycled = model.gen_blurry_to_clear(degraded, training=False)
        images = [_numpy(x) for x in (blurry, restored, reblurred, clear, degraded, cycled)]
        rows = [[images[0][i], images[1][i], images[2][i]] for i in range(count)]
        rows += [[images[3][i], images[4][i], images[5][i]] for i in range(count)]
        psf = np.asarray(self.degradation(model)["psf"]["image"], np.float32)
        return rows + [[psf / max(float(psf.max()), 1e-12)]]


def _numpy(batch):
    return ops.convert_to_numpy(ops.cast(batch, "float32"))[..., 0]
