"""Tests of the CycleGAN losses of cyclesem.models.losses on inputs with known values."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("keras")

from scipy import ndimage  # noqa: E402

from cyclesem.models import losses  # noqa: E402
from cyclesem.config.cyclegan import CycleGanLossWeights  # noqa: E402


def value(x) -> float:
    return float(np.asarray(x))


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return ndimage.gaussian_filter(rng.random((2, 48, 48, 1)), (0, 1, 1, 0)).astype(np.float32)


def test_lsgan_losses():
    ones, zeros = np.ones((2, 4, 4, 1), np.float32), np.zeros((2, 4, 4, 1), np.float32)
    assert value(losses.lsgan_generator_loss(ones)) == 0.0
    assert value(losses.lsgan_generator_loss(zeros)) == 1.0
    assert value(losses.lsgan_discriminator_loss(ones, zeros)) == 0.0
    assert value(losses.lsgan_discriminator_loss(zeros, ones)) == 1.0
    assert value(losses.lsgan_discriminator_loss(ones * 0.5, ones * 0.5)) == pytest.approx(0.25)


def test_l1_loss():
    a = np.zeros((1, 4, 4, 1), np.float32)
    b = a.copy()
    b[0, 0, 0, 0] = 1.6
    assert value(losses.l1_loss(a, b)) == pytest.approx(0.1)


def test_ssim_loss_is_zero_for_identical_images(image):
    assert value(losses.ssim_loss(image, image)) == pytest.approx(0.0, abs=1e-6)
    noisy = image + np.random.default_rng(1).normal(0, 0.1, image.shape).astype(np.float32)
    assert value(losses.ssim_loss(image, noisy)) > 0.1


def test_edge_loss_is_zero_for_identical_and_positive_for_blurred(image):
    assert value(losses.sobel_magnitude_l1(image, image)) == 0.0
    blurred = ndimage.gaussian_filter(image, (0, 2, 2, 0))
    assert value(losses.sobel_magnitude_l1(image, blurred)) > 0.01


def test_sobel_magnitude_of_a_step_edge():
    step = np.zeros((1, 8, 8, 1), np.float32)
    step[..., 4:, :] = 1.0
    magnitude = np.asarray(losses.sobel_magnitude(step))[0, 4, :, 0]
    np.testing.assert_allclose(magnitude[2:6], [0, 4, 4, 0], atol=1e-5)


def _perfect(image):
    names = ("real_blurry", "real_clear", "cycled_blurry", "cycled_clear", "same_clear", "same_blurry")
    images = {name: image for name in names}
    ones, zeros = np.ones((2, 6, 6, 1), np.float32), np.zeros((2, 6, 6, 1), np.float32)
    scores = {"clear_of_fake": ones, "blurry_of_fake": ones, "clear_of_real": ones,
              "blurry_of_real": ones, "clear_of_pooled": zeros, "blurry_of_pooled": zeros}
    return images, scores


def test_cycle_gan_losses_vanish_when_everything_is_perfect(image):
    images, scores = _perfect(image)
    terms = losses.cycle_gan_losses(CycleGanLossWeights(), images, scores)
    for name in ("generators", "adversarial", "cycle", "identity", "ssim", "disc_clear", "disc_blurry"):
        assert value(terms[name]) == pytest.approx(0.0, abs=1e-6), name


def test_cycle_gan_losses_are_weighted(image):
    images, scores = _perfect(image)
    images["cycled_clear"] = image + 0.1
    images["same_blurry"] = image - 0.2
    scores["clear_of_fake"] = np.zeros_like(scores["clear_of_fake"])
    weights = CycleGanLossWeights(adversarial=2.0, cycle=10.0, identity=5.0, ssim=0.0, edge=0.0)
    terms = losses.cycle_gan_losses(weights, images, scores)
    assert value(terms["cycle"]) == pytest.approx(0.1, abs=1e-6)
    assert value(terms["identity"]) == pytest.approx(0.2, abs=1e-6)
    assert value(terms["adversarial"]) == pytest.approx(1.0)
    assert value(terms["generators"]) == pytest.approx(2.0 * 1.0 + 10 * 0.1 + 5 * 0.2, abs=1e-5)


def _blurred_textures(widths, seed):
    """White-noise textures of 64 px, each blurred by a Gaussian of one of ``widths`` (px)."""
    rng = np.random.default_rng(seed)
    images = [ndimage.gaussian_filter(rng.random((64, 64)), width, mode="wrap") for width in widths]
    return np.stack(images)[..., None].astype(np.float32)


def test_spectral_distance_is_zero_for_the_same_batch_and_blind_to_gain_and_offset():
    batch = _blurred_textures([1.0, 2.0, 3.0, 2.0], seed=0)
    assert value(losses.spectral_distance(batch, batch)) == pytest.approx(0.0, abs=1e-6)
    assert value(losses.spectral_distance(3.0 * batch + 0.2, batch)) == pytest.approx(0.0, abs=1e-3)


def test_spectral_distance_prefers_the_true_width_on_other_content():
    target = _blurred_textures([2.0] * 8, seed=1)
    distances = {width: value(losses.spectral_distance(_blurred_textures([width] * 8, seed=2), target))
                 for width in (1.5, 2.0, 2.5)}
    assert distances[2.0] < min(distances[1.5], distances[2.5])


def test_spectral_distance_sees_how_much_the_width_varies():
    """A folder mixing widths 1 and 3 px is closer to another such folder than to one of constant width."""
    mixed = _blurred_textures([1.0, 3.0] * 4, seed=3)
    same_spread = _blurred_textures([1.0, 3.0] * 4, seed=4)
    constant = _blurred_textures([np.sqrt(3.0)] * 8, seed=4)  # the geometric mean width of 1 and 3
    assert value(losses.spectral_distance(same_spread, mixed)) < value(losses.spectral_distance(constant, mixed))
