"""Procedural specimen surfaces: height and material maps for the phantoms.

Each generator takes an image shape and a ``numpy.random.Generator`` and returns
``(height, material)``: float32 maps of the surface height (in pixels) and of
the material's secondary-electron yield (about 0.2 to 0.8).
:mod:`synth.phantoms` turns them into SEM images. Feature sizes are in pixels
and do not depend on the image size; counts grow with the area.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from scipy.spatial import cKDTree

__all__ = ["fractal_noise", "particles", "porous_network", "grains", "fibres", "voronoi"]

_NEIGHBOURS = 6  # seeds searched for a cell's walls


def fractal_noise(shape: tuple[int, int], rng: np.random.Generator, scales=(2, 4, 8, 16, 32), hurst=0.7) -> np.ndarray:
    """Multi-scale noise: octaves of interpolated random grids, amplitude ``scale**hurst``.

    Returns a float32 field of about zero mean and unit standard deviation.
    """
    out = np.zeros(shape, np.float32)
    for scale in scales:
        grid_shape = (math.ceil(shape[0] / scale) + 2, math.ceil(shape[1] / scale) + 2)
        grid = rng.standard_normal(grid_shape).astype(np.float32)
        size = (grid_shape[1] * scale, grid_shape[0] * scale)
        octave = cv2.resize(grid, size, interpolation=cv2.INTER_CUBIC)[scale : scale + shape[0], scale : scale + shape[1]]
        out += octave * np.float32(scale**hurst)
    out -= out.mean()
    out /= max(float(out.std()), 1e-12)
    return out


def particles(shape: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ellipsoidal particles of log-normal sizes on a rough substrate, overlapping."""
    height = np.zeros(shape, np.float32)
    material = np.full(shape, rng.uniform(0.15, 0.3), np.float32)
    median = rng.uniform(4.0, 9.0)
    coverage = rng.uniform(0.13, 0.2) * median / 2  # perimeter per pixel (2 coverage / radius) fixed
    mean_area = math.pi * median**2 * math.exp(2 * 0.5**2)  # log-normal, sigma 0.5
    count = max(1, round(coverage * shape[0] * shape[1] / mean_area))
    radii = np.clip(rng.lognormal(math.log(median), 0.5, count), 1.5, 40.0)
    for radius in radii:
        centre = rng.uniform(-radius, shape[0] + radius), rng.uniform(-radius, shape[1] + radius)
        axes = radius * np.array([1.0, 1.0 / rng.uniform(1.0, 1.6)])
        _stamp_ellipsoid(height, material, centre, axes, rng.uniform(0, math.pi), rng.uniform(0.45, 0.85), base=0.0)
    height += fractal_noise(shape, rng) * np.float32(rng.uniform(0.9, 1.8))
    return height, material


def _stamp_ellipsoid(height, material, centre, axes, angle, yield_, base: float) -> None:
    """Raise ``height`` to a half-ellipsoid standing on ``base`` where it pokes above (in place)."""
    reach = math.ceil(axes.max()) + 1
    y0, y1 = max(0, int(centre[0]) - reach), min(height.shape[0], int(centre[0]) + reach + 1)
    x0, x1 = max(0, int(centre[1]) - reach), min(height.shape[1], int(centre[1]) + reach + 1)
    if y0 >= y1 or x0 >= x1:
        return
    dy = np.arange(y0, y1, dtype=np.float32)[:, None] - np.float32(centre[0])
    dx = np.arange(x0, x1, dtype=np.float32)[None, :] - np.float32(centre[1])
    along, across = dx * math.cos(angle) + dy * math.sin(angle), -dx * math.sin(angle) + dy * math.cos(angle)
    rho2 = (along / axes[0]) ** 2 + (across / axes[1]) ** 2
    bump = (base + axes.mean() * np.sqrt(np.clip(1.0 - rho2, 0.0, None))).astype(np.float32)
    box_h, box_m = height[y0:y1, x0:x1], material[y0:y1, x0:x1]
    on_top = (rho2 < 1.0) & (bump > box_h)
    box_h[on_top] = bump[on_top]
    box_m[on_top] = yield_


