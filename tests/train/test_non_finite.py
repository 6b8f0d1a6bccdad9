"""Training stops on a non-finite loss, keeping the last good checkpoint (issue 17, case 3)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cyclesem.config.common import TrainSettings
from cyclesem.errors import CyclesemError
from cyclesem.io.run_folder import latest_checkpoint
from cyclesem.train.runner import _earlier_seconds, train

NAN_AT = 5  # the step (1-based) whose batch holds NaN


class TinyTask:
    """A one-weight regression whose data turn to NaN at step ``NAN_AT``."""

    kind = "tiny"
    progress_keys = ["loss"]

    def __init__(self):
        self.settings = TrainSettings(steps=8, crop=32, batch=1, checkpoint_every=2, sample_every=100, log_every=1)

    def config_dict(self) -> dict:
        return {"kind": self.kind}

    def build_model(self):
        import keras

        model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        model.optimizer.build(model.trainable_variables)
        return model

    def optimizers(self, model) -> dict:
        return {"optimizer": model.optimizer}

    def completed_steps(self, model) -> int:
        return int(model.optimizer.iterations.numpy())

    def dataset(self, start_step: int):
        import tensorflow as tf

        x = np.ones((self.settings.steps, 1, 1), np.float32)
        x[NAN_AT - 1] = np.nan
        return tf.data.Dataset.from_tensor_slices((x[start_step:], x[start_step:]))

    def export_model(self, model):
        return model

    def sample_rows(self, model) -> list:
        return [[np.zeros((4, 4), np.float32)]]


def test_a_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path):
    with pytest.raises(CyclesemError, match=f"stopped at step {NAN_AT}: non-finite loss") as caught:
        train(TinyTask(), tmp_path / "run", progress=False, log=lambda line: None)
    assert "\n" not in str(caught.value) and "step_000004" in str(caught.value)
    checkpoint = latest_checkpoint(tmp_path / "run")
    assert checkpoint.name.startswith("step_000004")
    with np.load(checkpoint) as saved:
        assert all(np.isfinite(saved[key]).all() for key in saved.files if saved[key].dtype.kind == "f")
    losses = (tmp_path / "run" / "losses.csv").read_text().splitlines()
    assert len(losses) == 1 + NAN_AT - 1 and "nan" not in "".join(losses).lower()
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["step"] == 4 and not state["finished"]


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -3.0, "x", None])
def test_damaged_seconds_in_state_count_as_zero(seconds):
    assert _earlier_seconds({"seconds": seconds}) == 0.0
    assert _earlier_seconds({"seconds": 12.5}) == 12.5
