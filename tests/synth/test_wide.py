"""Tests for synth.wide: the widely randomised degradations of the pretrained models."""

from __future__ import annotations

import numpy as np
import pytest

from synth import wide


def _texture(size=64, seed=0):
    rng = np.random.default_rng(seed)
    return np.clip(0.5 + 0.2 * rng.standard_normal((size, size)), 0, 1).astype(np.float32)


@pytest.mark.parametrize("width", [1.5, 6.0])
def test_lorentzian_psf_sums_to_one_and_is_centred(width):
    psf = wide.lorentzian_psf(width, 20)
    assert psf.shape == (41, 41) and psf.sum() == pytest.approx(1.0, abs=1e-5)
    assert np.unravel_index(np.argmax(psf), psf.shape) == (20, 20)
    np.testing.assert_allclose(psf, psf[::-1, ::-1], atol=1e-7)


def test_mixed_psf_weights_core_and_tail():
    core, tail = np.ones((1, 1), np.float32), wide.lorentzian_psf(3.0, 5)
    mixed = wide.mixed_psf(core, tail, 0.25)
    assert mixed.shape == (11, 11) and mixed.sum() == pytest.approx(1.0, abs=1e-5)
    assert mixed[5, 5] == pytest.approx(0.75 + 0.25 * tail[5, 5], rel=1e-5)


def test_deblur_draws_an_in_focus_probe_within_its_range():
    draws = [wide.draw_deblur(np.random.default_rng(seed)) for seed in range(40)]
    sigmas = np.array([d.in_focus_sigma for d in draws])
    low, high = wide.IN_FOCUS_SIGMA
    assert sigmas.min() >= low and sigmas.max() <= high and sigmas.std() > 0.3
    assert all(d.psf.sum() == pytest.approx(1.0, abs=1e-4) for d in draws)
    assert all(wide.draw_denoise(np.random.default_rng(s)).in_focus_sigma == 0.0 for s in range(5))


def test_deblur_blurs_wide_only_with_defocus_discs(monkeypatch):
    probes, discs = [], []
    gaussian, disk = wide.gaussian_psf, wide.disk_psf
    monkeypatch.setattr(wide, "gaussian_psf", lambda sigma, *a, **k: probes.append(sigma) or gaussian(sigma, *a, **k))
    monkeypatch.setattr(wide, "disk_psf", lambda radius, *a, **k: discs.append(radius) or disk(radius, *a, **k))
    for seed in range(200):
        wide.draw_deblur(np.random.default_rng(seed))
    assert max(probes) <= 4.0 and max(discs) > 16.0
    assert 0.45 < len(discs) / 200 < 0.65 and 0.25 < len(probes) / 200 < 0.45


def test_in_focus_target_keeps_the_mean_and_softens_detail():
    clean = _texture()
    target = wide.in_focus(clean, wide.WideDegradation(psf=np.ones((1, 1), np.float32), in_focus_sigma=2.0))
    assert target.dtype == np.float32 and target.shape == clean.shape
    assert target.mean() == pytest.approx(clean.mean(), abs=1e-3)
    assert np.abs(np.diff(target, axis=1)).mean() < 0.5 * np.abs(np.diff(clean, axis=1)).mean()
    unchanged = wide.in_focus(clean, wide.WideDegradation(psf=np.ones((1, 1), np.float32)))
    np.testing.assert_array_equal(unchanged, clean)
    assert unchanged is not clean


def test_apply_without_blur_noise_or_intensity_change_returns_the_image():
    clean = _texture()
    out = wide.apply(clean, wide.WideDegradation(psf=np.ones((1, 1), np.float32)), np.random.default_rng(0))
    np.testing.assert_allclose(out, clean, atol=1e-6)


def test_apply_is_a_pure_function_of_the_generator():
    clean = _texture()
    params = wide.draw_deblur(np.random.default_rng(3))
    first = wide.apply(clean, params, np.random.default_rng(9))
    again = wide.apply(clean, params, np.random.default_rng(9))
    np.testing.assert_array_equal(first, again)


def test_deblur_draws_change_the_scene_not_the_degraded_side_alone():
    draws = [wide.draw_deblur(np.random.default_rng(seed)) for seed in range(40)]
    assert all((d.gain, d.offset, d.gamma, d.veil) == (1.0, 0.0, 1.0, 0.0) for d in draws)
    assert 10 < sum(d.scene_invert for d in draws) < 30
    assert 10 < sum(d.scene_edges > 0 for d in draws) < 30
    assert np.std([d.scene_gain for d in draws]) > 0.05


def test_edge_effect_is_bright_on_edges_and_dark_on_flat_ground():
    step = np.zeros((32, 32), np.float32)
    step[:, 16:] = 1.0
    edges = wide.edge_effect(step, 1.0)
    assert edges.dtype == np.float32 and edges.min() >= 0.0 and edges.max() == pytest.approx(1.0)
    assert edges[:, 15:17].mean() > 0.9 and edges[:, :8].max() < 0.05 and edges[:, 24:].max() < 0.05


def test_scene_changes_reach_the_target_and_so_the_degraded_image():
    clean = _texture()
    inverted = wide.WideDegradation(psf=np.ones((1, 1), np.float32), scene_invert=True, scene_gain=0.5)
    target = wide.in_focus(clean, inverted)
    np.testing.assert_allclose(target, np.clip(0.5 * (1.0 - clean), 0, 1), atol=1e-6)
    np.testing.assert_allclose(wide.apply(target, inverted, np.random.default_rng(0)), target, atol=1e-6)
