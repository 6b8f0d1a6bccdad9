"""Tests of cyclesem.train.supervised (and loading pairs, grid crops): and MIDNet/NAFNet training through the runner.

Networks are micro (width 4, one stage), crops 32 px, and steps run eagerly:
building the step's graph costs more than the few steps these tests need.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cyclesem.errors import CyclesemError  # noqa: E402
from cyclesem.config.supervised import resolve_supervised_config  # noqa: E402
from cyclesem.data.crops import grid_crops  # noqa: E402
from cyclesem.data.pairs import load_training_pairs  # noqa: E402
from cyclesem.io.run_folder import prepare_run_folder, read_state  # noqa: E402
from cyclesem.train.runner import train  # noqa: E402
from cyclesem.train.supervised import SupervisedTask  # noqa: E402
from tests.helpers import (  # noqa: E402
    MICRO_SUPERVISED,
    checkpoint_arrays,
    micro_supervised_config,
    pairs,  # noqa: F401 - a fixture
    train_supervised,
    write_pairs,
)


class _InterruptedAtFirstSample(SupervisedTask):
    def sample_rows(self, model):
        raise KeyboardInterrupt


@pytest.fixture(scope="module")
def runs(pairs, tmp_path_factory):
    """NAFNet: four steps straight, and four steps interrupted (Ctrl-C) at step 2, then resumed."""
    root = tmp_path_factory.mktemp("runs")
    straight = train_supervised(micro_supervised_config(4, "nafnet"), pairs, prepare_run_folder(root / "straight"))
    resumed_dir = prepare_run_folder(root / "resumed")
    with pytest.raises(KeyboardInterrupt):
        train(_InterruptedAtFirstSample(micro_supervised_config(4, "nafnet", sample_every=2), *pairs), resumed_dir,
              progress=False, log=lambda line: None)
    assert read_state(resumed_dir)["step"] == 2
    resumed = train_supervised(micro_supervised_config(4, "nafnet"), pairs, resumed_dir, resume=True)
    return straight, resumed


def test_interrupted_at_two_then_resumed_equals_four_steps_straight(runs):
    straight, resumed = runs
    assert straight.step == resumed.step == 4
    expected, actual = checkpoint_arrays(straight.run_dir, 4), checkpoint_arrays(resumed.run_dir, 4)
    assert expected.keys() == actual.keys() and any(k.startswith("optimizer.adam:") for k in expected)
    for key in expected:
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-4, atol=1e-6, err_msg=key)
    logs = [(Path(r.run_dir) / "losses.csv").read_text().splitlines() for r in runs]
    assert logs[0][0] == logs[1][0] and len(logs[1]) == 5  # header + steps 1..4
    for a, b in zip(logs[0][1:], logs[1][1:]):  # each step's own losses, not running means
        values = [np.array([float(v or "nan") for v in line.split(",")[2:]]) for line in (a, b)]
        np.testing.assert_allclose(values[1], values[0], rtol=1e-4, equal_nan=True)


def test_validation_is_logged_and_the_best_network_kept(runs, pairs):
    straight, _ = runs
    folder = straight.run_dir
    state = read_state(folder)
    assert state["kind"] == "nafnet" and state["finished"]
    assert state["best"]["step"] in (2, 4) and set(state["best"]) == {"step", "psnr", "ssim"}
    header, *rows = (folder / "losses.csv").read_text().splitlines()
    assert {"val_psnr", "val_ssim", "l1", "edge", "fft", "total"} <= set(header.split(","))
    psnr_column = header.split(",").index("val_psnr")
    validated = {int(row.split(",")[0]): float(row.split(",")[psnr_column]) for row in rows
                 if row.split(",")[psnr_column]}
    assert sorted(validated) == [2, 4] and max(validated.values()) == pytest.approx(state["best"]["psnr"], rel=1e-5)
    best = keras.saving.load_model(folder / "best.keras", safe_mode=True)
    latest = keras.saving.load_model(folder / "generator.keras", safe_mode=True)
    probe = pairs[1][0].blurry[np.newaxis, ..., np.newaxis]
    np.testing.assert_allclose(np.asarray(latest(probe)), np.asarray(straight.model.network(probe)), atol=1e-6)
    assert best(probe).shape == probe.shape


def test_learning_rate_anneals_from_1e3_to_1e7(runs, pairs):
    straight, _ = runs
    assert float(keras.ops.convert_to_numpy(straight.model.optimizer.learning_rate)) == pytest.approx(1e-7)
    fresh = SupervisedTask(micro_supervised_config(4), *pairs).build_model()
    assert float(keras.ops.convert_to_numpy(fresh.optimizer.learning_rate)) == pytest.approx(1e-3)


def test_midnet_task_pieces(pairs):
    task = SupervisedTask(micro_supervised_config(3, "midnet", "model.local_pool=1.5"), *pairs)
    model = task.build_model()
    assert task.kind == "midnet" and any(layer.name.startswith("gate") for layer in model.network.layers)
    exported = task.export_model(model)
    pools = {layer.local_pool_size for layer in exported.layers if layer.__class__.__name__ == "MidBlock"}
    assert pools == {48} and exported.output.dtype == "float32"
    rows = task.sample_rows(model)
    assert len(rows) == 1 and [image.shape for image in rows[0]] == [(32, 32)] * 3
    assert set(task.validate(model)) == {"psnr", "ssim"}
    assert SupervisedTask(micro_supervised_config(3), pairs[0]).validate(model) == {}
    blurry, sharp = next(iter(task.dataset(0)))
    assert blurry.shape == sharp.shape == (2, 32, 32, 1)


def test_self_ensemble_exports_the_mean_over_flips(pairs):
    from cyclesem.nets.ensemble import flip_ensemble

    task = SupervisedTask(micro_supervised_config(3, "midnet", "model.self_ensemble=true"), *pairs)
    model = task.build_model()
    exported = task.export_model(model)
    plain = SupervisedTask(micro_supervised_config(3), *pairs).export_model(model)
    image = np.random.default_rng(2).random((1, 24, 40, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(exported(image)), np.asarray(flip_ensemble(plain)(image)), atol=1e-6)
    assert sum(layer.__class__.__name__ == "Flip" for layer in exported.layers) == 6


def test_mixed_precision_computes_in_float16_and_restores_the_policy(pairs, tmp_path):
    config = micro_supervised_config(1, "midnet", "runtime.mixed_precision=true")
    result = train_supervised(config, pairs, prepare_run_folder(tmp_path / "run"))
    assert result.step == 1 and keras.config.dtype_policy().name == "float32"
    assert result.model.network.get_layer("intro").compute_dtype == "float16"
    assert isinstance(result.model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert "nan" not in (tmp_path / "run" / "losses.csv").read_text()


def test_grid_crops_are_a_fixed_evenly_spread_selection():
    images = [np.arange(70 * 100, dtype=np.float32).reshape(70, 100), np.ones((20, 24), np.float32)]
    crops = grid_crops(images, 32, limit=10)
    assert crops.shape == (7, 32, 32, 1)  # 2 x 3 grid crops + one padded small image
    np.testing.assert_array_equal(crops[1, ..., 0], images[0][:32, 32:64])
    fewer = grid_crops(images, 32, limit=3)
    np.testing.assert_array_equal(fewer, crops[[0, 3, 6]])


# --- loading pairs from folders ------------------------------------------------------------------


def _config(blurry, sharp, **data):
    return resolve_supervised_config("midnet", "tiny", overrides=MICRO_SUPERVISED,
                                     options={"data": {"blurry": blurry, "sharp": sharp, **data}})


def test_unmatched_files_on_both_sides_stop_loading_with_one_message(tmp_path):
    blurry, sharp = write_pairs(tmp_path, ["1-1_s001", "2-1_s001"])
    (tmp_path / "blurry" / "1-1_s001.png").rename(tmp_path / "blurry" / "1-1_s009.png")
    with pytest.raises(CyclesemError) as error:
        load_training_pairs(_config(blurry, sharp))
    assert "blurry file(s) without a sharp partner: 1-1_s009.png" in str(error.value)
    assert "sharp file(s) without a blurry partner: 1-1_s001.png" in str(error.value)


def test_validation_holds_out_whole_source_images_or_takes_folders(tmp_path):
    names = [f"{group}-1_s{crop:03d}" for group in range(1, 5) for crop in range(2)]
    blurry, sharp = write_pairs(tmp_path / "train", names)
    data = load_training_pairs(_config(blurry, sharp, val_fraction=0.25))
    groups = [{pair.name[0] for pair in side.pairs} for side in (data.train, data.validation)]
    assert len(groups[1]) == 1 and not groups[0] & groups[1] and len(data.train.pairs) == 6
    val_blurry, val_sharp = write_pairs(tmp_path / "val", ["9-1_s000"])
    data = load_training_pairs(_config(blurry, sharp, val_fraction=0, val_blurry=val_blurry, val_sharp=val_sharp))
    assert len(data.train.pairs) == 8 and [p.name for p in data.validation.pairs] == ["9-1_s000"]
    assert not data.failures


def test_register_recovers_a_known_shift_and_trains_on_the_overlap(tmp_path):
    blurry, sharp = write_pairs(tmp_path, ["a", "b"], shift=(3, -2))
    data = load_training_pairs(_config(blurry, sharp, register=True, val_fraction=0.5))
    pair = data.train.pairs[0]
    np.testing.assert_allclose(np.abs(pair.shift), (3, 2), atol=0.2)
    assert pair.blurry.shape == pair.sharp.shape and pair.blurry.shape[0] < 64
    assert np.corrcoef(pair.blurry.ravel(), pair.sharp.ravel())[0, 1] > 0.95