def voronoi(shape, cell: float, rng: np.random.Generator, stretch: float = 1.0, angle: float = 0.0, warp: float = 0.0):
    """Random cells: ``(distance to the nearest cell wall in px, cell label)``.

    Cells are about ``cell`` px across, ``stretch`` times longer along
    ``angle`` (radians from the x axis); walls bend by about ``warp`` px. The
    distance is to the nearest bisector between the pixel's seed and one of its
    next nearest seeds, in (warped) pixels.
    """
    margin = 2 * cell * stretch
    rows, cols = shape
    count = max(2, round((rows + 2 * margin) * (cols + 2 * margin) / (cell * cell * stretch)))
    seeds = rng.uniform((-margin, -margin), (cols + margin, rows + margin), (count, 2))  # (x, y)
    cos, sin = math.cos(angle), math.sin(angle)
    transform = np.diag([1.0 / stretch, 1.0]) @ np.array([[cos, sin], [-sin, cos]])  # cells become round
    y, x = np.indices(shape, dtype=np.float32)
    if warp > 0:
        x += np.float32(warp) * fractal_noise(shape, rng, scales=(16, 32, 64), hurst=1.0)
        y += np.float32(warp) * fractal_noise(shape, rng, scales=(16, 32, 64), hurst=1.0)
    pixels = np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float64)
    seeds_t, pixels_t = seeds @ transform.T, pixels @ transform.T
    dist, index = cKDTree(seeds_t).query(pixels_t, k=_NEIGHBOURS)
    wall = np.full(len(pixels), np.inf)
    for j in range(1, _NEIGHBOURS):  # the nearest wall: the closest bisector with a neighbour
        normal = (seeds_t[index[:, j]] - seeds_t[index[:, 0]]) @ transform  # its normal, in pixels
        wall = np.minimum(wall, (dist[:, j] ** 2 - dist[:, 0] ** 2) / (2.0 * np.linalg.norm(normal, axis=1)))
    return wall.reshape(shape).astype(np.float32), index[:, 0].reshape(shape)


