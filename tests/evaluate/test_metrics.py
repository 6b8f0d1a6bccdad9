"""Image-quality measures: equal to scikit-image, known values on hand-made images."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage
from skimage.feature import graycomatrix, graycoprops
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from cyclesem.evaluate import metrics
from cyclesem.io import read_image
from synth.phantoms import make_phantom
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def pair():
    clear = make_phantom("grains", 96, seed=2)
    noisy = clear + np.random.default_rng(0).normal(0.0, 0.05, clear.shape)
    return clear, ndimage.gaussian_filter(noisy, 1.0).astype(np.float32)


def test_psnr_and_ssim_equal_scikit_image(pair):
    clear, image = pair
    assert metrics.psnr(clear, image) == pytest.approx(peak_signal_noise_ratio(clear, image, data_range=1.0), abs=1e-6)
    assert metrics.ssim(clear, image) == pytest.approx(structural_similarity(clear, image, data_range=1.0), abs=1e-3)
    assert metrics.ssim(clear, image, data_range=2.0) == pytest.approx(
        structural_similarity(clear, image, data_range=2.0), abs=1e-3
    )


def test_ssim_equals_scikit_image_on_a_real_sem_image():
    path = sorted(shared_path("sem-denoise", "clean").iterdir())[0]
    clean = read_image(path).content[:200, :200]
    degraded = ndimage.gaussian_filter(clean, 1.5)
    assert metrics.ssim(clean, degraded) == pytest.approx(structural_similarity(clean, degraded, data_range=1.0), abs=1e-3)


def test_identical_images_score_perfectly(pair):
    clear, _ = pair
    assert metrics.psnr(clear, clear) == math.inf
    assert metrics.ssim(clear, clear) == pytest.approx(1.0)


def test_flat_image_has_no_gradient_frequency_contrast_or_focus():
    flat = np.full((32, 40), 0.4, np.float32)
    assert metrics.average_gradient(flat) == 0.0
    assert metrics.spatial_frequency(flat) == 0.0
    assert metrics.contrast(flat) == 0.0
    assert metrics.focus_measure(flat) == 0.0


def test_known_values_on_a_ramp():
    slope = 0.01
    ramp = np.tile(np.arange(50) * slope, (30, 1))
    assert metrics.average_gradient(ramp) == pytest.approx(slope / math.sqrt(2))
    assert metrics.spatial_frequency(ramp) == pytest.approx(slope)
    assert metrics.contrast(ramp) == pytest.approx(slope**2 / 2)
    assert metrics.focus_measure(ramp) == pytest.approx(0.0, abs=1e-12)


def test_known_values_on_a_checkerboard():
    board = (np.indices((20, 20)).sum(axis=0) % 2).astype(np.float32)
    assert metrics.average_gradient(board) == pytest.approx(1.0)
    assert metrics.spatial_frequency(board) == pytest.approx(math.sqrt(2))
    assert metrics.contrast(board) == pytest.approx(1.0)
    assert metrics.focus_measure(board) == pytest.approx(16.0)  # Laplacian is +-4


def test_contrast_is_the_grey_level_cooccurrence_contrast(pair):
    grey = np.round(pair[1].clip(0, 1) * 255).astype(np.uint8)
    matrix = graycomatrix(grey, [1], [0, np.pi / 2], levels=256, symmetric=True, normed=True)
    assert metrics.contrast(grey / 255.0) * 255**2 == pytest.approx(graycoprops(matrix, "contrast").mean(), rel=1e-9)


def test_blur_lowers_every_no_reference_measure(pair):
    clear, _ = pair
    sharp, soft = metrics.no_reference_scores(clear), metrics.no_reference_scores(ndimage.gaussian_filter(clear, 2.0))
    assert all(soft[key] < sharp[key] for key in metrics.NO_REFERENCE)


def test_score_pair_registers_a_shifted_pair():
    field = make_phantom("particles", 140, seed=5)
    reference, moved = field[10:130, 10:130], field[13:133, 8:128]  # moved by (-3, +2)
    plain = metrics.score_pair(reference, moved)
    registered = metrics.score_pair(reference, moved, register=True)
    assert set(registered) == set(metrics.METRICS)
    assert registered["psnr"] > 40 and plain["psnr"] < 25
    assert registered["ag"] == plain["ag"]  # no-reference measures use the whole image
    known = metrics.score_pair(reference, moved, shift=(3.0, -2.0))
    assert known["psnr"] == pytest.approx(registered["psnr"], rel=1e-3)


def test_mismatched_shapes_are_refused(pair):
    with pytest.raises(ValueError):
        metrics.psnr(pair[0], pair[0][:-1])
