"""The JAX train step of models with one optimizer per network (the one JAX-specific place).

Under ``KERAS_BACKEND=jax``, ``fit()`` calls ``train_step(state, data)`` with
the model's whole state as arrays, ``(trainable, non_trainable, optimizer,
metrics)``, and expects the new state back (keras.io: "Customizing what
happens in fit() with JAX"). Keras's own step knows one optimizer; a
CycleGAN has four. :class:`OptimizerGroup` shows them to the trainer as one
(their variables, concatenated, are the state's optimizer part), and
:func:`train_step` does what the TensorFlow step does with a persistent
``GradientTape``: one forward pass computing every loss (a pure function of
the state, run in a ``keras.StatelessScope``), then for each network the
gradient of its own loss with respect to its own weights (one ``jax.vjp``
pullback each) and its optimizer's ``stateless_apply``.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["OptimizerGroup", "train_step"]


class OptimizerGroup:
    """Several optimizers shown to Keras's JAX trainer as one ``model.optimizer``.

    Only what the trainer reads is provided: ``variables`` (each optimizer's,
    in order) and ``built``. :func:`train_step` applies the gradients.
    """

    def __init__(self, optimizers: dict):
        self.optimizers = dict(optimizers)
        self.built = True

    @property
    def variables(self) -> list:
        """Every optimizer's variables, in the order of the networks."""
        return [variable for optimizer in self.optimizers.values() for variable in optimizer.variables]

    def scale_loss(self, loss):
        """No loss scaling (float32 training)."""
        return loss


def _positions(variables: list, wanted: list) -> list[int]:
    index = {id(variable): position for position, variable in enumerate(variables)}
    return [index[id(variable)] for variable in wanted]


def _losses(model, data) -> dict:
    """Every loss of the step; counts the step (``completed_steps``) as the TensorFlow step does."""
    step = ops.cast(data["step"][0], model.completed_steps.dtype)
    terms = model.losses_of(data, step)
    model.completed_steps.assign(step + 1)
    return terms


def train_step(model, state, data):
    """One stateless training step of ``model``, each network descending its own loss.

    Parameters
    ----------
    model : cyclesem.models.four_networks.FourNetworks
        With ``networks``, ``optimizer`` an :class:`OptimizerGroup` of one
        optimizer per network, ``owners`` (network name -> loss name),
        ``logged_losses``, ``losses_of(data, step)``, ``completed_steps`` and
        ``idle_networks()`` (networks whose loss is a constant this run: their
        optimizer is not stepped, as TensorFlow skips ``None`` gradients).
    state : tuple
        ``(trainable, non_trainable, optimizer, metrics)`` values from the trainer.
    data : dict
        The batch.

    Returns
    -------
    tuple
        ``(logs, new_state)``.
    """
    import jax
    import jax.numpy as jnp

    trainable, non_trainable, optimizer_values, metrics = state
    trainable_vars, non_trainable_vars = model.trainable_variables, model.non_trainable_variables

    def forward(trainable_values):
        mapping = list(zip(trainable_vars, trainable_values)) + list(zip(non_trainable_vars, non_trainable))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            terms = _losses(model, data)
        updated = [scope.get_current_value(v) for v in non_trainable_vars]
        return terms, [old if new is None else new for old, new in zip(non_trainable, updated)]

    terms, pullback, non_trainable = jax.vjp(forward, list(trainable), has_aux=True)
    zeros = {name: jnp.zeros_like(value) for name, value in terms.items()}
    trainable, new_optimizer_values, start, idle = list(trainable), [], 0, model.idle_networks()
    for name, optimizer in model.optimizer.optimizers.items():
        count = len(optimizer.variables)
        own_state = list(optimizer_values[start:start + count])
        start += count
        if name not in idle:
            owner = model.owners[name]
            positions = _positions(trainable_vars, model.networks[name].trainable_variables)
            (gradients,) = pullback({**zeros, owner: jnp.ones_like(terms[owner])})
            weights, own_state = optimizer.stateless_apply(
                own_state, [gradients[p] for p in positions], [trainable[p] for p in positions])
            for position, weight in zip(positions, weights):
                trainable[position] = weight
        new_optimizer_values += list(own_state)
    logs = {name: terms[name] for name in model.logged_losses}
    return logs, (trainable, non_trainable, new_optimizer_values, metrics)
