"""Training under ``KERAS_BACKEND=jax`` (a subprocess with TensorFlow hidden), and its run folders under TensorFlow.

:mod:`tests.train.jax_smoke` trains the physically constrained CycleGAN and the
supervised MIDNet 4 steps straight and 2 + 2 resumed under JAX, on two host
devices (data parallel), builds a mixed-precision MIDNet, enhances with the
result and asks for the paper's CycleGAN; this process (TensorFlow) checks
resume equality, that each batch was split over the two devices, the bfloat16
policy, that nothing imported TensorFlow there, that the JAX-trained
``generator.keras`` loads in safe mode and enhances here, and that a JAX run
resumes under TensorFlow.

The subprocess compiles each step with XLA once (a persistent compilation
cache in the test's folder serves the resumed runs) at XLA's lowest
optimisation level, which compiles several times faster on a CPU.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.helpers import checkpoint_arrays  # noqa: E402

if importlib.util.find_spec("jax") is None:
    pytest.skip("jax is not installed (pip install 'cyclesem[jax]')", allow_module_level=True)
keras = pytest.importorskip("keras")


ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true "
                        "--xla_force_host_platform_device_count=2",
           "JAX_COMPILATION_CACHE_DIR": str(root / "xla_cache"),
           "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0", "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1"}
    done = subprocess.run([sys.executable, "-W", "ignore::UserWarning", "-m", "tests.train.jax_smoke", str(root)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    return root, done.stdout


def test_nothing_imports_tensorflow_under_jax(jax_runs):
    assert "no tensorflow" in jax_runs[1].splitlines()


@pytest.mark.parametrize("kind", ["physical", "midnet"])
def test_two_plus_two_steps_equal_four_under_jax(jax_runs, kind):
    """The CycleGAN continued from a 2-step run, the MIDNet stopped by Ctrl-C at step 2, both on two devices."""
    root = jax_runs[0]
    expected, actual = checkpoint_arrays(root / f"{kind}_straight", 4), checkpoint_arrays(root / f"{kind}_resumed", 4)
    assert expected.keys() == actual.keys()
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_every_run_splits_each_batch_over_two_devices(jax_runs):
    lines = jax_runs[1].splitlines()
    assert lines.count("Training on 2 devices, 2 of each batch of 4 on each") == 3  # the CycleGAN runs
    assert lines.count("Training on 2 devices, 1 of each batch of 2 on each") == 3  # the MIDNet runs
    assert "INTERRUPTED" in lines
    layouts = {tuple(line.split()[1:]) for line in lines if line.startswith("BATCH ")}
    assert ("4,32,32,1", "2,32,32,1", "2") in layouts  # CycleGAN crops
    assert ("2,32,32,1", "1,32,32,1", "2") in layouts  # MIDNet crops, and its validation batches
    for shape, shard, devices in layouts:  # every array of every batch: half of its examples on each device
        (size, *rest), (half, *same) = (list(map(int, text.split(","))) for text in (shape, shard))
        assert (devices, half * 2, same) == ("2", size, rest), (shape, shard, devices)


def test_mixed_precision_is_bfloat16_under_jax(jax_runs):
    mixed = [line.split()[1:] for line in jax_runs[1].splitlines() if line.startswith("MIXED ")]
    # first layer, last layer, output, optimizer (no loss scaling), global policy afterwards
    assert mixed == [["bfloat16", "float32", "float32", "Adam", "float32"]]


def test_state_records_the_backend(jax_runs):
    for run in ("physical_resumed", "midnet_resumed"):
        state = json.loads((jax_runs[0] / run / "state.json").read_text())
        assert (state["step"], state["backend"], state["finished"]) == (4, "jax", True)


def test_enhances_under_jax_and_the_paper_cyclegan_refuses_in_one_line(jax_runs):
    lines = jax_runs[1].splitlines()
    assert "ENHANCED True" in lines
    refused = [line for line in lines if line.startswith("REFUSED ")]
    assert len(refused) == 1 and "TensorFlow only" in refused[0]


def test_jax_trained_networks_enhance_under_tensorflow(jax_runs):
    from cyclesem.restore.runs import load_run

    image = np.random.default_rng(1).random((40, 48)).astype(np.float32)
    for run in ("physical_straight", "midnet_resumed"):
        loaded = load_run(jax_runs[0] / run)  # safe mode, as for any user's file
        restored = loaded.enhance(image)
        assert restored.shape == image.shape and np.isfinite(restored).all()
        assert not np.allclose(restored, image, atol=1e-4)  # trained weights, not a fresh identity


def test_jax_run_resumes_under_tensorflow(jax_runs):
    from cyclesem.train.tasks import cyclegan_task
    from cyclesem.train.runner import train
    from tests.train.jax_smoke import physical_config, unpaired_images

    if keras.backend.backend() != "tensorflow":
        pytest.skip("checks the TensorFlow side")
    lines = []
    result = train(cyclegan_task(physical_config(5), *unpaired_images()), jax_runs[0] / "physical_resumed",
                   resume=True, progress=False, log=lines.append)
    assert result.step == 5 and any("trained under jax" in line for line in lines)
    state = json.loads((jax_runs[0] / "physical_resumed" / "state.json").read_text())
    assert state["backend"] == "tensorflow"
