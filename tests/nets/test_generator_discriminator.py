"""Tests of cyclesem.nets: shared layers, the generator and the discriminator."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cyclesem.config import build  # noqa: E402
from cyclesem.nets import build_discriminator, build_generator  # noqa: E402
from cyclesem.nets.layers import (  # noqa: E402
    InstanceNormalization,
    ReflectPadToMultiple,
    frozen_statistics,
)
from cyclesem.config.cyclegan import PRESETS, DiscriminatorSettings, GeneratorSettings  # noqa: E402
from tests.helpers import randomise_output, tiny_generator  # noqa: E402


@pytest.fixture(scope="module")
def generator():
    keras.utils.set_random_seed(0)
    return tiny_generator()


@pytest.mark.parametrize("shape", [(37, 53), (5, 3), (64, 48)])
def test_generator_keeps_any_height_and_width(generator, shape):
    images = np.random.default_rng(1).random((2, *shape, 1)).astype(np.float32)
    assert generator(images, training=False).shape == (2, *shape, 1)


def test_fresh_generator_is_the_identity(generator):
    images = np.random.default_rng(2).random((2, 37, 53, 1)).astype(np.float32)
    for training in (True, False):
        np.testing.assert_array_equal(np.asarray(generator(images, training=training)), images)


def test_generator_residual_is_bounded():
    keras.utils.set_random_seed(1)
    network = tiny_generator(residual_scale=0.25)
    randomise_output(network)
    images = np.random.default_rng(3).random((1, 40, 40, 1)).astype(np.float32)
    change = np.abs(np.asarray(network(images, training=True)) - images)
    assert 0.01 < change.max() <= 0.25


def test_generator_has_fourteen_multiscale_blocks_by_default():
    settings = GeneratorSettings(width=4)
    network = build_generator(settings)
    fuses = [layer for layer in network.layers if layer.name.endswith("_fuse_conv")]
    assert settings.total_blocks == len(fuses) == 14
    strided = [layer for layer in network.layers
               if getattr(layer, "strides", (1, 1)) == (2, 2)]
    assert len(strided) == 8  # four down, four up


def test_mixed_precision_generator_returns_float32():
    network = build_generator(build(GeneratorSettings, PRESETS["tiny"]["model"]["generator"]),
                              dtype_policy="mixed_float16")
    output = network(np.zeros((1, 32, 32, 1), np.float32))
    assert keras.backend.standardize_dtype(output.dtype) == "float32"
    assert network.get_layer("stem_conv").compute_dtype == "float16"


@pytest.mark.parametrize("shape,scores", [((37, 53), (5, 7)), ((64, 64), (8, 8))])
def test_discriminator_scores_patches(shape, scores):
    network = build_discriminator(DiscriminatorSettings(width=4))
    images = np.zeros((2, *shape, 1), np.float32)
    assert network(images).shape == (2, *scores, 1)
    convs = [layer for layer in network.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.strides[0] for c in convs] == [2, 2, 2, 1, 1]
    assert all(c.kernel_size == (4, 4) for c in convs)


@pytest.mark.parametrize("size", [37, 16, 5, 1])
def test_reflect_padding_matches_numpy(size):
    image = np.random.default_rng(4).random((1, size, size + 3, 2)).astype(np.float32)
    padded = np.asarray(ReflectPadToMultiple(16)(image))
    rows, cols = (-size) % 16, (-(size + 3)) % 16
    expected = np.pad(image, ((0, 0), (0, rows), (0, 0), (0, 0)), mode="reflect" if size > 1 else "edge")
    expected = np.pad(expected, ((0, 0), (0, 0), (0, cols), (0, 0)), mode="reflect")
    np.testing.assert_array_equal(padded, expected)


def _norm_pair(channels=3, seed=5):
    rng = np.random.default_rng(seed)
    ours, reference = InstanceNormalization(), keras.layers.GroupNormalization(groups=-1)
    ours.build((None, None, None, channels))
    reference.build((None, None, None, channels))
    gamma, beta = rng.normal(1, 0.3, channels), rng.normal(0, 0.3, channels)
    ours.gamma.assign(gamma)
    ours.beta.assign(beta)
    reference.set_weights([gamma, beta])
    return ours, reference


def test_instance_norm_in_training_is_group_norm_per_channel():
    ours, reference = _norm_pair()
    x = np.random.default_rng(6).normal(2, 3, (2, 9, 11, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(ours(x, training=True)), np.asarray(reference(x)),
                               atol=2e-5)


def test_instance_norm_at_inference_uses_moving_statistics():
    ours, _ = _norm_pair()
    rng = np.random.default_rng(7)
    first, second = (rng.normal(m, s, (2, 8, 8, 3)).astype(np.float32) for m, s in ((1, 2), (3, 4)))
    ours(first, training=True)  # the first update takes the statistics as they are
    ours(second, training=True)  # the second averages with them
    means = [x.mean(axis=(1, 2)).mean(axis=0) for x in (first, second)]
    variances = [x.var(axis=(1, 2)).mean(axis=0) for x in (first, second)]
    moving_mean, moving_var = np.mean(means, axis=0), np.mean(variances, axis=0)
    np.testing.assert_allclose(np.asarray(ours.moving_mean.value), moving_mean, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(ours.moving_variance.value), moving_var, rtol=1e-5)
    probe = rng.normal(0, 1, (1, 4, 4, 3)).astype(np.float32)
    gamma, beta = np.asarray(ours.gamma.value), np.asarray(ours.beta.value)
    expected = (probe - moving_mean) / np.sqrt(moving_var + 1e-3) * gamma + beta
    np.testing.assert_allclose(np.asarray(ours(probe, training=False)), expected, atol=1e-5)


def test_frozen_statistics_keeps_moving_averages(generator):
    images = np.random.default_rng(8).random((1, 32, 32, 1)).astype(np.float32)
    norm = generator.get_layer("stem_norm")
    before = np.asarray(norm.moving_mean.value).copy()
    with frozen_statistics(generator):
        generator(images, training=True)
    np.testing.assert_array_equal(np.asarray(norm.moving_mean.value), before)
    assert norm.update_statistics
    generator(images, training=True)
    assert not np.array_equal(np.asarray(norm.moving_mean.value), before)


def test_generator_round_trips_through_keras_file_in_safe_mode(tmp_path):
    keras.utils.set_random_seed(2)
    network = tiny_generator()
    randomise_output(network)
    images = np.random.default_rng(9).random((1, 37, 53, 1)).astype(np.float32)
    network(images, training=True)  # moving statistics away from their start
    network.save(tmp_path / "generator.keras")
    loaded = keras.saving.load_model(tmp_path / "generator.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(images, training=False)),
                               np.asarray(network(images, training=False)), atol=1e-6)
