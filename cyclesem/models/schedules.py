"""Learning-rate schedules of the CycleGANs (``keras.ops``: every backend)."""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["ConstantThenLinearDecay"]


@keras.saving.register_keras_serializable(package="cyclesem")
class ConstantThenLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """A constant learning rate until ``decay_start`` steps, then linear decay to zero at ``total_steps``.

    The rate is a function of the optimizer's step counter only, so a restored
    optimizer resumes the schedule where it stopped.
    """

    def __init__(self, learning_rate: float, total_steps: int, decay_start: int):
        self.learning_rate = float(learning_rate)
        self.total_steps = int(total_steps)
        self.decay_start = int(decay_start)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        span = float(max(self.total_steps - self.decay_start, 1))
        progress = ops.clip((step - self.decay_start) / span, 0.0, 1.0)
        return self.learning_rate * (1.0 - progress)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "total_steps": self.total_steps,
                "decay_start": self.decay_start}
