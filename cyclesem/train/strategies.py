"""Where a run's steps execute: one device, several under JAX, or a TensorFlow strategy.

:func:`choose_strategy` picks one for the machine; :func:`run_scope` is what the
whole run holds. TensorFlow strategies (``MirroredStrategy`` over several GPUs, the
default one otherwise) come from TensorFlow itself; :class:`SingleDevice` and
:class:`DataParallel` (``keras.distribution.DataParallel``) serve the other backends.
"""

from __future__ import annotations

import contextlib

from cyclesem.backend import keras_backend, require_keras, require_tensorflow

__all__ = ["DataParallel", "SingleDevice", "choose_strategy", "run_scope"]


class SingleDevice:
    """The strategy of backends other than TensorFlow on one device: no replicas to divide by."""

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()


class DataParallel:
    """Several devices under a backend other than TensorFlow (JAX): ``keras.distribution.DataParallel``.

    Every variable is replicated on each device and every batch is split
    along its first axis, ``batch / len(devices)`` examples per device. The
    step is one program over the whole batch (``jax.jit`` partitions it), so
    its means are over the whole batch and no loss is divided by the replicas.
    :func:`train` holds :meth:`scope` for the whole run (building, restoring,
    ``fit()``, exports): the variables are laid out when they are created
    and the batches when ``fit()`` reads them.

    Parameters
    ----------
    devices : sequence of str
        Device names as ``keras.distribution.list_devices()`` gives them (``"gpu:0"``, ...).
    """

    def __init__(self, devices):
        keras = require_keras()
        self.devices = tuple(devices)
        self.num_replicas_in_sync = len(self.devices)
        self.distribution = keras.distribution.DataParallel(devices=list(self.devices))

    def scope(self):
        """The context in which the distribution is Keras's global one."""
        return self.distribution.scope()


def choose_strategy():
    """``MirroredStrategy`` over all GPUs when there are several, else the default strategy.

    Under a Keras backend other than TensorFlow: :class:`DataParallel` over
    every device of the backend's default kind when there are several, else
    :class:`SingleDevice`.
    """
    if keras_backend() != "tensorflow":
        devices = require_keras().distribution.list_devices()
        return DataParallel(devices) if len(devices) > 1 else SingleDevice()
    tf = require_tensorflow()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy([gpu.name for gpu in gpus])
    return tf.distribute.get_strategy()


def run_scope(strategy):
    """What the whole run holds: a :class:`DataParallel`'s scope (``fit()`` lays out the batches by it).

    Nothing for a TensorFlow strategy, whose scope holds only the building of
    the model (its mirrored variables are read outside it).
    """
    return strategy.scope() if isinstance(strategy, DataParallel) else contextlib.nullcontext()
