"""Tests for cyclesem.restore.runs: loading run folders and enhancing with them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from cyclesem.errors import CyclesemError
from cyclesem.io.run_folder import is_run_dir
from cyclesem.restore.runs import load_run
from cyclesem.restore.tiling import TileSpec

keras = pytest.importorskip("keras")
from tests.helpers import make_run, tiny_network  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("runs") / "run-a")


def _whole_image(run, image: np.ndarray) -> np.ndarray:
    normalised, params = run.normalizer.before(image)
    prediction = np.asarray(run.network(normalised[np.newaxis, ..., np.newaxis], training=False))[0, ..., 0]
    return run.normalizer.after(prediction, params)


def test_load_run_reads_config_state_and_normaliser(run_dir):
    assert is_run_dir(run_dir) and not is_run_dir(run_dir.parent)
    run = load_run(run_dir)
    assert (run.name, run.kind, run.step) == ("run-a", "cyclegan", 12)
    assert (run.normalizer.low, run.normalizer.high) == (1.0, 99.0)
    assert run.describe() == "run-a: cyclegan, preset tiny, 12 steps, trained 1 h 02 min"


def test_tiled_enhancement_matches_whole_image(run_dir):
    run = load_run(run_dir)
    image = np.random.default_rng(0).random((192, 160), dtype=np.float32) * 0.4 + 0.3
    tiled = run.enhance(image, tile=TileSpec(tile=64, margin=8, blend=16))
    assert tiled.dtype == np.float32 and tiled.shape == image.shape
    np.testing.assert_allclose(tiled, _whole_image(run, image), atol=1e-3)
    assert np.abs(tiled - image).max() > 1e-3  # the network did something


def test_enhancement_of_odd_and_tiny_sizes_keeps_shape_and_units(run_dir):
    run = load_run(run_dir)
    for shape in [(1, 1), (5, 9), (37, 150)]:
        noise = np.random.default_rng(1).random(shape, dtype=np.float32)
        image = np.float32(0.25) + noise * np.float32(0.01)
        out = run.enhance(image, tile=TileSpec(tile=64, margin=8, blend=16))
        assert out.shape == shape and out.dtype == np.float32
        assert np.all(np.isfinite(out))


def test_smooth_ramp_has_no_seams(run_dir):
    run = load_run(run_dir)
    ramp = np.tile(np.linspace(0.2, 0.8, 200, dtype=np.float32), (96, 1))
    out = run.enhance(ramp, tile=TileSpec(tile=64, margin=8, blend=16))
    inner = np.diff(out[8:-8, 8:-8], axis=1)
    assert inner.max() - inner.min() < 1e-3


def _write_zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda d: (d / "config.json").unlink(), "not a run folder"),
        (lambda d: (d / "state.json").write_text("{not json"), "not valid JSON"),
        (lambda d: (d / "config.json").write_text("{}"), "no 'kind'"),
        (lambda d: (d / "state.json").write_text('{"step": "x"}'), "integer 'step'"),
        (lambda d: (d / "generator.keras").unlink(), "no exported network"),
        (lambda d: (d / "generator.keras").write_bytes(b"PK\x03\x04 broken"), "not a .keras file"),
        (lambda d: _write_zip(d / "generator.keras"), "cannot load the network"),
    ],
)
def test_broken_runs_raise_one_clear_error(tmp_path, run_dir, break_it, message):
    folder = tmp_path / "broken"
    folder.mkdir()
    for name in ("config.json", "state.json", "generator.keras"):
        (folder / name).write_bytes((run_dir / name).read_bytes())
    break_it(folder)
    with pytest.raises(CyclesemError, match=message) as info:
        load_run(folder)
    assert "broken" in str(info.value) and "\n" not in str(info.value)


def generator_network(preset: str = "tiny", seed: int = 0):
    """The real CycleGAN generator, with a random (not zero) last layer so it acts."""
    from cyclesem.config import build
    from cyclesem.nets import build_generator
    from cyclesem.config.cyclegan import PRESETS, GeneratorSettings

    keras.utils.set_random_seed(seed)
    network = build_generator(build(GeneratorSettings, PRESETS[preset]["model"]["generator"]))
    last = network.get_layer("residual_conv")
    kernel, bias = last.get_weights()
    last.set_weights([np.random.default_rng(seed).normal(0, 0.5, kernel.shape).astype(np.float32), bias])
    return network


@pytest.fixture(scope="module")
def generator_run(tmp_path_factory):
    return load_run(make_run(tmp_path_factory.mktemp("runs") / "gan", generator_network()))


def test_real_generator_tiled_matches_whole_image_after_safe_round_trip(generator_run):
    rng = np.random.default_rng(5)
    image = ndimage.gaussian_filter(rng.random((256, 208)), 1.5).astype(np.float32)
    spec = TileSpec(tile=96, margin=16, blend=16)
    tiled = generator_run.enhance(image, tile=spec)
    whole = _whole_image(generator_run, image)
    assert np.abs(whole - image).max() > 0.05  # the generator changes the image
    np.testing.assert_allclose(tiled, whole, atol=1e-3)
    odd = image[:201, :150]  # padded to 208 x 160 inside the network and by the tiler alike
    np.testing.assert_allclose(generator_run.enhance(odd, tile=spec), _whole_image(generator_run, odd), atol=1e-3)


def test_real_generator_shows_no_seams_on_a_ramp(generator_run):
    """Steps between neighbouring columns are those of the whole image, tile borders included."""
    ramp = np.tile(np.linspace(0.1, 0.9, 320, dtype=np.float32), (64, 1))
    out = generator_run.enhance(ramp, tile=TileSpec(tile=96, margin=16, blend=16))
    whole = _whole_image(generator_run, ramp)
    extra_steps = np.abs(np.diff(out, axis=1) - np.diff(whole, axis=1))
    assert extra_steps.max() < 1e-3 < np.abs(np.diff(whole, axis=1)).max()


def test_images_of_different_sizes_in_one_session(generator_run):
    """Shapes that share a side once broke dilated convolutions in a relaxed graph."""
    for shape in [(64, 96), (64, 320), (40, 320), (17, 5)]:
        image = np.random.default_rng(6).random(shape, dtype=np.float32)
        out = generator_run.enhance(image, tile=TileSpec(tile=512))
        np.testing.assert_allclose(out, _whole_image(generator_run, image), atol=1e-3)


def test_missing_folder_is_refused(tmp_path):
    with pytest.raises(CyclesemError, match="no such folder"):
        load_run(tmp_path / "nowhere")


def test_network_with_code_is_refused_in_safe_mode(tmp_path):
    inputs = keras.Input((None, None, 1))
    unsafe = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2.0)(inputs))
    folder = make_run(tmp_path / "unsafe", unsafe)
    with pytest.raises(CyclesemError, match="never runs code"):
        load_run(folder)


def test_a_saved_model_folder_and_a_tfsm_layer_are_refused_in_one_line(tmp_path):
    inputs = keras.Input((None, None, 1))
    plain = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
    plain.export(tmp_path / "saved", verbose=False)
    with pytest.raises(CyclesemError, match="a TensorFlow SavedModel folder, not a run folder") as caught:
        load_run(tmp_path / "saved")
    assert "\n" not in str(caught.value)
    outer = keras.Input((None, None, 1))
    wrapped = keras.Model(outer, keras.layers.TFSMLayer(str(tmp_path / "saved"), call_endpoint="serve")(outer))
    with pytest.raises(CyclesemError, match=r"wraps a TensorFlow SavedModel \(a TFSMLayer\)") as caught:
        load_run(make_run(tmp_path / "wrapped", wrapped))
    assert "Lambda" not in str(caught.value)


def test_non_finite_image_is_refused(run_dir):
    image = np.zeros((32, 32), np.float32)
    image[3, 4] = np.nan
    with pytest.raises(CyclesemError, match="non-finite"):
        load_run(run_dir).enhance(image)


def test_best_validation_network_is_used_when_the_run_has_one(tmp_path):
    state = {"step": 12, "steps": 12, "seconds": 60.0, "finished": True, "best": {"step": 8, "psnr": 30.0}}
    folder = make_run(tmp_path / "run", tiny_network(seed=0), state=state)
    tiny_network(seed=1).save(folder / "best.keras")
    image = np.random.default_rng(0).random((40, 40), dtype=np.float32)
    with_best = load_run(folder)
    assert "best validation score (step 8)" in with_best.describe()
    (folder / "best.keras").unlink()
    last = load_run(folder)
    assert "best" not in last.describe()
    assert not np.allclose(with_best.enhance(image), last.enhance(image))


def test_the_support_limit_of_the_config_filters_the_output(tmp_path):
    from cyclesem.restore.support import limit_to_support

    config = {"kind": "cyclegan", "preset": "tiny", "data": {"norm_low": 1.0, "norm_high": 99.0},
              "enhance": {"limit_to_support": True}}
    limited = load_run(make_run(tmp_path / "limited", config=config))
    plain = limited.with_support_limit(False)
    assert limited.limit_to_support and not plain.limit_to_support
    image = ndimage.gaussian_filter(np.random.default_rng(0).random((70, 90)), 2.0).astype(np.float32)
    np.testing.assert_allclose(limited.enhance(image), limit_to_support(plain.enhance(image), image), atol=1e-6)
    assert "output limited to the detail its input supports" in limited.describe()
    assert "supports" not in plain.describe()
    tiny = np.random.default_rng(1).random((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(limited.enhance(tiny), plain.enhance(tiny))  # no spectrum to limit by


def test_keeping_grey_levels_maps_the_limited_output_to_the_inputs_grey_levels(tmp_path):
    from cyclesem.restore.grey_levels import keep_grey_levels
    from cyclesem.restore.support import limit_to_support

    config = {"kind": "cyclegan", "preset": "tiny", "data": {"norm_low": 1.0, "norm_high": 99.0},
              "enhance": {"limit_to_support": True, "keep_grey_levels": True}}
    kept = load_run(make_run(tmp_path / "kept", config=config))
    plain = kept.with_grey_levels(False).with_support_limit(False)
    assert kept.keep_grey_levels and not plain.keep_grey_levels
    image = ndimage.gaussian_filter(np.random.default_rng(2).random((70, 90)), 2.0).astype(np.float32)
    expected = keep_grey_levels(limit_to_support(plain.enhance(image), image), image)
    np.testing.assert_allclose(kept.enhance(image), expected, atol=1e-6)
    assert "grey levels kept" in kept.describe() and "grey levels" not in plain.describe()
