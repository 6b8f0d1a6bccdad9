"""Tests of keeping a restoration's grey levels (cyclesem.restore.grey_levels)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from cyclesem.restore.grey_levels import gain_offset, keep_grey_levels, large_scale, large_scale_contrast


def _scene(seed=0, shape=(128, 160)):
    rng = np.random.default_rng(seed)
    broad = ndimage.gaussian_filter(rng.random(shape), 24) * 8
    fine = ndimage.gaussian_filter(rng.random(shape), 1.5)
    return (broad - broad.mean() + fine).astype(np.float32)


def test_a_gain_and_offset_put_on_a_restoration_are_taken_off():
    image = _scene()
    restored = 1.15 * image + 0.07
    np.testing.assert_allclose(keep_grey_levels(restored, image), image, atol=1e-5)
    gain, offset = gain_offset(restored, image)
    assert gain == pytest.approx(1 / 1.15, rel=1e-5) and offset == pytest.approx(-0.07 / 1.15, abs=1e-5)


def test_blur_leaves_the_large_scale_contrast_and_so_the_step_changes_little():
    sharp = _scene(1)
    blurred = ndimage.gaussian_filter(sharp, 3).astype(np.float32)
    assert large_scale_contrast(blurred) == pytest.approx(large_scale_contrast(sharp), rel=0.03)
    kept = keep_grey_levels(sharp, blurred)  # a perfect restoration is barely touched
    assert np.abs(kept - sharp).max() < 0.03 * np.ptp(sharp)


def test_the_output_has_the_inputs_large_scale_contrast_within_one_percent():
    image = _scene(2)
    over_sharpened = image + 0.8 * (image - ndimage.gaussian_filter(image, 2)) + 0.2 * (image - image.mean())
    ratio = large_scale_contrast(keep_grey_levels(over_sharpened, image)) / large_scale_contrast(image)
    assert ratio == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_float_dtype_is_kept_and_a_flat_restoration_is_only_shifted(dtype):
    image = _scene(3).astype(dtype)
    assert keep_grey_levels(image * 2, image).dtype == dtype
    flat = np.full_like(image, 0.5)
    kept = keep_grey_levels(flat, image)
    assert np.ptp(kept) < 1e-6 and float(kept.mean()) == pytest.approx(float(large_scale(image).mean()), abs=1e-5)


def test_shapes_must_match():
    with pytest.raises(ValueError, match="shapes differ"):
        keep_grey_levels(np.zeros((8, 8)), np.zeros((8, 9)))
