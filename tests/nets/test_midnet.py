"""Tests for cyclesem.nets.midnet: MID blocks, attention gates, TLC pooling, U-shape."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cyclesem.errors import CyclesemError  # noqa: E402
from cyclesem.nets import midnet  # noqa: E402
from cyclesem.config import supervised  # noqa: E402
from cyclesem.config.supervised import MIDNET_PRESETS  # noqa: E402
from cyclesem.nets.midnet import (  # noqa: E402
    AttentionGate,
    MidBlock,
    PixelShuffle,
    SimplifiedChannelAttention,
    build_midnet,
    local_mean,
    with_local_pool,
)
from tests.helpers import wake_blocks  # noqa: E402

ODD_SHAPE = (2, 37, 45)


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def test_fresh_block_is_exactly_the_identity():
    features = _random((*ODD_SHAPE, 8))
    block = MidBlock(8)
    np.testing.assert_array_equal(np.asarray(block(features)), features)


def test_block_with_scales_changes_features_and_keeps_shape():
    features = _random((*ODD_SHAPE, 8))
    block = MidBlock(8)
    block(features)
    block.beta.assign(np.ones(8, "float32"))
    block.gamma.assign(np.ones(8, "float32"))
    out = np.asarray(block(features))
    assert out.shape == features.shape
    assert np.abs(out - features).mean() > 1e-3


def test_attention_gate_shape_range_and_merge():
    encoder, decoder = _random((*ODD_SHAPE, 6), 2), _random((*ODD_SHAPE, 6), 3)
    gate = AttentionGate(6)
    merged = np.asarray(gate([encoder, decoder]))
    alpha = np.asarray(gate.coefficients(encoder, decoder))
    assert alpha.shape == (*ODD_SHAPE, 1)
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0 and alpha.std() > 0
    np.testing.assert_allclose(merged, decoder + alpha * encoder, atol=1e-6)


def test_pixel_shuffle_moves_channels_to_2x2_blocks():
    features = np.arange(2 * 3 * 5 * 12, dtype="float32").reshape(2, 3, 5, 12)
    out = np.asarray(PixelShuffle(2)(features))
    expected = features.reshape(2, 3, 5, 2, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(2, 6, 10, 3)
    np.testing.assert_array_equal(out, expected)


def _local_mean_reference(image, size):
    """Brute force: mean over the size-window around each pixel, clamped inside."""
    height, width = image.shape[1:3]
    out = np.empty_like(image)
    for row in range(height):
        top = min(max(row - min(size, height) // 2, 0), height - min(size, height))
        for col in range(width):
            left = min(max(col - min(size, width) // 2, 0), width - min(size, width))
            window = image[:, top:top + min(size, height), left:left + min(size, width)]
            out[:, row, col] = window.mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("size", [4, 5])
def test_local_mean_matches_brute_force(size):
    image = _random((2, 9, 11, 3)) + 100.0
    np.testing.assert_allclose(np.asarray(local_mean(image, size)), _local_mean_reference(image, size), atol=1e-4)


def test_local_mean_over_a_window_larger_than_the_image_is_the_global_mean():
    image = _random((2, 9, 11, 3))
    expected = np.broadcast_to(image.mean(axis=(1, 2), keepdims=True), image.shape)
    np.testing.assert_allclose(np.asarray(local_mean(image, 16)), expected, atol=1e-6)


def test_channel_attention_pools_locally_only_at_inference():
    features = _random((1, 20, 24, 4))
    global_layer = SimplifiedChannelAttention(4)
    local_layer = SimplifiedChannelAttention(4, local_pool_size=8)
    global_layer(features)
    local_layer(features)
    local_layer.set_weights(global_layer.get_weights())
    global_out = np.asarray(global_layer(features, training=False))
    np.testing.assert_allclose(np.asarray(local_layer(features, training=True)), global_out, atol=1e-6)
    assert np.abs(np.asarray(local_layer(features, training=False)) - global_out).max() > 1e-3


@pytest.mark.parametrize("skip", ["attention", "add"])
def test_network_keeps_odd_shapes(skip):
    model = build_midnet(**MIDNET_PRESETS["tiny"], skip=skip)
    for shape in [(*ODD_SHAPE, 1), (1, 3, 5, 1)]:  # 3 x 5: smaller than the padding multiple
        images = np.random.default_rng(0).random(shape, dtype="float32")
        out = np.asarray(model(images))
        assert out.shape == images.shape and out.dtype == np.float32
    assert model.name == "gen_blurry_to_clear" and model.output_names == ["enhanced"]
    has_gates = any(isinstance(layer, AttentionGate) for layer in model.layers)
    assert has_gates == (skip == "attention")


def test_local_pool_copy_agrees_below_the_window_and_differs_above_it():
    model = wake_blocks(build_midnet(**MIDNET_PRESETS["tiny"]))
    images = np.random.default_rng(0).random((*ODD_SHAPE, 1), dtype="float32")
    reference = np.asarray(model(images))
    wide = with_local_pool(model, 48)  # the padded 40x48 input fits in the window
    np.testing.assert_allclose(np.asarray(wide(images)), reference, atol=1e-5)
    narrow = with_local_pool(model, 8)
    assert np.abs(np.asarray(narrow(images)) - reference).max() > 1e-4


@pytest.mark.parametrize("skip", ["attention", "add"])
def test_keras_file_round_trip_in_safe_mode(tmp_path, skip):
    model = wake_blocks(with_local_pool(build_midnet(**MIDNET_PRESETS["tiny"], skip=skip), 16))
    images = np.random.default_rng(0).random((1, 33, 40, 1), dtype="float32")
    path = tmp_path / "generator.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(np.asarray(loaded(images)), np.asarray(model(images)))
    blocks = [layer for layer in loaded.layers if isinstance(layer, MidBlock)]
    assert blocks and all(block.local_pool_size == 16 for block in blocks)


def test_invalid_settings_are_listed_in_one_error():
    with pytest.raises(CyclesemError, match="differ in length.*skip must be"):
        build_midnet(8, (1, 1), 1, (1,), skip="concat")


def test_presets_name_the_builder_arguments():
    arguments = set(inspect.signature(build_midnet).parameters)
    assert set(MIDNET_PRESETS) == {"tiny", "small", "paper"}
    for preset in MIDNET_PRESETS.values():
        assert set(preset) <= arguments
    assert MIDNET_PRESETS["paper"] == {"width": 32, "enc_blocks": (1, 1, 1, 28), "middle_blocks": 1,
                                      "dec_blocks": (1, 1, 1, 1)}
    assert supervised.MIDNET_PRESETS is MIDNET_PRESETS
