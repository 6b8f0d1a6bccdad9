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
  blurry images to ``disc_blurry`` (LSGAN), have the distribution of their
  radial power spectra (:func:`cyclesem.models.losses.spectral_distance`: the
  mean and the spread over the batch of each frequency band's log power, a
  fast and stable statistic of blur width, its variation and the noise level)
  and their grey-level histogram
  (:func:`cyclesem.models.losses.intensity_distance`: brightness, contrast, veil).
  The two statistics do most of the fitting: alone, a saturated
  ``disc_blurry`` drove gain and offset far off (offset -0.85 after 250
  steps on the Gaussian benchmark).
- **Clear -> blurry -> clear** (``G``'s main loss): ``G(F(c))`` against ``c``
  with L1 + SSIM + edge: the restorer trains on realistic pairs it makes
  itself. The gradient does not flow into ``F`` (``F`` is fitted to the real
  blurry folder only, never made easier to invert). With ``fit_intensity``
  the fitted gain and offset take one of two roles (``gain_offset``,
  :meth:`self_made_pairs`): ``nuisance`` (new runs): the pairs are made
  without them (``c`` degraded by blur, veil and noise, against ``c``), so
  they only help fit ``F`` to the blurry folder; ``frame``: applied to both
  sides (``F(c)`` against ``c`` in the blurry folder's grey-level frame).
  Differences of brightness and contrast between the folders are not
  focus: the earlier target ``c`` against a framed ``F(c)`` taught the
  restorer the fitted gain, and the frame, where the gain comes partly from
  content, taught it as contrast (see ``experiments/README.md``).
- **Blurry -> clear -> blurry** (weight 0 by default, as realism below: on
  the Gaussian benchmark the restorer did better without both):
  ``F_mean(G(b))`` against ``b`` (L1, the mean degradation without noise)
  keeps restorations of real images consistent with the physics. ``F`` is a blur: it destroys high frequencies, so ``G`` cannot
  hide a code there to satisfy this cycle (no steganography channel).
- **Identity**: ``G(c)`` against ``c`` keeps sharp inputs unchanged.
- **Realism** (weight 0 by default): ``disc_clear`` scores ``G(b)`` against
  real clear crops.

For the first ``degradation.warmup`` fraction of the steps only ``F`` and
``disc_blurry`` learn (the restorer's and ``disc_clear``'s losses are
multiplied by zero), so the restorer starts on a fitted degradation.

All random numbers (the degradation's draws, its noise and veil fields) come
from the input pipeline, pure functions of (seed, step): resumed runs draw the
same. The losses are one backend-neutral function (:meth:`losses_of`); the
train steps only take gradients and apply them: TensorFlow's here, JAX's in
:mod:`cyclesem.models.jax_steps`.
"""

from __future__ import annotations

from keras import ops

from cyclesem.models.four_networks import NETWORK_NAMES, FourNetworks
from cyclesem.models.losses import (intensity_distance, l1_loss, lsgan_discriminator_loss,
                                    lsgan_generator_loss, sobel_magnitude_l1, spectral_distance, ssim_loss)
from cyclesem.nets.layers import frozen_statistics

__all__ = ["GAIN_OFFSET_ROLES", "NETWORK_NAMES", "PhysicalCycleGan", "PHYSICAL_LOGGED_LOSSES"]

GAIN_OFFSET_ROLES = ("frame", "nuisance")  # what the fitted gain and offset do to the self-made pairs

PHYSICAL_LOGGED_LOSSES = ("restorer", "pair_l1", "pair_ssim", "pair_edge", "blurry_cycle", "identity",
                          "adversarial_clear", "degradation", "adversarial_blurry", "spectral", "intensity",
                          "disc_clear", "disc_blurry")
OWNERS = {"gen_blurry_to_clear": "restorer", "gen_clear_to_blurry": "degradation",
          "disc_clear": "disc_clear", "disc_blurry": "disc_blurry"}  # network -> the loss it descends


class PhysicalCycleGan(FourNetworks):
    """Unpaired blurry -> clear restoration taught by a fitted physical degradation.

    Parameters
    ----------
    networks : dict
        ``gen_blurry_to_clear`` (any image-to-image network), ``gen_clear_to_blurry``
        (:func:`cyclesem.nets.degradation.build_degradation`), ``disc_clear`` and
        ``disc_blurry`` (PatchGAN).
    loss_weights : cyclesem.config.cyclegan.PhysicalLossWeights
        Weights of every term (see the module docstring).
    warmup_steps : int
        Steps during which only the degradation and its discriminator learn.
    real_images : int
        How many of each batch's real blurry images the restorer also sees
        (for ``disc_clear`` and the blurry cycle); the restorer's main pass is
        on the whole batch of self-made pairs.
    """

    owners, logged_losses = OWNERS, PHYSICAL_LOGGED_LOSSES

    def __init__(self, networks: dict, loss_weights, *, warmup_steps: int, real_images: int = 1,
                 gain_offset: str = "frame", pair_width_scale: tuple[float, float] | None = None, **kwargs):
        super().__init__(**kwargs)
        if gain_offset not in GAIN_OFFSET_ROLES:
            raise ValueError(f"gain_offset must be one of {', '.join(GAIN_OFFSET_ROLES)}, not {gain_offset!r}")
        self.real_images = max(int(real_images), 1)
        self.gain_offset = gain_offset
        self.pair_width_scale = None if pair_width_scale is None else tuple(float(v) for v in pair_width_scale)
        for name in NETWORK_NAMES:
            setattr(self, name, networks[name])
        self.loss_weights_ = loss_weights
        self.warmup_steps = int(warmup_steps)
        self.completed_steps = self.add_weight(
            shape=(), dtype="int64", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="completed_steps")
        self.network_optimizers = {}
        self.built = True

    def idle_networks(self) -> tuple:
        """Networks whose loss is a constant with these weights (``disc_clear`` without its two uses)."""
        weights = self.loss_weights_
        return () if weights.adversarial_clear > 0 or weights.blurry_cycle > 0 else ("disc_clear",)

    def degrade(self, clear, data, *, mean_only: bool = False, framed: bool = True, width_scale=None):
        """``gen_clear_to_blurry``'s degradation of ``clear`` with the batch's draws.

        ``mean_only``: without noise; ``framed=False``: without the gain and
        offset (:meth:`~cyclesem.nets.degradation.SemDegradation.frame`), for
        an image already in the blurry folder's frame, and for the self-made
        pairs when the gain and offset are a nuisance (:meth:`self_made_pairs`);
        ``width_scale``: the PSF widths spread over the fitted mean width times
        ``(low, high)`` (:meth:`~cyclesem.nets.degradation.SemDegradation.spread_widths`).
        """
        layer = self.gen_clear_to_blurry.get_layer("degradation")
        return layer([clear, data["draws"], data["noise"], data["veil_field"]], mean_only=mean_only, framed=framed,
                     width_scale=width_scale)

    def pair_targets(self, clear, data):
        """The targets of the self-made pairs: ``clear`` in the blurry folder's grey-level frame (no gradient)."""
        layer = self.gen_clear_to_blurry.get_layer("degradation")
        return ops.stop_gradient(layer.frame(clear, data["draws"]))

    def self_made_pairs(self, clear, fake_blurry, data) -> tuple:
        """The restorer's inputs and targets made from ``clear`` (``fake_blurry``: its fitted degradation).

        ``gain_offset = "frame"``: ``fake_blurry`` against ``clear`` in the
        blurry folder's grey-level frame (:meth:`pair_targets`);
        ``"nuisance"``: ``clear`` degraded without the gain and offset against
        ``clear`` itself, so the fitted gain and offset only help fit the
        degradation to the blurry folder and never reach the restorer.

        With ``pair_width_scale = (low, high)`` the pairs' blur is not the
        fitted distribution but the fitted mean width times a factor drawn
        log-uniformly in ``[low, high]`` per image: the restorer sees blur from
        nearly none to wider than the folder's and must judge each image's own
        width, instead of undoing the folder's mean width everywhere.
        """
        nuisance = self.gain_offset == "nuisance" and self.gen_clear_to_blurry.get_layer("degradation").fit_intensity
        if nuisance:
            return (self.degrade(clear, data, framed=False, width_scale=self.pair_width_scale),
                    ops.cast(clear, "float32"))
        if self.pair_width_scale is not None:
            return self.degrade(clear, data, width_scale=self.pair_width_scale), self.pair_targets(clear, data)
        return fake_blurry, self.pair_targets(clear, data)

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
                 "intensity": (intensity_distance(fake_blurry, real_blurry) if weights.intensity > 0 else zero),
                 "adversarial_clear": zero, "blurry_cycle": zero, "identity": zero, "disc_clear": zero}
        if weights.adversarial_clear > 0 or weights.blurry_cycle > 0:
            real_blurry = real_blurry[:self.real_images]  # a quarter of the batch: the pairs teach most
            fake_clear = restorer(real_blurry, training=True)  # moving statistics from real blurry images
            terms["adversarial_clear"] = lsgan_generator_loss(self.disc_clear(fake_clear, training=True))
            reblurred = self.degrade(fake_clear, {key: data[key][:self.real_images]
                                                  for key in ("draws", "noise", "veil_field")},
                                     mean_only=True, framed=False)
            terms["blurry_cycle"] = l1_loss(reblurred, real_blurry)
            terms["disc_clear"] = learning * lsgan_discriminator_loss(
                self.disc_clear(real_clear, training=True),
                self.disc_clear(ops.stop_gradient(fake_clear), training=True))
        pair_inputs, targets = self.self_made_pairs(real_clear, fake_blurry, data)
        with frozen_statistics(restorer):
            restored = restorer(ops.stop_gradient(pair_inputs), training=True)
            if weights.identity > 0:
                terms["identity"] = l1_loss(restorer(real_clear, training=True), real_clear)
        terms.update(pair_l1=l1_loss(restored, targets), pair_ssim=ssim_loss(restored, targets),
                     pair_edge=sobel_magnitude_l1(restored, targets))
        terms["degradation"] = (weights.adversarial_blurry * terms["adversarial_blurry"]
                                + weights.spectral * terms["spectral"] + weights.intensity * terms["intensity"])
        terms["restorer"] = learning * sum(getattr(weights, name) * terms[name] for name in (
            "pair_l1", "pair_ssim", "pair_edge", "identity", "adversarial_clear", "blurry_cycle"))
        terms["disc_blurry"] = lsgan_discriminator_loss(
            self.disc_blurry(data["blurry"], training=True),
            self.disc_blurry(ops.stop_gradient(fake_blurry), training=True))
        return terms

    def tensorflow_train_step(self, data):
        import tensorflow as tf

        step = ops.cast(data["step"][0], "int64")
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        optimizers = self.network_optimizers
        with tf.GradientTape(persistent=True) as tape:
            terms = self.losses_of(data, step)
            scaled = {name: optimizers[name].scale_loss(terms[owner] / replicas)
                      for name, owner in OWNERS.items()}
        for name, network in self.networks.items():
            variables = network.trainable_variables
            gradients = tape.gradient(scaled[name], variables)
            if all(gradient is not None for gradient in gradients):  # disc_clear idles when unused
                optimizers[name].apply_gradients(zip(gradients, variables))
        del tape
        self.completed_steps.assign(step + 1)
        return {name: terms[name] for name in PHYSICAL_LOGGED_LOSSES}
