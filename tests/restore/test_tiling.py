"""Tests for cyclesem.restore.tiling: coverage, weights, equivalence and seams."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from cyclesem.restore.tiling import TilePlan, TileSpec, plan_axis, predict_tiled, reflect_index

SPEC = TileSpec(tile=64, margin=8, blend=16, stride=16)


def _pad_to_stride(image: np.ndarray, stride: int) -> np.ndarray:
    rows, cols = (-image.shape[0]) % stride, (-image.shape[1]) % stride
    return np.pad(image, ((0, rows), (0, cols)), mode="reflect")


def _local_net(stack: np.ndarray) -> np.ndarray:
    """A 'network' with a 9x9 receptive field and zero padding at its borders."""
    kernel = np.arange(81, dtype=np.float64).reshape(9, 9) / 3240.0
    return np.stack([ndimage.convolve(t, kernel, mode="constant") for t in stack]).astype(np.float32)


def _strided_net(stack: np.ndarray) -> np.ndarray:
    """A 'network' equivariant only to shifts by multiples of 16 (pool, then upsample)."""
    out = []
    for t in stack:
        pooled = t.reshape(t.shape[0] // 16, 16, t.shape[1] // 16, 16).mean(axis=(1, 3))
        pooled = ndimage.uniform_filter(pooled, 3, mode="constant")
        out.append(np.kron(pooled, np.ones((16, 16))) + 0.5 * t)
    return np.asarray(out, np.float32)


def _whole(image: np.ndarray, net) -> np.ndarray:
    """What the network gives on the whole image (padded to the stride like a generator)."""
    padded = _pad_to_stride(image, 16)
    return net(padded[np.newaxis].astype(np.float32))[0][: image.shape[0], : image.shape[1]]


@pytest.mark.parametrize("length", [1, 5, 16, 17, 63, 64, 65, 100, 201, 512, 1000])
def test_axis_windows_cover_and_sum_to_one(length):
    plan = plan_axis(length, SPEC)
    assert plan.padded % 16 == 0 and plan.padded >= length
    assert all(o % 16 == 0 for o in plan.origins)
    total = np.zeros(plan.padded)
    for origin, window in zip(plan.origins, plan.windows):
        total[origin : origin + plan.size] += window
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


@pytest.mark.parametrize("length", [65, 200, 513, 1000, 2048])
def test_tiles_are_as_few_and_as_small_as_cover_the_axis(length):
    plan = plan_axis(length, SPEC)
    count, size = len(plan.origins), plan.size
    assert size <= SPEC.side and size % 16 == 0
    assert min(size - np.diff(plan.origins), default=SPEC.overlap) >= SPEC.overlap
    assert (count - 1) * SPEC.side - (count - 2) * SPEC.overlap < plan.padded  # one tile fewer fails
    smaller = size - 16
    assert count * smaller - (count - 1) * SPEC.overlap < plan.padded  # a smaller tile fails


def test_inner_tile_edges_get_zero_weight_and_border_edges_full_weight():
    plan = plan_axis(300, SPEC)
    assert len(plan.origins) > 2
    assert plan.windows[0][0] == 1.0 and plan.windows[-1][-1] == 1.0
    for window in plan.windows[1:]:
        assert np.all(window[: SPEC.margin] == 0)
    for window in plan.windows[:-1]:
        assert np.all(window[-SPEC.margin :] == 0)


def test_reflect_index_mirrors_without_repeating_the_edge():
    np.testing.assert_array_equal(reflect_index(np.arange(-3, 8), 5), [3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1])
    np.testing.assert_array_equal(reflect_index(np.arange(-2, 3), 1), [0, 0, 0, 0, 0])


@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (16, 16), (45, 130), (131, 77), (200, 200)])
def test_identity_network_gives_back_the_image(shape):
    image = np.random.default_rng(1).random(shape, dtype=np.float32)
    out = predict_tiled(image, lambda t: t, SPEC)
    assert out.dtype == np.float32 and out.shape == shape
    np.testing.assert_allclose(out, image, atol=1e-6)


@pytest.mark.parametrize(
    "net, spec",
    [(_local_net, SPEC), (_strided_net, TileSpec(tile=96, margin=16, blend=16))],  # margin >= reach
)
@pytest.mark.parametrize("shape", [(192, 256), (150, 231)])
def test_tiled_matches_whole_image(net, spec, shape):
    image = np.random.default_rng(2).random(shape, dtype=np.float32)
    assert len(TilePlan.for_shape(shape, spec)) > 4
    np.testing.assert_allclose(predict_tiled(image, net, spec), _whole(image, net), atol=1e-5)


def test_batches_of_tiles_give_the_same_result_and_report_progress():
    image = np.random.default_rng(3).random((150, 170), dtype=np.float32)
    done = []
    one = predict_tiled(image, _local_net, SPEC)
    spec = TileSpec(tile=64, margin=8, blend=16, batch=3)
    many = predict_tiled(image, _local_net, spec, progress=lambda n, total: done.append((n, total)))
    np.testing.assert_allclose(many, one, atol=1e-6)
    total = len(TilePlan.for_shape(image.shape, SPEC))
    assert sum(n for n, _ in done) == total and {t for _, t in done} == {total}
    assert max(n for n, _ in done) == 3


def test_no_seams_when_tiles_disagree():
    """Each tile adds its own offset: the blend must ramp, never step."""
    ramp = np.tile(np.linspace(0, 1, 300, dtype=np.float32), (40, 1))
    offsets = iter(np.random.default_rng(4).random(100) * 0.1)
    spec = TileSpec(tile=96, margin=8, blend=32)
    out = predict_tiled(ramp, lambda t: t + np.float32(next(offsets)), spec)
    steps = np.abs(np.diff(out - ramp, axis=1))
    assert steps.max() < 0.1 * np.pi / 2 / 32 * 1.05  # the steepest slope of a 32-px cosine fade


def test_writes_into_given_output_and_rejects_bad_shapes():
    image = np.ones((40, 40), np.float32)
    out = np.full((40, 40), 7.0, np.float32)
    assert predict_tiled(image, lambda t: 2 * t, SPEC, out=out) is out
    np.testing.assert_allclose(out, 2.0)
    with pytest.raises(ValueError, match="prediction has shape"):
        predict_tiled(image, lambda t: t[:, :8], SPEC)
    with pytest.raises(ValueError, match="2-D"):
        predict_tiled(np.ones((2, 3, 4)), lambda t: t, SPEC)
    with pytest.raises(ValueError, match="at least"):
        predict_tiled(image, lambda t: t, TileSpec(tile=32, margin=8, blend=16))
