"""Tiled prediction of large images with smooth-window blending (numpy only).

A network that down-samples by ``stride`` (16 for the generators) is
translation-equivariant only for shifts that are multiples of ``stride``, and
its output near a tile's edge is spoiled by the padding it sees there. So:

* the image is (virtually) reflection-padded to a multiple of ``stride``, the
  way the network pads a whole image itself;
* tiles have sides that are multiples of ``stride`` and origins on the same
  grid, so every tile sees the same pixels at the same phase as the whole
  image would;
* where two tiles meet, each discards at least ``margin`` pixels of its edge
  and the two cross-fade over ``blend`` pixels with a raised-cosine window
  (flat in the centre). Tiles that touch the image border keep their full
  weight there, so border pixels see exactly the padding the whole image
  would see;
* tiles are as few as the largest allowed side needs, and shrunk to the
  smallest side that still covers the image, so little work is repeated.

Windows are separable and normalised per axis, so the weights of all tiles sum
to 1 at every pixel: a constant prediction stays constant (no seams), and
output accumulates straight into the result, one tile at a time. Tiles run in
row-major order (strips of tile rows); the only full-size array is the output.
Padding is never materialised: a tile gathers its pixels through reflected
indices, so memory beyond the input and output is a few tiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

__all__ = [
    "DEFAULT_TILE",
    "AxisPlan",
    "Tile",
    "TilePlan",
    "TileSpec",
    "plan_axis",
    "predict_tiled",
    "reflect_index",
    "stride_padding",
]


DEFAULT_TILE = 512
"""px: the largest tile side of ``cyclesem enhance --tile`` and the napari widget."""


@dataclass(frozen=True)
class TileSpec:
    """How to cut an image into tiles.

    Parameters
    ----------
    tile : int
        Largest tile side in pixels; rounded up to a multiple of ``stride``.
        Tiles shrink to the smallest size that covers the image with as many
        tiles as the largest size needs.
    margin : int
        Pixels at each inner tile edge given zero weight (the network's
        context there is spoiled by padding).
    blend : int
        Length of the raised-cosine cross-fade between neighbouring tiles.
    stride : int
        The network's total down-sampling factor.
    batch : int
        Tiles handed to the network at once.
    """

    tile: int = 512
    margin: int = 32
    blend: int = 32
    stride: int = 16
    batch: int = 1

    def check(self) -> list[str]:
        """Problems with the settings (empty when they are usable)."""
        problems = []
        if self.stride < 1:
            problems.append(f"stride must be >= 1, got {self.stride}")
        if self.margin < 0 or self.blend < 0:
            problems.append(f"margin and blend must be >= 0, got {self.margin} and {self.blend}")
        if self.batch < 1:
            problems.append(f"batch must be >= 1, got {self.batch}")
        if self.stride >= 1 and self.side < self.overlap + self.stride:
            problems.append(
                f"tile must be at least 2 * margin + blend + stride (rounded to the stride) = "
                f"{self.overlap + self.stride} px, got {self.tile}"
            )
        return problems

    @property
    def side(self) -> int:
        """Tile side rounded up to a multiple of ``stride``."""
        return _round_up(self.tile, self.stride)

    @property
    def overlap(self) -> int:
        """Pixels two neighbouring tiles share at least: 2 margins and a blend, on the stride grid."""
        return _round_up(2 * self.margin + self.blend, self.stride)


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def reflect_index(index: np.ndarray, length: int) -> np.ndarray:
    """Map indices outside ``[0, length)`` back by mirror reflection.

    The mirror does not repeat the edge sample (numpy's ``"reflect"`` mode,
    TensorFlow's ``"REFLECT"``); any distance from the image is allowed.
    """
    index = np.asarray(index)
    if length == 1:
        return np.zeros_like(index)
    period = 2 * (length - 1)
    folded = np.mod(index, period)
    return np.where(folded < length, folded, period - folded)


@dataclass(frozen=True)
class AxisPlan:
    """Tiles along one axis, in coordinates of the padded image.

    Attributes
    ----------
    length : int
        Image length along this axis.
    pad_before : int
        Padding before the image (the image starts at this padded coordinate).
    padded : int
        Padded length, a multiple of the stride.
    size : int
        Tile length along this axis.
    origins : tuple of int
        Padded coordinate where each tile starts.
    windows : numpy.ndarray
        ``(len(origins), size)`` float32 weights, summing to 1 over tiles.
    """

    length: int
    pad_before: int
    padded: int
    size: int
    origins: tuple[int, ...]
    windows: np.ndarray

    def source_index(self, k: int) -> np.ndarray:
        """Image indices (reflected) of tile ``k``'s pixels."""
        padded_index = np.arange(self.origins[k], self.origins[k] + self.size)
        return reflect_index(padded_index - self.pad_before, self.length)

    def placement(self, k: int) -> tuple[slice, slice]:
        """``(destination in the image, crop of the tile)`` for tile ``k``."""
        start = max(self.origins[k], self.pad_before)
        stop = min(self.origins[k] + self.size, self.pad_before + self.length)
        dest = slice(start - self.pad_before, stop - self.pad_before)
        return dest, slice(start - self.origins[k], stop - self.origins[k])


def stride_padding(length: int, stride: int) -> tuple[int, int]:
    """Reflection padding ``(before, after)`` that makes ``length`` a multiple of ``stride``.

    All of it goes after the image (bottom, right), as the generators do.
    """
    return 0, _round_up(length, stride) - length


def plan_axis(length: int, spec: TileSpec) -> AxisPlan:
    """Place tiles along an axis of ``length`` pixels.

    Parameters
    ----------
    length : int
        Image length along the axis (>= 1).
    spec : TileSpec
        Tile size, margin, blend and stride.

    Returns
    -------
    AxisPlan
        One tile of the whole padded length when it fits in ``spec.side``;
        otherwise the fewest tiles of at most ``spec.side`` that overlap by
        at least ``spec.overlap``, each shrunk to the smallest multiple of
        the stride that still covers the axis, spread evenly on the stride
        grid, the first and last flush with the padded ends. Each overlap
        holds one cross-fade of ``spec.blend`` pixels in its middle.
    """
    before, after = stride_padding(length, spec.stride)
    padded = before + length + after
    size = _fitted_size(padded, spec)
    origins = _spread_origins(padded - size, size - spec.overlap, spec.stride)
    fades = [(a + b + size - spec.blend) // 2 for a, b in zip(origins[:-1], origins[1:])]
    windows = np.stack(
        [_window(np.arange(o, o + size), k, fades, spec.blend) for k, o in enumerate(origins)]
    )
    total = np.zeros(padded, np.float64)
    for origin, window in zip(origins, windows):
        total[origin : origin + size] += window
    for k, origin in enumerate(origins):
        windows[k] /= total[origin : origin + size]
    return AxisPlan(length, before, padded, size, tuple(origins), windows.astype(np.float32))


def _fitted_size(padded: int, spec: TileSpec) -> int:
    """Smallest tile side (on the stride grid) covering ``padded`` with the fewest tiles."""
    if padded <= spec.side:
        return padded
    count = -(-(padded - spec.overlap) // (spec.side - spec.overlap))
    needed = -(-(padded + (count - 1) * spec.overlap) // count)
    return min(spec.side, _round_up(needed, spec.stride))


def _spread_origins(span: int, max_step: int, stride: int) -> list[int]:
    """Origins from 0 to ``span`` on the stride grid, no gap above ``max_step``."""
    units, max_units = span // stride, max(1, max_step // stride)
    gaps = -(-units // max_units)
    if gaps == 0:
        return [0]
    return [stride * (k * units // gaps) for k in range(gaps + 1)]


def _window(position: np.ndarray, k: int, fades: list[int], blend: int) -> np.ndarray:
    """Tile ``k``'s weights: rise at the previous cross-fade, fall at the next."""
    weight = np.ones(position.shape, np.float64)
    if k > 0:
        weight *= _step(position, fades[k - 1], blend)
    if k < len(fades):
        weight *= 1.0 - _step(position, fades[k], blend)
    return weight


def _step(position: np.ndarray, start: int, blend: int) -> np.ndarray:
    """Raised-cosine step from 0 (before ``start``) to 1 (from ``start + blend`` on).

    A tile rising with ``step`` and its neighbour falling with ``1 - step`` sum
    to exactly 1 sample by sample; ``blend=0`` is a hard cut.
    """
    if blend == 0:
        return (position >= start).astype(np.float64)
    phase = np.clip((position - start + 0.5) / blend, 0.0, 1.0)
    return np.sin(0.5 * np.pi * phase) ** 2


@dataclass(frozen=True)
class Tile:
    """One tile: where its pixels come from, where its output goes, and its weight.

    Attributes
    ----------
    rows, cols : numpy.ndarray
        Image indices of the tile's pixels (reflected at the borders).
    dest : tuple of slice
        Where the cropped output lands in the result.
    crop : tuple of slice
        The part of the tile's output that lies inside the image.
    weight : numpy.ndarray
        Blending weights for the cropped output (float32).
    """

    rows: np.ndarray
    cols: np.ndarray
    dest: tuple[slice, slice]
    crop: tuple[slice, slice]
    weight: np.ndarray

    def extract(self, image: np.ndarray) -> np.ndarray:
        """The tile's pixels of ``image`` as a float32 array."""
        return np.asarray(image[np.ix_(self.rows, self.cols)], np.float32)


@dataclass(frozen=True)
class TilePlan:
    """Tiles covering a 2-D image: the product of a row plan and a column plan."""

    rows: AxisPlan
    cols: AxisPlan

    @classmethod
    def for_shape(cls, shape: tuple[int, int], spec: TileSpec) -> "TilePlan":
        """Plan tiles for an image of ``shape`` (height, width)."""
        problems = spec.check()
        if problems:
            raise ValueError("; ".join(problems))
        height, width = shape
        if height < 1 or width < 1:
            raise ValueError(f"cannot tile an empty image of shape {shape}")
        return cls(plan_axis(height, spec), plan_axis(width, spec))

    @property
    def tile_shape(self) -> tuple[int, int]:
        """Shape of every tile handed to the network."""
        return self.rows.size, self.cols.size

    def __len__(self) -> int:
        return len(self.rows.origins) * len(self.cols.origins)

    def __iter__(self) -> Iterator[Tile]:
        """Tiles in row-major order (one strip of tile rows after another)."""
        for i in range(len(self.rows.origins)):
            rows = self.rows.source_index(i)
            dest_r, crop_r = self.rows.placement(i)
            weight_r = self.rows.windows[i, crop_r]
            for j in range(len(self.cols.origins)):
                dest_c, crop_c = self.cols.placement(j)
                weight = np.outer(weight_r, self.cols.windows[j, crop_c])
                yield Tile(rows, self.cols.source_index(j), (dest_r, dest_c), (crop_r, crop_c), weight)


def predict_tiled(
    image: np.ndarray,
    predict: Callable[[np.ndarray], np.ndarray],
    spec: TileSpec = TileSpec(),
    *,
    out: np.ndarray | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> np.ndarray:
    """Apply ``predict`` to ``image`` tile by tile and blend the results.

    Parameters
    ----------
    image : numpy.ndarray
        2-D image (any real dtype; tiles are handed over as float32).
    predict : callable
        Maps a float32 stack ``(n, h, w)`` of tiles to a stack of the same
        shape; ``n <= spec.batch``.
    spec : TileSpec
        Tile size, margin, blend, stride and batch.
    out : numpy.ndarray, optional
        Float array of ``image.shape`` to write into (it is overwritten).
    progress : callable, optional
        Called as ``progress(finished, total)`` after each batch of tiles with
        the number of tiles it finished and the number of tiles in all.

    Returns
    -------
    numpy.ndarray
        The blended prediction (``out`` if given, else a new float32 array).

    Examples
    --------
    >>> img = np.random.default_rng(0).random((100, 70), dtype=np.float32)
    >>> same = predict_tiled(img, lambda t: t, TileSpec(tile=48, margin=8, blend=16))
    >>> bool(np.allclose(same, img, atol=1e-6))
    True
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {image.shape}")
    plan = TilePlan.for_shape(image.shape, spec)
    if out is None:
        out = np.zeros(image.shape, np.float32)
    else:
        out[...] = 0
    batch: list[Tile] = []
    for tile in plan:
        batch.append(tile)
        if len(batch) == spec.batch:
            _run_batch(image, predict, batch, out)
            batch = []
            if progress is not None:
                progress(spec.batch, len(plan))
    if batch:
        _run_batch(image, predict, batch, out)
        if progress is not None:
            progress(len(batch), len(plan))
    return out


def _run_batch(image, predict, tiles: list[Tile], out: np.ndarray) -> None:
    stack = np.stack([tile.extract(image) for tile in tiles])
    result = np.asarray(predict(stack))
    if result.shape != stack.shape:
        raise ValueError(f"prediction has shape {result.shape}, expected {stack.shape}")
    for tile, prediction in zip(tiles, result):
        out[tile.dest] += prediction[tile.crop] * tile.weight
