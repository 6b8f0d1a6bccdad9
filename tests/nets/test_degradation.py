"""Tests of the physical SEM degradation (cyclesem.nets.degradation)."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import ops  # noqa: E402

from cyclesem.nets.degradation import (PARAMETER_COUNT, PARAMETERS, VEIL_GRID,  # noqa: E402
                                       build_degradation, describe, equivalent_sigma, initial_means,
                                       mean_psf, psf_family)


def _values(**changes):
    values = initial_means(2.0)
    for name, value in changes.items():
        values[PARAMETERS.index(name)] = value
    return values


@pytest.mark.parametrize("changes", [{}, {"logit_aspect": -1.0, "angle": 0.7},
                                     {"logit_tail": 0.5, "logit_disc": 1.0, "log_disc_radius": 1.8}])
def test_psf_sums_to_one_and_is_centred(changes):
    psf = ops.convert_to_numpy(psf_family(ops.convert_to_tensor(_values(**changes)[None]), 65, 65))[0]
    assert psf.min() >= 0
    assert psf.sum() == pytest.approx(1.0, abs=1e-5)
    centred = np.fft.fftshift(psf)
    np.testing.assert_allclose(centred, centred[::-1, ::-1], atol=1e-7)  # symmetric about the middle
    rows, cols = np.indices(centred.shape) - 32
    assert abs((centred * rows).sum()) < 1e-4 and abs((centred * cols).sum()) < 1e-4


def test_a_round_gaussian_has_its_sigma():
    psf = mean_psf(_values(log_sigma=np.log(2.5), logit_aspect=20.0, logit_tail=-30.0, logit_disc=-30.0))
    assert equivalent_sigma(psf) == pytest.approx(2.5, rel=0.02)


def _inputs(clear, seed=0):
    rng = np.random.default_rng(seed)
    batch = clear.shape[0]
    return [clear, np.zeros((batch, PARAMETER_COUNT), np.float32),
            rng.standard_normal(clear.shape).astype(np.float32),
            np.zeros((batch, VEIL_GRID, VEIL_GRID), np.float32)]


def test_mean_only_is_the_noise_free_blur_and_keeps_the_mean():
    rng = np.random.default_rng(1)
    clear = rng.random((2, 48, 40, 1)).astype(np.float32)
    model = build_degradation(radius=12, initial_sigma=2.0)
    blurred = np.asarray(model.get_layer("degradation")(_inputs(clear), mean_only=True))
    noisy = np.asarray(model(_inputs(clear)))
    assert blurred.shape == clear.shape
    assert blurred.std() < clear.std()  # blurred
    assert abs(blurred.mean() - clear.mean()) < 0.03  # a PSF of sum 1, near-identity veil and gain
    assert 0 < np.abs(noisy - blurred).mean() < 0.02  # faint noise at the start


def test_gain_and_offset_are_a_frame_applied_to_the_blur_and_to_the_targets():
    """With fit_intensity the degraded image is ``frame(blur + veil)``; ``frame`` maps clear targets alike."""
    rng = np.random.default_rng(4)
    clear = rng.random((2, 32, 32, 1)).astype(np.float32)
    layer = build_degradation(radius=8, initial_sigma=1.5, fit_intensity=True).get_layer("degradation")
    means = layer.means.numpy()
    means[PARAMETERS.index("log_gain")], means[PARAMETERS.index("offset")] = np.log(1.3), -0.1
    layer.means.assign(means)
    inputs = _inputs(clear)
    framed = np.asarray(layer(inputs, mean_only=True))
    unframed = np.asarray(layer(inputs, mean_only=True, framed=False))
    np.testing.assert_allclose(framed, 1.3 * unframed - 0.1, atol=1e-5)
    np.testing.assert_allclose(np.asarray(layer.frame(clear, inputs[1])), 1.3 * clear - 0.1, atol=1e-6)
    plain = build_degradation(radius=8, initial_sigma=1.5).get_layer("degradation")
    plain(inputs)
    np.testing.assert_array_equal(np.asarray(plain.frame(clear, inputs[1])), clear)  # no frame without it


def test_its_parameters_recover_a_known_blur():
    """Fit the mean width to clear/blurred pairs of a tiny problem (sigma 2.6 px, starting at 1.2)."""
    rng = np.random.default_rng(2)
    clear = rng.random((4, 40, 40, 1)).astype(np.float32)
    truth = build_degradation(radius=12, initial_sigma=2.6)
    target = np.asarray(truth.get_layer("degradation")(_inputs(clear), mean_only=True))
    model = build_degradation(radius=12, initial_sigma=1.2)
    layer = model.get_layer("degradation")
    optimizer = keras.optimizers.Adam(0.05)
    tf = pytest.importorskip("tensorflow")
    inputs = [ops.convert_to_tensor(a) for a in _inputs(clear)]
    for _ in range(60):
        with tf.GradientTape() as tape:
            loss = ops.mean(ops.abs(layer(inputs, mean_only=True) - target))
        optimizer.apply_gradients(zip(tape.gradient(loss, [layer.means]), [layer.means]))
    fitted = describe(layer.means.numpy(), layer.spreads.numpy())["psf"]["sigma_major_px"]
    assert fitted == pytest.approx(2.6, rel=0.1)


def test_describe_round_trips_through_json():
    model = build_degradation(radius=8, initial_sigma=1.7)
    layer = model.get_layer("degradation")
    described = json.loads(json.dumps(describe(layer.means.numpy(), layer.spreads.numpy())))
    np.testing.assert_allclose(described["means"], layer.means.numpy(), rtol=1e-6)
    np.testing.assert_allclose(described["spreads"], layer.spreads.numpy(), rtol=1e-5, atol=1e-6)
    assert described["psf"]["sigma_major_px"] == pytest.approx(1.7, rel=1e-5)
    psf = np.asarray(described["psf"]["image"])
    assert psf.shape == (81, 81) and psf.sum() == pytest.approx(1.0, abs=1e-4)


def test_the_degradation_model_saves_and_loads_in_safe_mode(tmp_path):
    model = build_degradation(radius=8, initial_sigma=1.7)
    model.save(tmp_path / "degradation.keras")
    loaded = keras.saving.load_model(tmp_path / "degradation.keras", safe_mode=True)
    clear = np.random.default_rng(3).random((1, 24, 24, 1)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(loaded(_inputs(clear))), np.asarray(model(_inputs(clear))),
                               atol=1e-6)


def test_a_gaussian_psf_ignores_the_tail_and_disc_and_is_described_so():
    values = _values(logit_tail=1.0, logit_disc=1.0, log_disc_radius=2.0)
    gaussian = ops.convert_to_numpy(psf_family(ops.convert_to_tensor(values[None]), 33, 33, "gaussian"))[0]
    alone = ops.convert_to_numpy(psf_family(ops.convert_to_tensor(_values(logit_tail=-40.0, logit_disc=-40.0)[None]),
                                            33, 33))[0]
    np.testing.assert_allclose(gaussian, alone, atol=1e-7)
    described = describe(values, np.zeros(PARAMETER_COUNT), psf_shape="gaussian")["psf"]
    assert described["weights"] == {"gaussian": 1.0, "lorentzian_tail": 0.0, "disc": 0.0}
    layer = build_degradation(radius=8, psf_shape="gaussian").get_layer("degradation")
    assert layer.get_config()["psf_shape"] == "gaussian"
    with pytest.raises(ValueError, match="psf_shape"):
        build_degradation(radius=8, psf_shape="disc")


def test_spread_widths_scale_every_width_by_one_log_uniform_factor_from_the_sigma_draw():
    from scipy.special import ndtr

    layer = build_degradation(radius=8, initial_sigma=2.0, psf_shape="mixture").get_layer("degradation")
    layer(_inputs(np.zeros((1, 24, 24, 1), np.float32)))
    draws = np.random.default_rng(3).standard_normal((64, PARAMETER_COUNT)).astype(np.float32)
    values = np.asarray(layer.draw(draws))
    spread = np.asarray(layer.spread_widths(layer.draw(draws), draws, (0.25, 2.0)))
    means = np.asarray(layer.means)
    factor = np.exp(spread[:, PARAMETERS.index("log_sigma")] - means[PARAMETERS.index("log_sigma")])
    expected = np.exp(np.log(0.25) + np.log(8.0) * ndtr(draws[:, PARAMETERS.index("log_sigma")]))
    np.testing.assert_allclose(factor, expected, rtol=1e-4)
    assert factor.min() >= 0.25 - 1e-6 and factor.max() <= 2.0 + 1e-6
    for name in ("log_tail_width", "log_disc_radius"):  # the PSF's shape is kept: one factor for every width
        np.testing.assert_allclose(spread[:, PARAMETERS.index(name)] - means[PARAMETERS.index(name)],
                                   np.log(factor), atol=1e-5)
    others = [i for i, name in enumerate(PARAMETERS) if name not in ("log_sigma", "log_tail_width", "log_disc_radius")]
    np.testing.assert_array_equal(spread[:, others], values[:, others])


def test_a_spread_call_blurs_less_at_a_small_factor_than_at_a_large_one():
    rng = np.random.default_rng(5)
    clear = rng.random((1, 40, 40, 1)).astype(np.float32)
    layer = build_degradation(radius=12, initial_sigma=3.0).get_layer("degradation")
    inputs = _inputs(clear)
    narrow = np.asarray(layer(inputs, mean_only=True, width_scale=(0.1, 0.1)))
    wide = np.asarray(layer(inputs, mean_only=True, width_scale=(2.0, 2.0)))
    assert np.abs(narrow - clear).mean() < np.abs(wide - clear).mean() / 2
