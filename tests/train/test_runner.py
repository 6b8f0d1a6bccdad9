"""Tests of the training runner (cyclesem.train.runner) with the CycleGAN task.

The runs use a very small generator and run the step eagerly: building the
step's graph costs more than the few steps these tests need.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import cv2
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cyclesem.train.cyclegan import CycleGanTask  # noqa: E402
from cyclesem.io.run_folder import prepare_run_folder, read_state  # noqa: E402
from cyclesem.train.runner import train  # noqa: E402

from tests.conftest import PROJECT_ROOT  # noqa: E402
from tests.helpers import checkpoint_arrays, micro_cyclegan_config  # noqa: E402


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)
    blurry = [rng.random((40, 48)).astype(np.float32) for _ in range(2)]
    clear = [rng.random((36, 52)).astype(np.float32) for _ in range(2)]
    return blurry, clear


def run(config, images, folder, **kwargs):
    return train(CycleGanTask(config, *images), folder, progress=False, log=lambda line: None, **kwargs)


@pytest.fixture(scope="module")
def runs(images, tmp_path_factory):
    """Four steps straight, and two steps resumed to four."""
    root = tmp_path_factory.mktemp("runs")
    straight = run(micro_cyclegan_config(4), images, prepare_run_folder(root / "straight"))
    resumed_dir = prepare_run_folder(root / "resumed")
    run(micro_cyclegan_config(2), images, resumed_dir)
    resumed = run(micro_cyclegan_config(4), images, resumed_dir, resume=True)
    return straight, resumed


def test_two_steps_then_resume_equals_four_steps_straight(runs):
    straight, resumed = runs
    assert straight.step == resumed.step == 4
    expected, actual = checkpoint_arrays(straight.run_dir, 4), checkpoint_arrays(resumed.run_dir, 4)
    assert expected.keys() == actual.keys()
    assert any(key.startswith("optimizer.disc_clear:") for key in expected)
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-4, atol=1e-5, err_msg=key)
    csv = [(Path(r.run_dir) / "losses.csv").read_text().splitlines() for r in runs]
    strip_seconds = [[line.split(",", 2)[::2] for line in lines] for lines in csv]
    assert len(csv[1]) == 5  # header + steps 1..4, none repeated
    assert strip_seconds[0][0] == strip_seconds[1][0]
    for a, b in zip(strip_seconds[0][1:], strip_seconds[1][1:]):
        np.testing.assert_allclose(np.array(b[1].split(","), float), np.array(a[1].split(","), float),
                                   rtol=1e-4, atol=1e-5)


def test_run_folder_holds_config_state_samples_and_safe_generator(runs):
    straight, _ = runs
    folder = straight.run_dir
    config = json.loads((folder / "config.json").read_text())
    assert config["kind"] == "cyclegan" and config["data"]["norm_low"] == 0.5
    state = read_state(folder)
    assert state["step"] == 4 and state["finished"] and state["kind"] == "cyclegan"
    assert sorted(p.name for p in (folder / "checkpoints").iterdir()) == ["step_000002.npz",
                                                                          "step_000004.npz"]
    sample = cv2.imread(str(folder / "samples" / "step_000004.png"), cv2.IMREAD_UNCHANGED)
    assert sample.shape == (4 * 32 + 3 * 2, 3 * 32 + 2 * 2)
    loaded = keras.saving.load_model(folder / "generator.keras", safe_mode=True)
    probe = np.random.default_rng(1).random((1, 37, 53, 1)).astype(np.float32)
    trained = straight.model.gen_blurry_to_clear(probe, training=False)
    np.testing.assert_allclose(np.asarray(loaded(probe)), np.asarray(trained), atol=1e-6)
    assert np.abs(np.asarray(loaded(probe)) - probe).max() > 0  # it has learned something


def test_ctrl_c_saves_a_checkpoint_first(images, tmp_path):
    class Interrupted(CycleGanTask):
        def sample_rows(self, model):
            raise KeyboardInterrupt

    folder = prepare_run_folder(tmp_path / "run")
    task = Interrupted(micro_cyclegan_config(3, sample_every=1), *images)
    with pytest.raises(KeyboardInterrupt):
        train(task, folder, progress=False, log=lambda line: None)
    assert read_state(folder)["step"] == 1 and not read_state(folder)["finished"]
    assert [p.name for p in (folder / "checkpoints").iterdir()] == ["step_000001.npz"]
    assert (folder / "generator.keras").is_file()
    assert not [p for p in folder.rglob(".*")]  # no temporary files left


_MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    from tests.helpers import micro_cyclegan_config
    from cyclesem.train.cyclegan import CycleGanTask
    from cyclesem.train.runner import train
    rng = np.random.default_rng(0)
    images = [rng.random((40, 40)).astype("float32") for _ in range(2)]
    strategy = tf.distribute.MirroredStrategy(["CPU:0", "CPU:1"])
    result = train(CycleGanTask(micro_cyclegan_config(1, batch=2), images, images[::-1]), sys.argv[1],
                   strategy=strategy, progress=False, log=lambda line: None)
    weights = result.model.gen_blurry_to_clear.get_layer("residual_conv").get_weights()[0]
    print(json.dumps({"step": result.step, "replicas": strategy.num_replicas_in_sync,
                      "moved": float(np.abs(weights).max())}))
""")


def test_one_step_under_mirrored_strategy_on_two_logical_cpus(tmp_path):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", _MIRRORED, str(tmp_path / "run")], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["step"] == 1 and report["replicas"] == 2
    assert report["moved"] > 0  # the zero-initialised last layer was updated
    losses = (tmp_path / "run" / "losses.csv").read_text().splitlines()
    assert len(losses) == 2 and "nan" not in losses[1]
