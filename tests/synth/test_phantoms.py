"""Phantoms: shapes, determinism, and statistics against real sharp SEM images."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import shared_path
from synth.phantoms import PHANTOM_KINDS, make_phantom, phantom_kind, random_phantom

# A phantom statistic passes when it lies in the real images' [min, max] widened
# by MARGIN of each end's magnitude (lo - 25% |lo|, hi + 25% |hi|).
MARGIN = 0.25


@pytest.mark.parametrize("kind", PHANTOM_KINDS)
def test_phantom_shape_range_and_determinism(kind):
    image = make_phantom(kind, (96, 130), seed=5)
    assert image.shape == (96, 130) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.05
    np.testing.assert_array_equal(image, make_phantom(kind, (96, 130), seed=5))
    assert not np.array_equal(image, make_phantom(kind, (96, 130), seed=6))


def test_random_phantom_draws_its_kind_from_the_seed():
    kinds = {phantom_kind(seed) for seed in range(40)}
    assert kinds == set(PHANTOM_KINDS)
    np.testing.assert_array_equal(random_phantom(64, 11), make_phantom(phantom_kind(11), 64, 11))


def test_unknown_kind_and_bad_size_are_refused():
    with pytest.raises(ValueError, match="known"):
        make_phantom("clouds", 64, 0)
    with pytest.raises(ValueError, match="at least 8"):
        make_phantom("grains", 4, 0)
    for kind in PHANTOM_KINDS:
        assert make_phantom(kind, (8, 300), 0).shape == (8, 300)


def image_statistics(image: np.ndarray) -> dict[str, float]:
    """Histogram spread, gradient distribution and power-spectrum slope of one image.

    ``spread``: p99 - p1 of the intensities (units of full scale); ``grad_mean`` /
    ``grad_median``: gradient magnitude of the image normalised to p1..p99;
    ``slope``: exponent of the radial power spectrum between 0.02 and 0.25 cycles/px.
    """
    p1, p99 = np.percentile(image, [1, 99])
    normalised = (image - p1) / max(p99 - p1, 1e-9)
    grad = np.hypot(*np.gradient(normalised))
    side = min(image.shape)
    square = normalised[:side, :side] - normalised[:side, :side].mean()
    power = np.abs(np.fft.fftshift(np.fft.fft2(square * np.outer(np.hanning(side), np.hanning(side))))) ** 2
    y, x = np.indices(power.shape) - side // 2
    ring = np.round(np.hypot(x, y)).astype(int)
    keep = (ring >= 0.02 * side) & (ring <= 0.25 * side)
    mean_power = np.bincount(ring[keep], power[keep]) / np.maximum(np.bincount(ring[keep]), 1)
    rings = np.nonzero(mean_power)[0]
    slope = np.polyfit(np.log(rings / side), np.log(mean_power[rings]), 1)[0]
    return {"spread": p99 - p1, "grad_mean": grad.mean(), "grad_median": np.median(grad), "slope": slope}


@pytest.mark.shared_data
def test_phantom_statistics_fall_in_the_range_of_real_sharp_sem():
    from cyclesem.io import list_images, read_image

    folder = shared_path("sem-clear")
    real = [image_statistics(read_image(p).content) for sub in sorted(folder.iterdir()) for p in list_images(sub)]
    assert len(real) >= 10
    bounds = {}
    for key in real[0]:
        lo, hi = min(r[key] for r in real), max(r[key] for r in real)
        bounds[key] = (lo - MARGIN * abs(lo), hi + MARGIN * abs(hi))
    outside = []
    for kind in PHANTOM_KINDS:
        for seed in range(3):
            for key, value in image_statistics(make_phantom(kind, 256, seed)).items():
                if not bounds[key][0] <= value <= bounds[key][1]:
                    outside.append(f"{kind} seed {seed}: {key} {value:.4f} outside {bounds[key]}")
    assert not outside, "\n".join(outside)
