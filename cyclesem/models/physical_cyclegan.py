"""The physically constrained CycleGAN: a learned SEM degradation teaches the restorer.

The symmetric CycleGAN (:mod:`cyclesem.models.cyclegan`) starts both generators
at the identity, which satisfies its cycle and identity losses exactly; on
subtle blur it stays there (identity collapse; "CycleGAN, a master of
steganography", Chu et al. 2017). Unpaired restoration methods that work learn
the easy direction instead (KernelGAN, Bell-Kligler et al. 2019; the blur-kernel
CycleGAN of Lim et al. 2019; RealSR, Ji et al. 2020). Here
``gen_clear_to_blurry`` is :class:`cyclesem.nets.degradation.SemDegradation`:
a parametric PSF, a smooth veil, gain/offset and Poisson-Gaussian noise whose
parameters are learned distributions.

One step on real blurry crops ``b`` and real clear crops ``c`` (``F`` the
degradation, ``G = gen_blurry_to_clear``):

- **Fitting the degradation** (``F``'s loss): ``F(c)`` must look like real
  blurry images to ``disc_blurry`` (LSGAN), have their radial power spectrum
  (:func:`cyclesem.losses.spectral_distance`, a fast and stable statistic of
  blur width and noise level) and their grey-level histogram
  (:func:`cyclesem.losses.intensity_distance`: brightness, contrast, veil).
  The two statistics do most of the fitting: alone, a saturated
  ``disc_blurry`` drove gain and offset far off (offset -0.85 after 250
  steps on the Gaussian benchmark).
- **Clear -> blurry -> clear** (``G``'s main loss): ``G(F(c))`` against ``c``
  with L1 + SSIM + edge: the restorer trains on realistic pairs it makes
  itself. The gradient does not flow into ``F`` (``F`` is fitted to the real
  blurry folder only, never made easier to invert).
- **Blurry -> clear -> blurry**: ``F_mean(G(b))`` against ``b`` (L1, the mean
  degradation without noise) keeps restorations of real images consistent with
  the physics. ``F`` is a blur: it destroys high frequencies, so ``G`` cannot
  hide a code there to satisfy this cycle (no steganography channel).
- **Identity**: ``G(c)`` against ``c`` keeps sharp inputs unchanged.
- **Realism**: ``disc_clear`` scores ``G(b)`` against real clear crops.

For the first ``degradation.warmup`` fraction of the steps only ``F`` and
``disc_blurry`` learn (the restorer's and ``disc_clear``'s losses are
multiplied by zero), so the restorer starts on a fitted degradation.

All random numbers (the degradation's draws, its noise and veil fields) come
from the input pipeline, pure functions of (seed, step): resumed runs draw the
same. The losses are one backend-neutral function (:meth:`losses`); the
TensorFlow ``train_step`` only takes gradients and applies them.
"""

from __future__ import annotations

import keras
from keras import ops

from cyclesem.losses import (edge_loss, intensity_distance, l1_loss, lsgan_discriminator_loss,
                             lsgan_generator_loss, spectral_distance, ssim_loss)
from cyclesem.nets.layers import frozen_statistics

__all__ = ["PhysicalCycleGan", "PHYSICAL_LOGGED_LOSSES"]

PHYSICAL_LOGGED_LOSSES = ("restorer", "pair_l1", "pair_ssim", "pair_edge", "blurry_cycle", "identity",
                          "adversarial_clear", "degradation", "adversarial_blurry", "spectral", "intensity",
                          "disc_clear", "disc_blurry")
_NETWORKS = ("gen_blurry_to_clear", "gen_clear_to_blurry", "disc_clear", "disc_blurry")


