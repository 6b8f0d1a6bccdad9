"""Tests of the physically constrained CycleGAN's training (cyclesem.train.physical) through the runner.

Tiny restorer (MIDNet, width 4), crops of 32 px, a PSF radius of 6 px, eager
steps: a few steps show resume, the run folder and the fitted degradation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cyclesem.config.cyclegan import resolve_cyclegan_config  # noqa: E402
from cyclesem.nets.degradation import PARAMETERS  # noqa: E402
from cyclesem.train.cyclegan import CycleGanTask  # noqa: E402
from cyclesem.train.tasks import cyclegan_task  # noqa: E402
from cyclesem.train.physical import PhysicalCycleGanTask  # noqa: E402
from cyclesem.io.run_folder import prepare_run_folder, read_estimated_psf, read_state  # noqa: E402
from cyclesem.train.runner import train  # noqa: E402
from tests.helpers import images  # noqa: E402, F401 - a fixture

MICRO = ("model.midnet.width=4", "model.discriminator.width=4", "model.physical.psf_radius=6",
         "model.physical.warmup=0.3", "runtime.eager=true", "data.norm_range=[0.0, 1.0]")


def micro_config(steps, *overrides):
    options = {"train": {"steps": steps, "crop": 32, "batch": 4, "seed": 5, "checkpoint_every": 2,
                         "sample_every": 100, "log_every": 1}}
    return resolve_cyclegan_config("tiny", overrides=MICRO + overrides, options=options)


def run(config, images, folder, **kwargs):
    return train(cyclegan_task(config, *images), folder, progress=False, log=lambda line: None, **kwargs)


@pytest.fixture(scope="module")
def runs(images, tmp_path_factory):
    """Four steps straight, and two steps resumed to four (warm-up: 1 step in both, round(0.3 * steps))."""
    root = tmp_path_factory.mktemp("physical")
    straight = run(micro_config(4), images, prepare_run_folder(root / "straight"))
    resumed_dir = prepare_run_folder(root / "resumed")
    run(micro_config(2), images, resumed_dir)
    resumed = run(micro_config(4), images, resumed_dir, resume=True)
    return straight, resumed


def test_a_self_ensemble_midnet_restorer_is_exported_over_flips(images):
    from cyclesem.nets.ensemble import flip_ensemble

    task = cyclegan_task(micro_config(1, "model.restorer=midnet", "model.midnet.self_ensemble=true"), *images)
    plain = cyclegan_task(micro_config(1, "model.restorer=midnet"), *images)
    model = task.build_model()
    exported, single = task.export_model(model), plain.export_model(model)
    image = np.random.default_rng(4).random((1, 24, 40, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(exported(image)), np.asarray(flip_ensemble(single)(image)), atol=1e-6)


def test_new_runs_are_physical_and_the_paper_cyclegan_stays_available():
    assert isinstance(cyclegan_task(micro_config(1), [np.zeros((40, 40), np.float32)],
                                    [np.zeros((40, 40), np.float32)]), PhysicalCycleGanTask)
    config = micro_config(1, "model.degradation=unet", "model.restorer=unet")
    assert isinstance(cyclegan_task(config, [np.zeros((40, 40), np.float32)],
                                    [np.zeros((40, 40), np.float32)]), CycleGanTask)


def test_two_steps_then_resume_equals_four_steps_straight(runs):
    straight, resumed = runs
    for run_result in runs:
        assert run_result.step == 4
    with np.load(Path(straight.run_dir) / "checkpoints" / "step_000004.npz") as a, \
            np.load(Path(resumed.run_dir) / "checkpoints" / "step_000004.npz") as b:
        assert a.files == b.files and any(k.startswith("optimizer.gen_clear_to_blurry") for k in a.files)
        for key in a.files:
            np.testing.assert_allclose(b[key], a[key], rtol=1e-4, atol=1e-5, err_msg=key)


def test_the_run_folder_holds_a_safe_restorer_and_the_fitted_degradation(runs):
    straight, _ = runs
    folder = Path(straight.run_dir)
    config = json.loads((folder / "config.json").read_text())
    assert config["model"]["degradation"] == "physical" and config["data"]["normalization"] == "shared"
    assert read_state(folder)["finished"]
    fitted = json.loads((folder / "degradation.json").read_text())
    layer = straight.model.gen_clear_to_blurry.get_layer("degradation")
    np.testing.assert_allclose(fitted["means"], layer.means.numpy(), rtol=1e-6)
    assert set(fitted) >= {"psf", "psf_spread", "veil", "intensity", "noise"}
    psf, sigma = read_estimated_psf(folder)
    assert psf.sum() == pytest.approx(1.0, abs=1e-5) and sigma > 0
    loaded = keras.saving.load_model(folder / "generator.keras", safe_mode=True)
    probe = np.random.default_rng(1).random((1, 37, 53, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(probe)),
                               np.asarray(straight.model.gen_blurry_to_clear(probe, training=False)), atol=1e-5)
    losses = (folder / "losses.csv").read_text().splitlines()
    assert "spectral" in losses[0] and "intensity" in losses[0] and len(losses) == 5


def test_the_restorer_learns_nothing_during_the_warm_up(images, tmp_path):
    """Step 1 of 4 is the warm-up: the restorer's weights stay as built, the degradation moves."""
    task = cyclegan_task(micro_config(4), *images)
    model = task.build_model()
    restorer_before = [w.copy() for w in model.gen_blurry_to_clear.get_weights()]
    degradation_before = model.gen_clear_to_blurry.get_weights()[0].copy()
    model.fit(task.dataset(0).take(1), epochs=1, steps_per_epoch=1, verbose=0)
    for before, after in zip(restorer_before, model.gen_blurry_to_clear.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert np.abs(model.gen_clear_to_blurry.get_weights()[0] - degradation_before).max() > 0


def _model_with_gain_and_offset(images, *overrides):
    """A model whose degradation has gain 0.8 and offset 0.05 for every image, and one batch."""
    task = cyclegan_task(micro_config(4, "model.physical.fit_intensity=true", "physical_loss.intensity=1",
                                      *overrides), *images)
    model = task.build_model()
    layer = model.gen_clear_to_blurry.get_layer("degradation")
    means, spreads = layer.means.numpy(), layer.spreads.numpy()
    for name, value in (("log_gain", np.log(0.8)), ("offset", 0.05)):
        means[PARAMETERS.index(name)], spreads[PARAMETERS.index(name)] = value, -30.0  # no spread over images
    layer.means.assign(means)
    layer.spreads.assign(spreads)
    return model, next(iter(task.dataset(0).take(1)))


def test_with_the_gain_and_offset_as_a_frame_the_targets_carry_them(images):
    """``gain_offset = frame``: the self-made pairs' targets are the clear crops in the fitted gain and offset."""
    model, data = _model_with_gain_and_offset(images, "model.physical.gain_offset=frame")
    clear = np.asarray(data["clear"])
    fake_blurry = model.degrade(data["clear"], data)
    inputs, targets = model.self_made_pairs(data["clear"], fake_blurry, data)
    np.testing.assert_allclose(np.asarray(targets), 0.8 * clear + 0.05, atol=1e-5)
    assert model.pair_width_scale == (0.2, 1.5)  # new runs: the pairs' blur is spread around the fitted width
    np.testing.assert_allclose(np.asarray(inputs), np.asarray(model.degrade(data["clear"], data, width_scale=(0.2, 1.5))),
                               atol=1e-6)


def test_without_a_width_spread_the_pairs_inputs_are_the_fitted_degradation(images):
    """``pair_width_scale = null`` (version-1 runs): the pairs' inputs are the fake blurry images themselves."""
    model, data = _model_with_gain_and_offset(images, "model.physical.gain_offset=frame",
                                              "model.physical.pair_width_scale=none")
    fake_blurry = model.degrade(data["clear"], data)
    inputs, _ = model.self_made_pairs(data["clear"], fake_blurry, data)
    np.testing.assert_array_equal(np.asarray(inputs), np.asarray(fake_blurry))


def test_with_the_gain_and_offset_as_a_nuisance_the_pairs_never_see_them(images):
    """``gain_offset = nuisance`` (new runs): targets are the clear crops, inputs degraded without gain and offset."""
    model, data = _model_with_gain_and_offset(images)
    assert model.gain_offset == "nuisance"
    clear = np.asarray(data["clear"])
    inputs, targets = model.self_made_pairs(data["clear"], model.degrade(data["clear"], data), data)
    np.testing.assert_array_equal(np.asarray(targets), clear)
    unframed = np.asarray(model.degrade(data["clear"], data, mean_only=True, framed=False))
    framed = np.asarray(model.degrade(data["clear"], data, mean_only=True))
    np.testing.assert_allclose(framed, 0.8 * unframed + 0.05, atol=1e-5)
    np.testing.assert_allclose(np.asarray(inputs), np.asarray(model.degrade(data["clear"], data, framed=False,
                                                                            width_scale=model.pair_width_scale)),
                               atol=1e-6)
