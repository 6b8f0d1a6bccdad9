"""Tests for synth.varying and the spatially_varying recipe."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage

from synth.benchmark import make_benchmark
from synth.phantoms import make_phantom
from synth.recipes import draw, load_recipe
from synth.varying import blur_map, varying_blur


def test_tilt_map_is_sharp_in_its_focus_band_and_rises_to_the_far_side():
    widths = blur_map("tilt", (32, 100), sharp=0.0, blurred=4.0, angle=0.0, focus=0.4)
    assert np.all(widths[:, :39] == 0.0) and widths[0, -1] == pytest.approx(4.0)
    assert np.all(np.diff(widths[0]) >= 0)


def test_patches_map_is_a_checkerboard():
    widths = blur_map("patches", (64, 64), sharp=0.5, blurred=3.0, angle=0.0, focus=0.0)
    assert widths[5, 5] == widths[60, 60] == pytest.approx(0.5)
    assert widths[5, 60] == widths[60, 5] == pytest.approx(3.0)


def test_varying_blur_keeps_width_zero_pixels_and_matches_a_uniform_gaussian():
    image = make_phantom("grains", 64, 1)
    assert np.array_equal(varying_blur(image, np.zeros_like(image)), image)
    uniform = varying_blur(image, np.full(image.shape, 2.0))
    np.testing.assert_allclose(uniform, ndimage.gaussian_filter(image, 2.0, mode="reflect"), atol=1e-5)
    with pytest.raises(ValueError):
        varying_blur(image, np.full(image.shape, -1.0))


def test_recipe_draws_a_varying_kind_and_old_recipes_draw_none():
    params = draw(load_recipe("spatially_varying"), np.random.default_rng(0))
    assert params.varying_kind in ("tilt", "patches") and 2.5 <= params.varying_blurred <= 4.0
    assert draw(load_recipe("gaussian"), np.random.default_rng(0)).varying_kind == "none"


def test_benchmark_saves_the_true_blur_map_of_each_test_image(tmp_path):
    out = make_benchmark("spatially_varying", tmp_path / "bench", seed=1, n_phantoms=4, size=64, test_fraction=0.5, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    tests = [e for e in manifest["images"] if e["split"] == "test" and e["role"] == "blurry"]
    assert tests and all("blur_map" in e for e in tests)
    widths = np.load(out / tests[0]["blur_map"])
    assert widths.shape == (64, 64) and widths.min() == 0.0 and widths.max() == pytest.approx(tests[0]["params"]["varying_blurred"])