class PhysicalCycleGan(keras.Model):
    """Unpaired blurry -> clear restoration taught by a fitted physical degradation.

    Parameters
    ----------
    networks : dict
        ``gen_blurry_to_clear`` (any image-to-image network), ``gen_clear_to_blurry``
        (:func:`cyclesem.nets.degradation.build_degradation`), ``disc_clear`` and
        ``disc_blurry`` (PatchGAN).
    loss_weights : cyclesem.train_config.PhysicalLossWeights
        Weights of every term (see the module docstring).
    warmup_steps : int
        Steps during which only the degradation and its discriminator learn.
    real_images : int
        How many of each batch's real blurry images the restorer also sees
        (for ``disc_clear`` and the blurry cycle); the restorer's main pass is
        on the whole batch of self-made pairs.
    """

    def __init__(self, networks: dict, loss_weights, *, warmup_steps: int, real_images: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.real_images = max(int(real_images), 1)
        for name in _NETWORKS:
            setattr(self, name, networks[name])
        self.loss_weights_ = loss_weights
        self.warmup_steps = int(warmup_steps)
        self.completed_steps = self.add_weight(
            shape=(), dtype="int64", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="completed_steps")
        self.network_optimizers = {}
        self.built = True

    @property
    def networks(self) -> dict:
        """The four networks by name."""
        return {name: getattr(self, name) for name in _NETWORKS}

    def compile(self, optimizers: dict, *, jit_compile: bool = False, run_eagerly: bool = False):
        """Set one optimizer per network and build their variables (inside the strategy scope)."""
        super().compile(optimizer=None, jit_compile=jit_compile, run_eagerly=run_eagerly)
        self.network_optimizers = dict(optimizers)
        for name, network in self.networks.items():
            self.network_optimizers[name].build(network.trainable_variables)

    def call(self, inputs, training=False):
        """Blurry to clear: ``gen_blurry_to_clear`` on ``inputs["blurry"]`` (or on a tensor)."""
        blurry = inputs["blurry"] if isinstance(inputs, dict) else inputs
        return self.gen_blurry_to_clear(blurry, training=training)

    def degrade(self, clear, data, *, mean_only: bool = False):
        """``gen_clear_to_blurry``'s degradation of ``clear`` with the batch's draws (noise-free: ``mean_only``)."""
        layer = self.gen_clear_to_blurry.get_layer("degradation")
        return layer([clear, data["draws"], data["noise"], data["veil_field"]], mean_only=mean_only)

    def losses_of(self, data, step) -> dict:
        """Every loss of one step, by network (``restorer``, ``degradation``, ``disc_*``) and by term.

        Terms whose weight is zero are not computed (they show as 0): with
        ``adversarial_clear``, ``blurry_cycle`` and ``identity`` at zero the
        restorer runs once per step, on the self-made pairs only.
        """
        weights, restorer = self.loss_weights_, self.gen_blurry_to_clear
        real_blurry, real_clear = data["blurry"], data["clear"]
        learning = ops.cast(ops.greater_equal(step, self.warmup_steps), "float32")
        fake_blurry = self.degrade(real_clear, data)
        zero = ops.zeros(())
        terms = {"adversarial_blurry": lsgan_generator_loss(self.disc_blurry(fake_blurry, training=True)),
                 "spectral": spectral_distance(fake_blurry, real_blurry),
                 "intensity": intensity_distance(fake_blurry, real_blurry),
                 "adversarial_clear": zero, "blurry_cycle": zero, "identity": zero, "disc_clear": zero}
        if weights.adversarial_clear > 0 or weights.blurry_cycle > 0:
            real_blurry = real_blurry[:self.real_images]  # a quarter of the batch: the pairs teach most
            fake_clear = restorer(real_blurry, training=True)  # moving statistics from real blurry images
            terms["adversarial_clear"] = lsgan_generator_loss(self.disc_clear(fake_clear, training=True))
            reblurred = self.degrade(fake_clear, {key: data[key][:self.real_images]
                                                  for key in ("draws", "noise", "veil_field")},
                                     mean_only=True)
            terms["blurry_cycle"] = l1_loss(reblurred, real_blurry)
            terms["disc_clear"] = learning * lsgan_discriminator_loss(
                self.disc_clear(real_clear, training=True),
                self.disc_clear(ops.stop_gradient(fake_clear), training=True))
        with frozen_statistics(restorer):
            restored = restorer(ops.stop_gradient(fake_blurry), training=True)
            if weights.identity > 0:
                terms["identity"] = l1_loss(restorer(real_clear, training=True), real_clear)
        terms.update(pair_l1=l1_loss(restored, real_clear), pair_ssim=ssim_loss(restored, real_clear),
                     pair_edge=edge_loss(restored, real_clear))
        terms["degradation"] = (weights.adversarial_blurry * terms["adversarial_blurry"]
                                + weights.spectral * terms["spectral"] + weights.intensity * terms["intensity"])
        terms["restorer"] = learning * sum(getattr(weights, name) * terms[name] for name in (
            "pair_l1", "pair_ssim", "pair_edge", "identity", "adversarial_clear", "blurry_cycle"))
        terms["disc_blurry"] = lsgan_discriminator_loss(
            self.disc_blurry(data["blurry"], training=True),
            self.disc_blurry(ops.stop_gradient(fake_blurry), training=True))
        return terms

    def train_step(self, data):
        import tensorflow as tf

        step = ops.cast(data["step"][0], "int64")
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        owners = {"gen_blurry_to_clear": "restorer", "gen_clear_to_blurry": "degradation",
                  "disc_clear": "disc_clear", "disc_blurry": "disc_blurry"}
        optimizers = self.network_optimizers
        with tf.GradientTape(persistent=True) as tape:
            terms = self.losses_of(data, step)
            scaled = {name: optimizers[name].scale_loss(terms[owner] / replicas)
                      for name, owner in owners.items()}
        for name, network in self.networks.items():
            variables = network.trainable_variables
            gradients = tape.gradient(scaled[name], variables)
            if all(gradient is not None for gradient in gradients):  # disc_clear idles when unused
                optimizers[name].apply_gradients(zip(gradients, variables))
        del tape
        self.completed_steps.assign(step + 1)
        return {name: terms[name] for name in PHYSICAL_LOGGED_LOSSES}


class PhysicalCycleGanTask:
    """Training of :class:`PhysicalCycleGan` for :func:`cyclesem.training.train` (its task interface).

    Parameters
    ----------
    config : cyclesem.train_config.CycleGanConfig
        The resolved config (``model.degradation == "physical"``).
    blurry, clear : list of numpy.ndarray
        Normalised 2-D float32 training images of each domain.
    """

    kind = "cyclegan"
    progress_keys = ("restorer", "pair_l1", "spectral", "disc_blurry")
    preview_count = 2

    def __init__(self, config, blurry: list, clear: list):
        from cyclesem.data import CropSampler, centre_crops

        self.config = config
        train, data = config.train, config.data
        if train.crop <= config.model.physical.psf_radius:
            raise ValueError(f"the crop ({train.crop}) must be larger than the PSF radius "
                             f"({config.model.physical.psf_radius})")
        self.samplers = {
            domain: CropSampler([(image,) for image in images], train.crop,
                                flips=data.flips, rotations=data.rotations)
            for domain, images in (("blurry", blurry), ("clear", clear))
        }
        self.previews = {"blurry": centre_crops(blurry, train.crop, self.preview_count),
                         "clear": centre_crops(clear, train.crop, self.preview_count)}

    @property
    def settings(self):
        """The run's :class:`~cyclesem.train_config.TrainSettings`."""
        return self.config.train

    def config_dict(self) -> dict:
        """The resolved config, for ``RUN/config.json``."""
        from cyclesem.config import to_dict

        return to_dict(self.config)

    def build_restorer(self, name: str = "gen_blurry_to_clear") -> keras.Model:
        """A fresh float32 blurry -> clear network of the configured kind."""
        from cyclesem.nets import build_generator
        from cyclesem.nets.midnet import build_midnet

        model = self.config.model
        if model.restorer == "midnet":
            sizes = model.midnet
            return build_midnet(sizes.width, sizes.enc_blocks, sizes.middle_blocks, sizes.dec_blocks,
                                "attention", name=name)
        return build_generator(model.generator, name=name)

    def build_model(self) -> PhysicalCycleGan:
        """The compiled model with built optimizers (call inside the strategy scope)."""
        from cyclesem.nets import build_discriminator
        from cyclesem.nets.degradation import build_degradation

        config, physical = self.config, self.config.model.physical
        networks = {"gen_blurry_to_clear": self.build_restorer(),
                    "gen_clear_to_blurry": build_degradation(physical.psf_radius, physical.initial_sigma)}
        networks.update({name: build_discriminator(config.model.discriminator, name=name)
                         for name in ("disc_clear", "disc_blurry")})
        model = PhysicalCycleGan(networks, config.physical_loss,
                                 warmup_steps=int(round(physical.warmup * config.train.steps)),
                                 real_images=max(config.train.batch // 4, 1), name="physical_cyclegan")
        model.compile({name: self._optimizer(name) for name in _NETWORKS},
                      jit_compile=config.runtime.xla, run_eagerly=config.runtime.eager)
        return model

    def _optimizer(self, network_name: str):
        from cyclesem.models.cyclegan import ConstantThenLinearDecay

        settings, steps = self.config.optimizer, self.config.train.steps
        rate = (self.config.model.physical.learning_rate if network_name == "gen_clear_to_blurry"
                else settings.learning_rate)
        schedule = ConstantThenLinearDecay(rate, steps, int(round(settings.decay_start * steps)))
        return keras.optimizers.Adam(schedule, beta_1=settings.beta_1, beta_2=settings.beta_2,
                                     name=f"adam_{network_name}")

    def optimizers(self, model: PhysicalCycleGan) -> dict:
        """The four optimizers by network name (their variables go into checkpoints)."""
        return model.network_optimizers

    def completed_steps(self, model: PhysicalCycleGan) -> int:
        """Training steps the model has done (restored with its checkpoint)."""
        return int(ops.convert_to_numpy(model.completed_steps.value))

    def dataset(self, start_step: int):
        """Batches with the degradation's draws for steps ``start_step`` to ``train.steps - 1``."""
        from cyclesem.data import physical_unpaired_batches
        from cyclesem.nets.degradation import PARAMETER_COUNT, VEIL_GRID

        train = self.config.train
        return physical_unpaired_batches(
            self.samplers["blurry"], self.samplers["clear"], seed=train.seed, batch=train.batch,
            start_step=start_step, steps=train.steps, parameters=PARAMETER_COUNT, veil_grid=VEIL_GRID)

    def export_model(self, model: PhysicalCycleGan) -> keras.Model:
        """A float32 copy of ``gen_blurry_to_clear``, the network ``generator.keras`` holds."""
        exported = self.build_restorer()
        exported.set_weights(model.gen_blurry_to_clear.get_weights())
        return exported

    def degradation(self, model: PhysicalCycleGan) -> dict:
        """The fitted degradation in physical units (``degradation.json``)."""
        from cyclesem.nets.degradation import describe

        layer = model.gen_clear_to_blurry.get_layer("degradation")
        return describe(ops.convert_to_numpy(layer.means), ops.convert_to_numpy(layer.spreads))

    def run_files(self, model: PhysicalCycleGan) -> dict:
        """Results the runner writes beside the network: ``degradation.json``."""
        return {"degradation": self.degradation(model)}

    def sample_rows(self, model: PhysicalCycleGan) -> list[list]:
        """Rows: blurry, G(blurry), F(G(blurry)); clear, F(clear), G(F(clear)); the mean PSF."""
        import numpy as np

        from cyclesem.data import degradation_draws
        from cyclesem.nets.degradation import PARAMETER_COUNT, VEIL_GRID

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
