"""Training under ``KERAS_BACKEND=jax`` (a subprocess with TensorFlow hidden), and its run folders under TensorFlow.

:mod:`tests.train.jax_smoke` trains the physically constrained CycleGAN (4
steps straight, 2 + 2 resumed) and the supervised MIDNet (2 + 2) under JAX;
this process (TensorFlow) checks resume equality, that nothing imported
TensorFlow there, that the JAX-trained ``generator.keras`` loads and enhances
here, and that the JAX run resumes under TensorFlow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jax")
keras = pytest.importorskip("keras")

from tests.train.test_runner import _arrays  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-m", "tests.train.jax_smoke", str(root)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    return root, done.stdout


def test_nothing_imports_tensorflow_under_jax(jax_runs):
    assert "no tensorflow" in jax_runs[1]


def test_two_plus_two_steps_equal_four_under_jax(jax_runs):
    root = jax_runs[0]
    expected, actual = _arrays(root / "physical_straight", 4), _arrays(root / "physical_resumed", 4)
    assert expected.keys() == actual.keys()
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_state_records_the_backend(jax_runs):
    for run in ("physical_resumed", "midnet"):
        state = json.loads((jax_runs[0] / run / "state.json").read_text())
        assert (state["step"], state["backend"], state["finished"]) == (4, "jax", True)


def test_jax_trained_generator_enhances_under_tensorflow(jax_runs):
    from cyclesem.train.run_folder import MODEL_FILE

    probe = np.random.default_rng(1).random((1, 40, 48, 1)).astype(np.float32)
    for run in ("physical_straight", "midnet"):
        network = keras.saving.load_model(jax_runs[0] / run / MODEL_FILE)
        output = np.asarray(network(probe))
        assert output.shape == probe.shape and np.isfinite(output).all()
        assert not np.allclose(output, probe)  # trained weights, not a fresh identity


def test_jax_run_resumes_under_tensorflow(jax_runs):
    from cyclesem.train.runner import train
    from cyclesem.train.cyclegan import cyclegan_task
    from tests.train.jax_smoke import physical_config, unpaired_images

    if keras.backend.backend() != "tensorflow":
        pytest.skip("checks the TensorFlow side")
    lines = []
    result = train(cyclegan_task(physical_config(5), *unpaired_images()), jax_runs[0] / "physical_resumed",
                   resume=True, progress=False, log=lines.append)
    assert result.step == 5 and any("trained under jax" in line for line in lines)
    state = json.loads((jax_runs[0] / "physical_resumed" / "state.json").read_text())
    assert state["backend"] == "tensorflow"
