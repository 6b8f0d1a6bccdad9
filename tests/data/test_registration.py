"""Sub-pixel registration by phase correlation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from cyclesem.data.registration import align_pair, estimate_shift, overlap, shift_image
from synth.phantoms import make_phantom


@pytest.fixture(scope="module")
def field():
    """A smooth (band-limited) scene larger than the crops taken from it."""
    return ndimage.gaussian_filter(make_phantom("grains", 200, seed=4), 1.0)


def _moved(field, shift):
    """The centre 128 x 128 of ``field`` and of ``field`` moved by ``shift``."""
    moved = ndimage.shift(field, shift, order=5, mode="nearest")
    return field[36:164, 36:164], moved[36:164, 36:164]


def test_integer_shift_is_recovered_exactly(field):
    reference, moving = field[40:168, 40:168], field[45:173, 37:165]
    assert estimate_shift(reference, moving) == pytest.approx((5.0, -3.0), abs=1e-9)


@pytest.mark.parametrize("shift", [(2.3, -1.7), (-0.4, 0.25), (6.55, 3.1)])
def test_sub_pixel_shift_is_recovered(field, shift):
    reference, moving = _moved(field, shift)
    dy, dx = estimate_shift(moving, reference, upsample=20)
    assert (dy, dx) == pytest.approx(shift, abs=0.1)


def test_shift_survives_blur_and_noise(field):
    reference, moving = _moved(field, (-3.35, 1.8))
    blurred = ndimage.gaussian_filter(moving, 2.0) + np.random.default_rng(0).normal(0.0, 0.02, moving.shape)
    assert estimate_shift(blurred, reference) == pytest.approx((-3.35, 1.8), abs=0.3)


def test_shifting_moving_by_the_estimate_lands_on_reference(field):
    reference, moving = _moved(field, (1.5, -2.25))
    shift = estimate_shift(reference, moving)
    back = shift_image(moving, shift)
    inner = (slice(8, -8), slice(8, -8))
    assert np.abs(back[inner] - reference[inner]).max() < 0.02


def test_align_pair_returns_matching_overlaps(field):
    reference, moving = _moved(field, (-4.0, 2.5))
    ref_crop, mov_crop, shift = align_pair(moving, reference)
    assert ref_crop.shape == mov_crop.shape
    assert ref_crop.shape[0] <= 128 - 4 and ref_crop.shape[1] <= 128 - 3
    assert np.sqrt(np.mean((ref_crop - mov_crop) ** 2)) < 0.01
    assert shift == pytest.approx((-4.0, 2.5), abs=0.1)


def test_zero_shift_keeps_the_whole_image(field):
    image = field[:64, :64]
    ref_crop, mov_crop = overlap(image, image, (0.0, 0.0))
    assert ref_crop.shape == image.shape
    np.testing.assert_array_equal(ref_crop, mov_crop)


def test_bad_inputs_are_refused(field):
    with pytest.raises(ValueError):
        estimate_shift(field[:64, :64], field[:64, :60])
    with pytest.raises(ValueError):
        estimate_shift(field[:64, :64], field[:64, :64], whiten=2.0)
