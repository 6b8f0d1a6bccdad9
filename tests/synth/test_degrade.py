"""The degradation chain, determinism, and that synth never imports TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from synth.blur import blur
from synth.degrade import Degradation, degrade
from synth.recipes import draw, load_recipe, recipe_names


def clear_image() -> np.ndarray:
    y, x = np.mgrid[0:96, 0:96]
    return (0.2 + 0.6 * ((x // 12 + y // 12) % 2)).astype(np.float32)


def test_neutral_parameters_leave_the_image_alone():
    image = clear_image()
    np.testing.assert_allclose(degrade(image, Degradation(), np.random.default_rng(0)), image, atol=1 / 65535)


def test_blur_only_chain_equals_blurring_with_its_psf():
    params = Degradation(blur_kind="gaussian", sigma_x=2.0, sigma_y=1.0, angle=30.0)
    out = degrade(clear_image(), params, np.random.default_rng(0))
    np.testing.assert_allclose(out, blur(clear_image(), params.psf()), atol=1 / 65535)


def test_fog_only_chain_lowers_contrast_towards_the_veil():
    params = Degradation(transmission=0.5, veil=0.9)
    out = degrade(clear_image(), params, np.random.default_rng(0))
    np.testing.assert_allclose(out, 0.5 * clear_image() + 0.45, atol=1e-4)


@pytest.mark.parametrize("name", recipe_names())
def test_recipes_are_deterministic_and_stay_in_range(name):
    recipe, image = load_recipe(name), clear_image()
    params = draw(recipe, np.random.default_rng(7))
    first = degrade(image, params, np.random.default_rng(8))
    assert first.dtype == np.float32 and first.shape == image.shape
    assert 0.0 <= first.min() and first.max() <= 1.0
    np.testing.assert_array_equal(first, degrade(image, params, np.random.default_rng(8)))
    assert not np.array_equal(first, image)


def test_another_seed_gives_other_noise():
    params = draw(load_recipe("hybrid"), np.random.default_rng(1))
    a = degrade(clear_image(), params, np.random.default_rng(1))
    b = degrade(clear_image(), params, np.random.default_rng(2))
    assert np.abs(a - b).mean() > 1e-3


def test_importing_synth_never_imports_tensorflow():
    code = (
        "import sys, synth, synth.benchmark, synth.phantoms\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]\n"
        "print(heavy)\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
