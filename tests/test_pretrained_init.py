"""Tests for cyclesem.pretrained.init: `cyclesem train --init NAME|RUN` starts from trained weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from test_cli_train import one_line_error  # noqa: E402 - the tests folder is on sys.path
from test_cli_train_paired import invoke, pair_folders  # noqa: E402, F401 - pair_folders is a fixture
from test_supervised_task import micro_config as paired_config  # noqa: E402
from test_supervised_task import pairs  # noqa: E402, F401 - a fixture
from test_training import images  # noqa: E402, F401 - a fixture
from test_training import micro_config as cyclegan_config  # noqa: E402

from cyclesem.errors import CyclesemError  # noqa: E402
from cyclesem.models.cyclegan import CycleGanTask  # noqa: E402
from cyclesem.pretrained import model_dir  # noqa: E402
from cyclesem.pretrained.init import INIT_FILE, InitialisedTask, init_defaults  # noqa: E402
from cyclesem.runs import load_run  # noqa: E402
from cyclesem.supervised_task import SupervisedTask  # noqa: E402
from cyclesem.training import prepare_run_folder, train  # noqa: E402

PROBE = np.random.default_rng(1).random((1, 32, 32, 1)).astype(np.float32)


def _trained(task, folder):
    train(task, folder, progress=False, log=lambda line: None)
    return folder


def _outputs(network):
    return keras.ops.convert_to_numpy(network(PROBE, training=False))


@pytest.fixture(scope="module")
def paired_source(tmp_path_factory, pairs):  # noqa: F811
    return _trained(SupervisedTask(paired_config(1), *pairs), tmp_path_factory.mktemp("init") / "paired")


def _initialised(task, source, folder):
    prepare_run_folder(folder)
    return InitialisedTask(task, source, folder)


def test_a_paired_run_starts_with_the_source_network(paired_source, pairs, tmp_path):  # noqa: F811
    fresh = SupervisedTask(paired_config(1, seed=11), *pairs)
    assert not np.allclose(_outputs(fresh.build_model().network), _outputs(load_run(paired_source).network))
    task = _initialised(SupervisedTask(paired_config(1, seed=11), *pairs), paired_source, tmp_path / "run")
    model = task.build_model()
    np.testing.assert_allclose(_outputs(model.network), _outputs(load_run(paired_source).network), atol=1e-6)
    record = json.loads((tmp_path / "run" / INIT_FILE).read_text())
    assert record["init"] == str(paired_source) and record["kind"] == "midnet"


def test_a_cyclegan_starts_with_the_source_as_its_blurry_to_clear_generator(images, tmp_path):  # noqa: F811
    source = _trained(CycleGanTask(cyclegan_config(1), *images), tmp_path / "source")
    task = _initialised(CycleGanTask(cyclegan_config(1, seed=9), *images), source, tmp_path / "run")
    model = task.build_model()
    np.testing.assert_allclose(_outputs(model.gen_blurry_to_clear), _outputs(load_run(source).network), atol=1e-6)


def test_a_different_network_is_refused_in_one_line(paired_source, images, tmp_path):  # noqa: F811
    task = _initialised(CycleGanTask(cyclegan_config(1), *images), paired_source, tmp_path / "run")
    with pytest.raises(CyclesemError, match="cannot start from .*paired: its network"):
        task.build_model()


def test_init_defaults_give_paired_runs_the_source_sizes(paired_source):
    defaults = init_defaults(paired_source, "nafnet")
    assert defaults["kind"] == "midnet" and defaults["model"]["width"] == 4
    assert init_defaults(paired_source, "cyclegan") == {}


def test_train_init_from_a_packaged_model(pair_folders, tmp_path):  # noqa: F811
    out = tmp_path / "run"
    result = invoke("train", "--paired", "--blurry", pair_folders[0], "--sharp", pair_folders[1], "--out", out,
                    "--init", "sem-denoise", "--preset", "tiny", "--crop", 32, "--batch", 2, "--steps", 1,
                    "--set", "runtime.eager=true", "--set", "train.validation_crops=2")
    assert result.exit_code == 0, result.output
    source = json.loads((model_dir("sem-denoise") / "config.json").read_text())
    assert json.loads((out / "config.json").read_text())["model"] == source["model"]
    assert json.loads((out / INIT_FILE).read_text())["init"] == "sem-denoise"
    one_line_error(invoke("train", "--resume", out, "--init", "sem-denoise"), "--resume takes only --steps")
    one_line_error(invoke("train", "--paired", "--blurry", pair_folders[0], "--sharp", pair_folders[1],
                          "--out", tmp_path / "r2", "--init", "sem-nope"), "unknown model 'sem-nope'", "sem-deblur")
