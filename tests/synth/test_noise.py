"""SEM noise and scan distortions."""

from __future__ import annotations

import numpy as np
import pytest

from synth import noise


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("dose", [2.0, 10.0, 100.0])
def test_poisson_variance_falls_with_dose(dose):
    level = 0.6
    image = np.full((200, 200), level, np.float32)
    noisy = noise.shot_noise(image, dose, rng())
    assert noisy.mean() == pytest.approx(level, rel=0.02)
    assert noisy.var() == pytest.approx(level / dose, rel=0.05)
    counts = noisy * dose
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-4)  # whole electrons


@pytest.mark.parametrize("dose", [5.0, 50.0, 500.0])
def test_sem_noise_variance_is_signal_over_dose_plus_detector(dose):
    image = np.full((256, 256), 0.4, np.float32)
    noisy = noise.sem_noise(image, dose, 0.02, rng(1))
    assert noisy.mean() == pytest.approx(0.4, rel=0.02)
    assert noisy.var() == pytest.approx(0.4 / dose + 0.02**2, rel=0.05)


def test_sem_noise_without_noise_is_a_copy():
    image = np.random.default_rng(0).random((8, 8)).astype(np.float32)
    np.testing.assert_array_equal(noise.sem_noise(image, 0.0, 0.0, rng()), image)


def test_standard_normal_moments_and_determinism():
    z = noise.standard_normal((512, 512), rng(3))
    assert z.dtype == np.float32 and z.shape == (512, 512)
    assert abs(z.mean()) < 0.01 and z.std() == pytest.approx(1.0, abs=0.01)
    assert np.mean(np.abs(z) > 1.96) == pytest.approx(0.05, abs=0.003)
    np.testing.assert_array_equal(z, noise.standard_normal((512, 512), rng(3)))
    assert not np.array_equal(z, noise.standard_normal((512, 512), rng(4)))


def test_detector_noise_std():
    out = noise.detector_noise(np.zeros((256, 256), np.float32), 0.05, rng())
    assert out.std() == pytest.approx(0.05, rel=0.03)


def stripe_image() -> np.ndarray:
    """A smooth vertical stripe whose column centre is easy to measure per row."""
    x = np.arange(64, dtype=np.float32)
    return np.tile(np.exp(-0.5 * ((x - 32.0) / 3.0) ** 2), (48, 1))


def row_centres(image: np.ndarray) -> np.ndarray:
    x = np.arange(image.shape[1])
    return (image * x).sum(axis=1) / image.sum(axis=1)


def test_jitter_moves_rows_sideways_by_about_its_amplitude():
    image = stripe_image()
    shifted = noise.scan_distortion(image, rng(5), jitter=0.8)
    moves = row_centres(shifted) - 32.0
    assert moves.std() == pytest.approx(0.8, rel=0.35)
    assert len(np.unique(np.round(moves, 3))) > 40  # each row its own shift
    np.testing.assert_allclose(noise.scan_distortion(image, rng(5)), image, atol=1e-6)


def test_drift_shears_the_image_linearly_over_the_rows():
    image = stripe_image()
    drifted = noise.scan_distortion(image, rng(), drift_x=4.0)
    moves = row_centres(drifted) - 32.0  # row i shows the specimen at x + 4 i / (rows - 1)
    np.testing.assert_allclose(moves, -4.0 * np.arange(48) / 47, atol=0.05)


def test_vertical_drift_stretches_rows():
    image = np.tile(np.arange(40, dtype=np.float32)[:, None], (1, 8))  # value = row
    drifted = noise.scan_distortion(image, rng(), drift_y=3.9)
    want = np.arange(40) * (1 + 3.9 / 39)
    inside = want <= 39  # rows that still see the specimen (others see its mirror)
    np.testing.assert_allclose(drifted[inside, 0], want[inside], atol=1 / 32)  # OpenCV's 1/32 px steps


def test_dead_pixels_and_spikes_counts():
    image = np.full((100, 100), 0.5, np.float32)
    out = noise.dead_pixels_and_spikes(image, 0.001, 0.002, rng())
    assert (out == 0.0).sum() == 10 and (out == 1.0).sum() == 20
    assert (out == 0.5).sum() == 10000 - 30
    assert np.array_equal(out, noise.dead_pixels_and_spikes(image, 0.001, 0.002, rng()))
    assert image.min() == 0.5  # the input is untouched


@pytest.mark.parametrize("bits", [8, 16])
def test_quantise_saturates_and_rounds(bits):
    image = np.linspace(-0.2, 1.2, 1001, dtype=np.float32).reshape(7, 143)
    out = noise.quantise(image, bits)
    levels = 2**bits - 1
    assert out.min() == 0.0 and out.max() == 1.0
    np.testing.assert_allclose(out * levels, np.round(out * levels), atol=1e-3)
    inside = (image > 0) & (image < 1)
    assert np.abs(out - image)[inside].max() <= 0.5 / levels + 1e-7
