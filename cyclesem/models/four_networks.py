"""What both CycleGAN kinds share: four networks, one optimizer each (``keras.ops``: every backend).

:class:`FourNetworks` holds the networks of :data:`NETWORK_NAMES` and their
optimizers, and picks the train step of the Keras backend: TensorFlow's
``tensorflow_train_step(data)`` (a subclass's ``GradientTape`` step), or under
JAX the stateless step of :mod:`cyclesem.models.jax_steps`. Nothing here
imports TensorFlow.
"""

from __future__ import annotations

import keras

__all__ = ["FourNetworks", "NETWORK_NAMES"]

NETWORK_NAMES = ("gen_blurry_to_clear", "gen_clear_to_blurry", "disc_clear", "disc_blurry")


class FourNetworks(keras.Model):
    """The four networks of :data:`NETWORK_NAMES`, one optimizer each.

    Subclasses set the four networks as attributes and write
    ``tensorflow_train_step(data)`` (or override ``train_step``); those that
    train under JAX also give ``owners`` (network -> the loss it descends),
    ``logged_losses``, ``losses_of(data, step)`` and ``idle_networks()``
    (see :func:`cyclesem.models.jax_steps.train_step`).
    """

    @property
    def networks(self) -> dict:
        """The four networks by name."""
        return {name: getattr(self, name) for name in NETWORK_NAMES}

    def compile(self, optimizers: dict, *, jit_compile: bool = False, run_eagerly: bool = False):
        """Set one optimizer per network and build their variables.

        Call inside the distribution strategy's scope (optimizers built outside
        it fail under ``MirroredStrategy``). Under JAX the four optimizers are
        shown to Keras's trainer as one (:class:`cyclesem.models.jax_steps.OptimizerGroup`).
        """
        super().compile(optimizer=None, jit_compile=jit_compile, run_eagerly=run_eagerly)
        self.network_optimizers = dict(optimizers)
        for name, network in self.networks.items():
            self.network_optimizers[name].build(network.trainable_variables)
        if keras.backend.backend() == "jax":
            from cyclesem.models.jax_steps import OptimizerGroup

            self.optimizer = OptimizerGroup(self.network_optimizers)

    def train_step(self, *args):
        """TensorFlow: ``tensorflow_train_step(data)``; JAX: the stateless ``(state, data)`` step."""
        if keras.backend.backend() == "jax":
            from cyclesem.models.jax_steps import train_step

            return train_step(self, *args)
        return self.tensorflow_train_step(*args)

    def call(self, inputs, training=False):
        """Blurry to clear: ``gen_blurry_to_clear`` on ``inputs["blurry"]`` (or on a tensor)."""
        blurry = inputs["blurry"] if isinstance(inputs, dict) else inputs
        return self.gen_blurry_to_clear(blurry, training=training)
