"""Classical baselines: Wiener, self-tuned Wiener, Richardson-Lucy, blind deconvolution, unsharp mask.

As scikit-image's tests, the tests on the blurred phantom run for float32 and
float64 input; every method works in float32 and returns float32.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage import restoration
from skimage.metrics import peak_signal_noise_ratio

from cyclesem.restore import classical
from synth.blur import blur
from synth.phantoms import make_phantom
from cyclesem.restore.classical.psf import gaussian_psf


def _psnr(clear, image):
    return peak_signal_noise_ratio(clear, image, data_range=1.0)


@pytest.fixture(scope="module")
def clear():
    return make_phantom("porous", 128, seed=1)


DTYPES = ("float32", "float64")
TOLERANCE = {"float32": 1e-5, "float64": 1e-5}  # of a float64 input against the float32 one (both run in float32)


@pytest.fixture(scope="module", params=DTYPES)
def blurred(clear, request):
    """A clear phantom blurred by a Gaussian of sigma 2 px, with little noise, in each input dtype."""
    psf = gaussian_psf(2.0)
    noisy = blur(clear, psf) + np.random.default_rng(0).normal(0.0, 0.003, clear.shape)
    return noisy.astype(np.float32).astype(request.param), psf


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", [
    lambda image, psf: classical.wiener(image, psf, balance=1e-3),
    lambda image, psf: classical.wiener(image, psf, balance=1e-3, pad=False),
    lambda image, psf: classical.richardson_lucy(image, psf, num_iter=5),
    lambda image, psf: classical.unsharp_mask(image),
], ids=["wiener", "wiener_periodic", "richardson_lucy", "unsharp_mask"])
def test_every_input_dtype_gives_float32_and_the_same_result(clear, method, dtype):
    psf = gaussian_psf(2.0)
    image = blur(clear, psf).astype(np.float32)
    reference = method(image, psf)
    result = method(image.astype(dtype), psf)
    assert result.dtype == np.float32 and result.shape == image.shape
    np.testing.assert_allclose(result, reference, atol=TOLERANCE[dtype])


def test_wiener_with_true_psf_raises_psnr_by_several_db(clear, blurred):
    image, psf = blurred
    restored = classical.wiener(image, psf, balance=3e-4)
    assert restored.dtype == np.float32 and restored.shape == image.shape
    assert _psnr(clear, restored) > _psnr(clear, image) + 3.0


@pytest.mark.parametrize("pad", [True, False])
def test_wiener_is_at_least_as_good_as_scikit_image_on_the_same_input(clear, blurred, pad):
    image, psf = blurred
    for balance in (1e-3, 1e-2):
        ours = classical.wiener(image, psf, balance=balance, pad=pad)
        theirs = restoration.wiener(image, psf, balance, clip=False)
        assert _psnr(clear, ours) >= _psnr(clear, theirs)


def test_wiener_borders_do_not_ring(clear, blurred):
    """Mirrored, tapered padding: the border band is restored about as well as the inside."""
    image, psf = blurred
    restored = classical.wiener(image, psf, balance=1e-3)
    periodic = restoration.wiener(image, psf, 1e-3, clip=False)  # wraps around
    band = np.ones(image.shape, bool)
    band[12:-12, 12:-12] = False
    ours, theirs = (_psnr(clear[band], x[band]) for x in (restored, periodic))
    assert ours > theirs + 1.0
    assert ours > _psnr(clear[~band], restored[~band]) - 3.0


def test_wiener_keeps_values_outside_the_unit_range(blurred):
    image, psf = blurred
    shifted = 3.0 * image - 1.0  # a float image in other units: nothing may be clipped
    restored = classical.wiener(shifted, psf, balance=1e-3)
    assert restored.min() < -0.5 and restored.max() > 1.5
    np.testing.assert_allclose(restored, 3.0 * classical.wiener(image, psf, balance=1e-3) - 1.0, atol=2e-4)


def test_noise_sigma_is_estimated_from_a_blurred_image(clear):
    image = blur(clear, gaussian_psf(2.0)) + np.random.default_rng(2).normal(0.0, 0.02, clear.shape)
    assert classical.estimate_noise_sigma(image) == pytest.approx(0.02, rel=0.15)


@pytest.mark.parametrize("noise", [0.003, 0.03])
def test_self_tuned_wiener_is_close_to_the_best_balance(clear, noise):
    psf = gaussian_psf(2.0)
    image = blur(clear, psf) + np.random.default_rng(4).normal(0.0, noise, clear.shape)
    best = max(_psnr(clear, classical.wiener(image, psf, balance=b)) for b in np.logspace(-5, 0, 11))
    tuned = _psnr(clear, classical.self_tuned_wiener(image, psf))
    assert tuned > _psnr(clear, image) + 1.5
    assert tuned > best - 1.0


def test_richardson_lucy_raises_psnr(clear, blurred):
    image, psf = blurred
    plain = classical.richardson_lucy(image, psf, num_iter=30)
    with_tv = classical.richardson_lucy(image, psf, num_iter=30, tv_weight=0.005)
    assert plain.dtype == np.float32
    assert _psnr(clear, plain) > _psnr(clear, image) + 2.0
    assert _psnr(clear, with_tv) > _psnr(clear, image) + 2.0


def test_richardson_lucy_handles_negative_values_without_clipping(blurred):
    image, psf = blurred
    restored = classical.richardson_lucy(image - 0.5, psf, num_iter=10)
    assert np.isfinite(restored).all() and restored.min() < -0.3


def test_blind_deconvolution_raises_psnr_without_the_psf(clear, blurred):
    image, _ = blurred
    restored, psf = classical.blind_deconvolution(image)
    assert psf.sum() == pytest.approx(1.0, abs=1e-5)
    assert _psnr(clear, restored) > _psnr(clear, image) + 1.5


def test_unsharp_mask_sharpens_and_keeps_the_mean(blurred):
    image, _ = blurred
    sharpened = classical.unsharp_mask(image, radius=2.0, amount=1.0)
    assert np.abs(np.diff(sharpened)).mean() > 1.3 * np.abs(np.diff(image)).mean()
    assert sharpened.mean() == pytest.approx(image.mean(), abs=1e-3)


def test_bad_inputs_are_refused(blurred):
    image, psf = blurred
    with pytest.raises(ValueError):
        classical.wiener(np.zeros((4, 4, 3)), psf)
    with pytest.raises(ValueError):
        classical.wiener(image, np.zeros((3, 3)))
    with pytest.raises(ValueError):
        classical.richardson_lucy(image, psf, tv_weight=0.5)
