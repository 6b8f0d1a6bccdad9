"""The CycleGAN as a ``keras.Model``: four networks, four optimizers, one train step.

:class:`CycleGan` holds ``gen_blurry_to_clear`` (G), ``gen_clear_to_blurry``
(F), ``disc_clear`` and ``disc_blurry``. ``compile(optimizers)`` takes one
optimizer per network; ``train_step`` runs one persistent ``tf.GradientTape``
over the whole step and returns the named losses, so ``fit()``, callbacks and
distribution strategies work unchanged. This step is the TensorFlow-specific
part; networks and losses are ``keras.ops``.

One step on a batch of real blurry images ``b`` and real clear images ``c``:
``G(b)`` and ``F(c)`` (these two calls update each generator's moving
instance-norm statistics, so G's come from real blurry images only), then
``F(G(b))``, ``G(F(c))`` and the identity terms ``G(c)``, ``F(b)`` with the
statistics frozen; the discriminators see real images and fakes drawn from the
image pools; losses are :func:`cyclesem.models.losses.cycle_gan_losses`.

Image pools (Shrivastava et al. 2017, as in the reference CycleGAN) are
non-trainable variables of the model, so checkpoints carry them: while a pool
fills, fakes go in and through; once full, each fake is swapped for a stored
one with probability 1/2. The random choices are stateless functions of
(seed, step, replica), so a resumed run makes the same choices.

Under ``tf.distribute`` each loss is divided by the number of replicas before
its gradient (gradients are summed across replicas); pools and the step counter
keep the first replica's updates.
"""

from __future__ import annotations

import keras
from keras import ops

from cyclesem.backend import require_tensorflow
from cyclesem.models.four_networks import NETWORK_NAMES, FourNetworks
from cyclesem.models.losses import cycle_gan_losses
from cyclesem.models.schedules import ConstantThenLinearDecay
from cyclesem.nets.layers import frozen_statistics

tf = require_tensorflow()

__all__ = ["CycleGan", "FourNetworks", "ConstantThenLinearDecay", "GENERATORS", "NETWORK_NAMES", "LOGGED_LOSSES"]

LOGGED_LOSSES = ("generators", "adversarial", "cycle", "identity", "ssim", "edge",
                 "disc_clear", "disc_blurry")
GENERATORS = NETWORK_NAMES[:2]


