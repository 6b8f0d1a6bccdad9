"""Fog: I = J t + A (1 - t), transmission maps and the charging glow."""

from __future__ import annotations

import numpy as np
import pytest

from synth import fog


def test_fog_limits():
    image = np.random.default_rng(0).random((32, 32)).astype(np.float32)
    np.testing.assert_allclose(fog.apply_fog(image, 1.0, 0.8), image, atol=1e-7)
    np.testing.assert_allclose(fog.apply_fog(image, 0.0, 0.8), 0.8, atol=1e-7)
    t = np.full_like(image, 0.25)
    np.testing.assert_allclose(fog.apply_fog(image, t, 0.8), 0.25 * image + 0.75 * 0.8, atol=1e-6)


def test_transmission_map_statistics_and_smoothness():
    t = fog.transmission_map((256, 256), 0.6, 0.1, 0.3, np.random.default_rng(1))
    assert t.dtype == np.float32 and 0.0 <= t.min() and t.max() <= 1.0
    assert t.mean() == pytest.approx(0.6, abs=0.05)
    assert 0.05 < t.std() < 0.15
    assert np.abs(np.diff(t, axis=1)).max() < 0.02  # low frequency: no pixel-scale change


def test_constant_transmission_draws_nothing():
    generator = np.random.default_rng(2)
    t = fog.transmission_map((8, 8), 0.7, 0.0, 0.3, generator)
    np.testing.assert_array_equal(t, np.float32(0.7))
    assert generator.random() == np.random.default_rng(2).random()


def test_smooth_field_scale_sets_blob_size():
    fine = fog.smooth_field((256, 256), 0.05, np.random.default_rng(3))
    coarse = fog.smooth_field((256, 256), 0.5, np.random.default_rng(3))
    assert np.abs(np.diff(fine, axis=0)).mean() > 4 * np.abs(np.diff(coarse, axis=0)).mean()
    assert fine.shape == (256, 256) and fog.smooth_field((30, 70), 0.3, np.random.default_rng(0)).shape == (30, 70)


def test_charging_glow_is_bright_blobs_in_unit_range():
    glow = fog.charging_glow((128, 128), 0.3, np.random.default_rng(4))
    assert glow.min() >= 0.0 and 0.9 < glow.max() <= 1.0
    assert (glow == 0).mean() > 0.2  # dark background between the blobs
