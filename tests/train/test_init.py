"""Tests of cyclesem.train.init: a new run starts from a run's or a packaged model's weights (`train --init`)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cyclesem.config.cyclegan import resolve_cyclegan_config  # noqa: E402
from cyclesem.errors import CyclesemError  # noqa: E402
from cyclesem.restore.runs import load_run  # noqa: E402
from cyclesem.train.tasks import cyclegan_task  # noqa: E402
from cyclesem.train.init import InitialisedTask, init_settings  # noqa: E402
from cyclesem.io.run_folder import prepare_run_folder  # noqa: E402
from cyclesem.train.supervised import SupervisedTask  # noqa: E402
from tests.helpers import images, micro_supervised_config, pairs, train_supervised  # noqa: E402, F401 - images and pairs are fixtures

PHYSICAL = ("model.discriminator.width=4", "model.physical.psf_radius=6", "runtime.eager=true",
            "data.norm_range=[0.0, 1.0]")
PROBE = np.random.default_rng(1).random((1, 32, 32, 1)).astype(np.float32)


def outputs(network):
    return keras.ops.convert_to_numpy(network(PROBE, training=False))


@pytest.fixture(scope="module")
def source(pairs, tmp_path_factory):  # noqa: F811
    """A micro MIDNet run of one step."""
    return train_supervised(micro_supervised_config(1), pairs, prepare_run_folder(tmp_path_factory.mktemp("init") / "source")).run_dir


def test_a_paired_run_starts_with_the_source_network(source, pairs):  # noqa: F811
    expected = outputs(load_run(source).network)
    fresh = SupervisedTask(micro_supervised_config(1, seed=11), *pairs)
    assert not np.allclose(outputs(fresh.build_model().network), expected)
    model = InitialisedTask(SupervisedTask(micro_supervised_config(1, seed=11), *pairs), source).build_model()
    np.testing.assert_allclose(outputs(model.network), expected, atol=1e-6)


def test_a_physical_cyclegan_takes_a_midnet_as_its_restorer(source, images):  # noqa: F811
    recorded, settings = init_settings(source, "cyclegan")
    assert recorded == str(source.resolve()) and settings["model"]["restorer"] == "midnet"
    config = resolve_cyclegan_config("tiny", settings, PHYSICAL,
                                     {"train": {"crop": 32, "batch": 4, "init": recorded}})
    model = InitialisedTask(cyclegan_task(config, *images), config.train.init).build_model()
    np.testing.assert_allclose(outputs(model.gen_blurry_to_clear), outputs(load_run(source).network), atol=1e-6)


def test_another_architecture_is_refused_in_one_line_before_training(source, pairs):  # noqa: F811
    wider = SupervisedTask(micro_supervised_config(1, "midnet", "model.width=8"), *pairs)
    with pytest.raises(CyclesemError, match=r"--init .*source: its network \(\d+ weight arrays") as caught:
        InitialisedTask(wider, source)
    assert "\n" not in str(caught.value)
    with pytest.raises(CyclesemError, match="its network"):
        InitialisedTask(SupervisedTask(micro_supervised_config(1, "nafnet"), *pairs), source)


def test_settings_give_paired_runs_the_source_kind_and_sizes(source):
    recorded, settings = init_settings("sem-deblur", "nafnet")
    assert recorded == "sem-deblur" and settings["kind"] == "midnet" and settings["model"]["width"] == 16
    _, settings = init_settings(source, "midnet")
    assert settings["model"]["width"] == 4 and settings["model"]["enc_blocks"] == [1]
    with pytest.raises(CyclesemError, match="unknown model 'sem-nope'; packaged models: sem-deblur"):
        init_settings("sem-nope", "midnet")