class CycleGan(FourNetworks):
    """Unpaired blurry <-> clear translation trained with cycle consistency.

    Parameters
    ----------
    networks : dict
        ``keras.Model`` by name: the four of :data:`NETWORK_NAMES`.
    loss_weights : cyclesem.config.cyclegan.CycleGanLossWeights
        Weights of the generator loss terms.
    pool_size : int
        Past fakes kept per domain (0 shows the discriminators fresh fakes only).
    crop : int
        Side of the training crops (the pools' image size).
    seed : int
        Seed of the pools' random choices.
    """

    def __init__(self, networks: dict, loss_weights, *, pool_size: int, crop: int, seed: int,
                 **kwargs):
        super().__init__(**kwargs)
        for name in NETWORK_NAMES:
            setattr(self, name, networks[name])
        self.loss_weights_ = loss_weights
        self.pool_size, self.seed = int(pool_size), int(seed)
        self.pools = {domain: self._make_pool(domain, crop) for domain in ("clear", "blurry")}
        self.completed_steps = self.add_weight(
            shape=(), dtype="int64", initializer="zeros", trainable=False,
            aggregation="only_first_replica", name="completed_steps")
        self.network_optimizers = {}
        self.built = True

    def _make_pool(self, domain: str, crop: int):
        images = self.add_weight(
            shape=(max(self.pool_size, 1), crop, crop, 1), initializer="zeros", trainable=False,
            autocast=False, aggregation="only_first_replica", name=f"pool_{domain}")
        count = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                aggregation="only_first_replica", name=f"pool_{domain}_count")
        return images, count

    def train_step(self, data):
        step = ops.cast(data["step"][0], "int64")
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        optimizers = self.network_optimizers
        with tf.GradientTape(persistent=True) as tape:
            images, scores = self._forward(data["blurry"], data["clear"], step)
            terms = cycle_gan_losses(self.loss_weights_, images, scores)
            losses = {name: terms["generators"] for name in GENERATORS}
            losses.update(disc_clear=terms["disc_clear"], disc_blurry=terms["disc_blurry"])
            scaled = {name: optimizers[name].scale_loss(loss / replicas) for name, loss in losses.items()}
        for name, network in self.networks.items():
            variables = network.trainable_variables
            gradients = tape.gradient(scaled[name], variables)
            optimizers[name].apply_gradients(zip(gradients, variables))
        del tape
        self.completed_steps.assign(step + 1)
        return {name: terms[name] for name in LOGGED_LOSSES}

    def _forward(self, real_blurry, real_clear, step):
        to_clear, to_blurry = self.gen_blurry_to_clear, self.gen_clear_to_blurry
        images = {"real_blurry": real_blurry, "real_clear": real_clear}
        fake_clear = to_clear(real_blurry, training=True)
        fake_blurry = to_blurry(real_clear, training=True)
        with frozen_statistics(to_clear), frozen_statistics(to_blurry):
            images["cycled_blurry"] = to_blurry(fake_clear, training=True)
            images["cycled_clear"] = to_clear(fake_blurry, training=True)
            if self.loss_weights_.identity > 0:
                images["same_clear"] = to_clear(real_clear, training=True)
                images["same_blurry"] = to_blurry(real_blurry, training=True)
            else:
                images["same_clear"], images["same_blurry"] = real_clear, real_blurry
        scores = {}
        for domain, real, fake, salt in (("clear", real_clear, fake_clear, 1),
                                         ("blurry", real_blurry, fake_blurry, 2)):
            disc = getattr(self, f"disc_{domain}")
            pooled = self._query_pool(domain, tf.stop_gradient(fake), step, salt)
            scores[f"{domain}_of_fake"] = disc(fake, training=True)
            scores[f"{domain}_of_real"] = disc(real, training=True)
            scores[f"{domain}_of_pooled"] = disc(pooled, training=True)
        return images, scores

    def _query_pool(self, domain: str, fakes, step, salt: int):
        """Fakes for the discriminator: fresh, or swapped with stored ones (see the module docstring)."""
        if self.pool_size == 0:
            return fakes
        pool, count = self.pools[domain]
        seed = self._stateless_seed(step, salt)
        swap_draws = tf.random.stateless_uniform((fakes.shape[0],), seed)
        slots = tf.random.stateless_uniform((fakes.shape[0],), seed + 1, minval=0,
                                            maxval=self.pool_size, dtype=tf.int32)
        stored, filled, chosen = tf.convert_to_tensor(pool.value), tf.convert_to_tensor(count.value), []
        for index in range(fakes.shape[0]):
            image = fakes[index]
            filling = filled < self.pool_size
            swap = tf.logical_and(tf.logical_not(filling), swap_draws[index] > 0.5)
            slot = tf.where(filling, filled, slots[index])
            old = tf.gather(stored, slot)
            new = tf.where(tf.logical_or(filling, swap), tf.cast(image, stored.dtype), old)
            stored = tf.tensor_scatter_nd_update(stored, [[slot]], [new])
            chosen.append(tf.where(swap, old, tf.cast(image, stored.dtype)))
            filled = tf.minimum(filled + 1, self.pool_size)
        pool.assign(stored)
        count.assign(filled)
        return tf.cast(tf.stack(chosen), fakes.dtype)

    def _stateless_seed(self, step, salt: int):
        """A stateless RNG seed from (seed, step, salt, replica)."""
        context = tf.distribute.get_replica_context()
        replica = 0 if context is None else context.replica_id_in_sync_group
        base = tf.stack([tf.constant(self.seed, tf.int64), tf.cast(step, tf.int64)])
        seed = tf.random.experimental.stateless_fold_in(base, salt)
        return tf.random.experimental.stateless_fold_in(seed, tf.cast(replica, tf.int32))