def porous_network(shape: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An etched porous network: elongated pits between bright, rounded walls."""
    cell = rng.uniform(30.0, 45.0)
    stretch = rng.uniform(1.4, 2.2)
    wall, _ = voronoi(shape, cell, rng, stretch=stretch, angle=rng.normal(0.0, 0.1), warp=rng.uniform(3.0, 6.0))
    width = np.float32(rng.uniform(4.0, 8.0)) * (1.0 + 0.3 * fractal_noise(shape, rng, scales=(8, 16, 32)))
    ridge = np.clip(1.0 - (wall / np.maximum(width, 1.0)) ** 2, 0.0, None)  # rounded wall tops
    depth, floor = rng.uniform(8.0, 16.0), rng.uniform(5.0, 12.0)
    height = rng.uniform(3.0, 6.0) * ridge - depth * (1.0 - np.exp(-((wall / floor) ** 2)))  # smooth crest
    height = (height + 0.6 * fractal_noise(shape, rng)).astype(np.float32)
    material = (rng.uniform(0.25, 0.35) + 0.45 * ridge).astype(np.float32)
    _scatter_debris(height, material, rng, density=rng.uniform(2e-4, 1e-3))
    return height, material


def grains(shape: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Polycrystalline grains, each its own tone and facet tilt, with grooved boundaries."""
    wall, label = voronoi(shape, rng.uniform(22.0, 45.0), rng, warp=rng.uniform(0.0, 3.0))
    n = label.max() + 1
    y, x = np.indices(shape, dtype=np.float32)
    area = np.maximum(np.bincount(label.ravel(), minlength=n), 1)
    y -= (np.bincount(label.ravel(), y.ravel(), minlength=n) / area)[label]  # about each grain's centre
    x -= (np.bincount(label.ravel(), x.ravel(), minlength=n) / area)[label]
    slope_y, slope_x = rng.normal(0, 0.12, n)[label], rng.normal(0, 0.12, n)[label]
    groove = rng.uniform(3.0, 8.0) * np.exp(-((wall / rng.uniform(0.8, 2.0)) ** 2))
    height = (slope_y * y + slope_x * x - groove + 0.7 * fractal_noise(shape, rng)).astype(np.float32)
    material = rng.uniform(0.25, 0.7, n)[label].astype(np.float32)
    _scatter_debris(height, material, rng, density=rng.uniform(0, 4e-4))
    return height, material


def _scatter_debris(height, material, rng, density: float) -> None:
    """Small bright particles (1 to 3 px) sprinkled on the surface (in place)."""
    count = rng.poisson(density * height.size)
    for _ in range(count):
        centre = rng.uniform(0, height.shape[0]), rng.uniform(0, height.shape[1])
        radius = rng.uniform(1.0, 3.0)
        base = float(height[min(int(centre[0]), height.shape[0] - 1), min(int(centre[1]), height.shape[1] - 1)])
        _stamp_ellipsoid(height, material, centre, np.array([radius, radius]), 0.0, rng.uniform(0.5, 0.8), base=base)


def fibres(shape: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Curved wires or fibres of log-normal radii lying across each other on a substrate."""
    height = fractal_noise(shape, rng) * np.float32(rng.uniform(0.6, 1.5))
    material = np.full(shape, rng.uniform(0.2, 0.35), np.float32)
    median = rng.uniform(2.0, 4.5)
    remaining = rng.uniform(0.06, 0.1) * shape[0] * shape[1]  # fibre length per pixel fixed
    layer = 0
    while remaining > 0:
        length = rng.uniform(30.0, 400.0)
        radius = float(np.clip(rng.lognormal(math.log(median), 0.35), 1.2, 15.0))
        path = _random_path(shape, rng, length=length, curl=rng.uniform(0.0, 0.08))
        _stamp_fibre(height, material, path, radius, base=0.3 * layer, yield_=rng.uniform(0.35, 0.7))
        remaining -= length
        layer += 1
    return height, material


def _random_path(shape, rng: np.random.Generator, length: float, curl: float, step: float = 3.0) -> np.ndarray:
    """Points (y, x) of a smoothly turning path of ``length`` px, its middle in the image."""
    n = max(2, math.ceil(length / step))
    turns = np.cumsum(rng.normal(0.0, curl, n)) + rng.uniform(0, 2 * math.pi)
    path = np.cumsum(step * np.stack([np.sin(turns), np.cos(turns)], axis=1), axis=0)
    middle = rng.uniform((0.0, 0.0), shape)
    return path - path[n // 2] + middle


def _stamp_fibre(height, material, path: np.ndarray, radius: float, base: float, yield_: float) -> None:
    """Lay a cylinder of ``radius`` along ``path`` on top of ``height`` (in place)."""
    band = np.zeros(height.shape, np.uint8)
    points = np.round(path[:, ::-1]).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(band, [points], False, 1, thickness=2 * math.ceil(radius) + 3)
    ys, xs = np.nonzero(band)
    if ys.size == 0:
        return
    dist, _ = cKDTree(_resample(path, 0.25)).query(np.stack([ys, xs], axis=1))
    inside = dist < radius
    ys, xs, dist = ys[inside], xs[inside], dist[inside]
    top = base + radius * np.sqrt(1.0 - (dist / radius) ** 2)
    higher = top > height[ys, xs]
    height[ys[higher], xs[higher]] = top[higher]
    material[ys[higher], xs[higher]] = yield_


def _resample(path: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` px along the polyline ``path``: the distance to the
    nearest of them is the distance to the path to within ``step**2 / (8 * d)``."""
    lengths = np.hypot(*np.diff(path, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    where = np.arange(0.0, along[-1] + step, step)
    return np.stack([np.interp(where, along, path[:, 0]), np.interp(where, along, path[:, 1])], axis=1)
