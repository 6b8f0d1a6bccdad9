"""Supervised training of a restoration network on (blurry, sharp) pairs.

:class:`SupervisedRestoration` wraps one network (for example
:func:`cyclesem.nets.midnet.build_midnet`) with MIDNet's three-term loss
(:func:`cyclesem.models.losses.restoration_loss_terms`), so ``compile(optimizer=...)`` then ``fit()``
and ``evaluate()`` work with callbacks and progress bars unchanged. The loss
and metrics are ``keras.ops`` in :meth:`~SupervisedRestoration.compute_loss`:
under JAX (and any backend but TensorFlow) Keras's own train and test steps
run it, so nothing here is JAX-specific; under TensorFlow the steps below keep
the gradient tape and divide the loss by the replicas of a ``MirroredStrategy``.

Training reports ``l1``, ``edge``, ``fft`` and ``total``; evaluation adds
``psnr`` and ``ssim`` of the prediction against the sharp image (``max_val``
is the images' data range, 1 for normalised images).
"""

from __future__ import annotations

import keras
from keras import ops

from cyclesem.backend import require_tensorflow
from cyclesem.config.supervised import RestorationLossWeights
from cyclesem.models.losses import restoration_loss_terms

__all__ = ["StepCountedRestoration", "SupervisedRestoration", "mean_scores", "psnr_per_image"]

_TRAIN_METRICS = ("l1", "edge", "fft", "total")
_TEST_METRICS = (*_TRAIN_METRICS, "psnr", "ssim")


def psnr_per_image(predicted, target, max_val: float = 1.0):
    """PSNR in dB of each image of a batch, shape (batch,).

    A perfect prediction gives a large finite value (the error is floored at 1e-12).
    """
    error = ops.square(ops.cast(predicted, "float32") - ops.cast(target, "float32"))
    mse = ops.maximum(ops.mean(error, axis=(1, 2, 3)), 1e-12)
    return 10.0 * ops.log10(max_val**2 / mse)


def _batch_scores(predicted, target, max_val: float) -> dict:
    """Mean PSNR (dB) and SSIM over the images of a batch, as scalar tensors, in float32."""
    predicted, target = ops.cast(predicted, "float32"), ops.cast(target, "float32")
    return {"psnr": ops.mean(psnr_per_image(predicted, target, max_val)),
            "ssim": ops.mean(ops.image.ssim(predicted, target, max_val=max_val))}


def mean_scores(predicted, target, max_val: float = 1.0) -> dict:
    """Mean PSNR (dB) and SSIM over the images of a batch, as floats: ``{"psnr", "ssim"}``."""
    return {name: float(value) for name, value in _batch_scores(predicted, target, max_val).items()}


@keras.saving.register_keras_serializable(package="cyclesem")
class SupervisedRestoration(keras.Model):
    """A restoration network trained with L1 + edge + FFT losses.

    Parameters
    ----------
    network : keras.Model
        Maps blurry images (batch, height, width, 1) to sharp ones.
    restoration_weights : RestorationLossWeights
        Weights of the three loss terms.
    max_val : float
        Data range of the images, for PSNR and SSIM.
    """

    def __init__(
        self,
        network: keras.Model,
        restoration_weights: RestorationLossWeights = RestorationLossWeights(),
        max_val: float = 1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.network = network
        self.restoration_weights = restoration_weights
        self.max_val = float(max_val)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in _TEST_METRICS}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, inputs, training=None):
        return self.network(inputs, training=training)

    def _tensorflow(self) -> bool:
        return keras.backend.backend() == "tensorflow"

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss; records the terms (and PSNR, SSIM when not training) in the trackers.

        Keras's own train and test steps (every backend but TensorFlow) call it.
        """
        terms = self._terms(y_pred, y, training)
        object.__setattr__(self, "_reported", _TRAIN_METRICS if training else _TEST_METRICS)  # read at trace time
        self._record(terms, self._reported)
        return terms["total"]

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """The trackers' values that :meth:`compute_loss` recorded in this step."""
        return {name: self.trackers[name].result() for name in getattr(self, "_reported", _TRAIN_METRICS)}

    def _terms(self, predicted, sharp, training: bool) -> dict:
        terms = restoration_loss_terms(predicted, sharp, self.restoration_weights)
        if not training:
            terms.update(_batch_scores(predicted, sharp, self.max_val))
        return terms

    def train_step(self, *args):
        if not self._tensorflow():
            return super().train_step(*args)
        tf = require_tensorflow()
        blurry, sharp = args[0][0], args[0][1]
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            predicted = self.network(blurry, training=True)
            terms = restoration_loss_terms(predicted, sharp, self.restoration_weights)
            scaled = self.optimizer.scale_loss(terms["total"] / replicas)
        variables = self.network.trainable_variables
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(gradients, variables))
        return self._record(terms, _TRAIN_METRICS)

    def test_step(self, *args):
        if not self._tensorflow():
            return super().test_step(*args)
        blurry, sharp = args[0][0], args[0][1]
        predicted = self.network(blurry, training=False)
        return self._record(self._terms(predicted, sharp, training=False), _TEST_METRICS)

    def _record(self, terms: dict, names) -> dict:
        for name in names:
            self.trackers[name].update_state(terms[name])
        return {name: self.trackers[name].result() for name in names}

    def get_config(self):
        return {
            **super().get_config(),
            "network": keras.saving.serialize_keras_object(self.network),
            "restoration_weights": vars(self.restoration_weights),
            "max_val": self.max_val,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        network = keras.saving.deserialize_keras_object(config.pop("network"))
        weights = RestorationLossWeights(**config.pop("restoration_weights"))
        return cls(network, weights, **config)


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

    def train_step(self, *args):
        if not self._tensorflow():
            return super().train_step(*args)  # compute_loss resets, records and counts
        for tracker in self.metrics:
            tracker.reset_state()
        logs = super().train_step(*args)
        self.completed_steps.assign_add(1)
        return logs

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if training and not self._tensorflow():
            for tracker in self.metrics:
                tracker.reset_state()
            self.completed_steps.assign_add(1)
        return super().compute_loss(x, y, y_pred, sample_weight, training)
