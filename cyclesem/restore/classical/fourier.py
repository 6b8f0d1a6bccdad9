"""Fourier-domain helpers for deconvolution (used by :mod:`cyclesem.restore.classical`).

All work on the ``rfft2`` grid of an image of ``shape`` (rows, columns): row
frequencies ``fftfreq(rows)``, column frequencies ``0 .. cols // 2``, in cycles
per pixel.

- OTFs of small PSFs from separable parts (SVD) and small DFT matrices
  (:func:`transfer_function`, :func:`otf`);
- Moisan's periodic plus smooth decomposition (:func:`border_jumps`,
  :func:`smooth_spectrum`, :func:`periodic_spectrum`): an exact edge taper;
- the Wiener filter applied in place, block by block, on all cores
  (:func:`apply_wiener_filter`);
- mirrored padding to fast FFT sizes, with or without a fading taper
  (:func:`mirror_pad`, :func:`pad_and_taper`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import fft

__all__ = [
    "Transfer",
    "central_crop",
    "Padded",
    "frequencies",
    "transfer_function",
    "otf",
    "laplacian_axes",
    "laplacian_power",
    "border_jumps",
    "smooth_spectrum",
    "periodic_spectrum",
    "rfft_weights",
    "apply_wiener_filter",
    "mirror_pad",
    "pad_and_taper",
]

_MIN_MARGIN = 8  # px of mirrored padding on each side, at least, for pad_and_taper
_DFT_OTF_MAX_TAPS = 64  # PSFs up to this side get their OTF by small DFT matrices
_SVD_TOLERANCE = 1e-6  # separable parts of a PSF weaker than this (relative) are dropped
_FILTER_BLOCK_ROWS = 64  # rows of the spectrum filtered at a time (fits in cache)


def frequencies(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row and column frequencies (cycles/px) of the ``rfft2`` grid of ``shape``."""
    rows, cols = shape
    return fft.fftfreq(rows)[:, None], (np.arange(cols // 2 + 1) / cols)[None, :]


@dataclass(frozen=True)
class Transfer:
    """Rows of an OTF ``H`` on an ``rfft2`` grid, computed on demand.

    ``fill(rows, out)`` writes ``scale * H[rows]``; ``power(rows, filled, out)``
    writes ``power_scale * |H[rows]|**2`` (float32) given what ``fill`` wrote.
    ``H`` is complex64, or float32 when ``real`` (a centrosymmetric PSF). A
    separable OTF (``factors``, rows times columns) costs one multiplication per value.
    """

    factors: tuple | None
    whole: np.ndarray | None
    scale: float
    power_scale: float
    real: bool

    @property
    def dtype(self):
        return np.float32 if self.real else np.complex64

    def fill(self, rows: slice, out: np.ndarray) -> None:
        if self.whole is not None:
            np.multiply(self.whole[rows], np.float32(self.scale), out=out)
        elif self.factors[0].shape[1] == 1:
            np.multiply(self.factors[0][rows], self.factors[1], out=out)
        else:
            np.matmul(self.factors[0][rows], self.factors[1], out=out)

    def power(self, rows: slice, filled: np.ndarray, out: np.ndarray) -> None:
        ratio = np.float32(self.power_scale / self.scale**2)
        if self.factors is not None and self.factors[0].shape[1] == 1:
            along_y, along_x = self.factors
            np.multiply(np.abs(along_y[rows]) ** 2 * ratio, np.abs(along_x) ** 2, out=out)
            return
        np.abs(filled, out=out)
        np.square(out, out=out)
        out *= ratio


def transfer_function(psf: np.ndarray, shape: tuple[int, int], *, conjugate=False, scale=1.0, power_scale=None):
    """The OTF of ``psf`` on the ``rfft2`` grid of ``shape`` (see :class:`Transfer`).

    The OTF equals ``rfft2(ifftshift(psf zero-padded to shape))``: the PSF
    centre sits at pixel (0, 0); ``conjugate`` gives its complex conjugate.
    ``power_scale`` defaults to ``scale**2``. A centrosymmetric PSF of odd sides
    (Gaussians, disks) has a real OTF. A small PSF is split into separable parts
    by its SVD (one part for a round or axis-aligned Gaussian), each transformed
    by two small DFT matrices, instead of an FFT of the padded PSF. A large PSF
    takes that FFT.
    """
    power_scale = scale**2 if power_scale is None else power_scale
    taps_y, taps_x = psf.shape
    if taps_y > shape[0] or taps_x > shape[1]:
        raise ValueError(f"the PSF {psf.shape} is larger than the image {shape}")
    symmetric = np.allclose(psf, psf[::-1, ::-1], rtol=0, atol=1e-7 * np.abs(psf).max())
    real = taps_y % 2 == 1 and taps_x % 2 == 1 and symmetric
    if max(psf.shape) > _DFT_OTF_MAX_TAPS:
        padded = np.zeros(shape, np.float32)
        padded[:taps_y, :taps_x] = psf
        whole = fft.rfft2(np.roll(padded, (-(taps_y // 2), -(taps_x // 2)), axis=(0, 1)), workers=-1)
        whole = whole.real.copy() if real else (np.conj(whole) if conjugate else whole)
        return Transfer(None, whole, scale, power_scale, real)
    factors = _separable_factors(psf, shape, -1.0 if conjugate else 1.0, scale)
    if real:  # H = Re(Ay Ax) = [Re Ay, -Im Ay] [Re Ax; Im Ax]
        along_y, along_x = factors
        if along_y.shape[1] == 1 and np.abs(along_y.imag).max() <= 1e-6 * np.abs(along_y).max():
            factors = (along_y.real, along_x.real)
        else:
            factors = (np.hstack([along_y.real, -along_y.imag]), np.vstack([along_x.real, along_x.imag]))
    return Transfer(tuple(np.ascontiguousarray(f, dtype=np.float32 if real else np.complex64) for f in factors),
                    None, scale, power_scale, real)


def _separable_factors(psf: np.ndarray, shape: tuple[int, int], sign: float, scale: float):
    """``(Ay, Ax)`` with ``scale * OTF = Ay @ Ax`` (complex128): the PSF's SVD parts, DFT'd."""
    columns, weights, lines = np.linalg.svd(psf)
    rank = max(1, int(np.sum(weights > _SVD_TOLERANCE * weights[0])))
    freq_y, freq_x = frequencies(shape)
    taps_y, taps_x = psf.shape
    dft_y = np.exp(-sign * 2j * np.pi * freq_y * (np.arange(taps_y) - taps_y // 2)[None, :])
    dft_x = np.exp(-sign * 2j * np.pi * freq_x.T * (np.arange(taps_x) - taps_x // 2)[None, :])
    along_y = np.einsum("ik,kr->ir", dft_y, columns[:, :rank] * (weights[:rank] * scale))  # no BLAS threads
    along_x = np.einsum("rk,jk->rj", lines[:rank], dft_x)
    return along_y, along_x


def otf(psf: np.ndarray, shape: tuple[int, int], *, conjugate: bool = False) -> np.ndarray:
    """The whole OTF (see :func:`transfer_function`), complex64."""
    transfer = transfer_function(psf, shape, conjugate=conjugate)
    out = np.empty((shape[0], shape[1] // 2 + 1), transfer.dtype)
    transfer.fill(slice(None), out)
    return out.astype(np.complex64)


def laplacian_axes(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The 5-point Laplacian's transfer function ``L = Ly[:, None] + Lx[None, :]`` (float32, >= 0)."""
    freq_y, freq_x = frequencies(shape)
    along_y = (2.0 - 2.0 * np.cos(2 * np.pi * freq_y)).astype(np.float32)
    along_x = (2.0 - 2.0 * np.cos(2 * np.pi * freq_x)).astype(np.float32)
    return along_y, along_x


def laplacian_power(shape: tuple[int, int]) -> np.ndarray:
    """``|L(f)|**2`` of the 5-point Laplacian on the ``rfft2`` grid (float32)."""
    along_y, along_x = laplacian_axes(shape)
    return np.square(along_y + along_x)


def border_jumps(image: np.ndarray):
    """A function ``fill(rows, out, scratch)`` writing ``-V[rows]`` (complex64) into ``out``.

    ``V`` is the ``rfft2`` of the border-jumps image of Moisan's periodic plus
    smooth decomposition ``u = p + s``: zero but on the borders, where it holds
    the jumps across opposite borders. The smooth part ``s`` has the spectrum
    ``S = -V / L`` (``L = Ly + Lx`` the Laplacian's transfer function, ``S(0, 0) = 0``)
    and ``p = u - s`` is periodic without border jumps. ``V`` is a sum of outer
    products of 1-D FFTs of the border rows and columns.
    """
    row_jump = fft.rfft(image[0, :].astype(np.float64) - image[-1, :]).astype(np.complex64)[None, :]
    column_jump = fft.fft(image[:, 0].astype(np.float64) - image[:, -1]).astype(np.complex64)[:, None]
    freq_y, freq_x = frequencies(image.shape)
    edge_y = (1.0 - np.exp(2j * np.pi * freq_y)).astype(np.complex64)
    edge_x = (1.0 - np.exp(2j * np.pi * freq_x)).astype(np.complex64)

    def fill(rows: slice, out: np.ndarray, scratch: np.ndarray) -> None:
        np.multiply(edge_y[rows], row_jump, out=out)
        np.multiply(column_jump[rows], edge_x, out=scratch)
        out += scratch

    return fill


def smooth_spectrum(image: np.ndarray) -> np.ndarray:
    """``S``, the ``rfft2`` of the smooth part of ``image`` (see :func:`border_jumps`)."""
    shape = (image.shape[0], image.shape[1] // 2 + 1)
    smooth, scratch = np.empty(shape, np.complex64), np.empty(shape, np.complex64)
    border_jumps(image)(slice(None), smooth, scratch)
    along_y, along_x = laplacian_axes(image.shape)
    laplacian = along_y + along_x
    laplacian[0, 0] = 1.0
    smooth /= laplacian
    return smooth


def apply_wiener_filter(spectrum: np.ndarray, shape: tuple[int, int], psf, balance: float, *, image=None) -> None:
    """``Y <- G Y``, ``G = conj(H) / (|H|**2 + balance |L|**2)``, in place.

    ``Y`` is the ``rfft2`` of an image of ``shape``. Given that ``image``, only its
    periodic part is filtered and its smooth part ``S`` kept:
    ``Y <- G (Y - S) + S`` (see :func:`border_jumps`). Written as
    ``G = (conj(H) / b) / (|H|**2 / b + L**2)`` with ``b = balance``. Row blocks
    small enough to stay in cache, and scratch buffers reused from block to
    block, keep it to eight to fifteen cheap passes; the rows are shared among
    the CPU cores (numpy releases the GIL in its loops).
    """
    parts = (
        transfer_function(psf, shape, conjugate=True, scale=1.0 / balance, power_scale=1.0 / balance),
        laplacian_axes(shape),
        None if image is None else border_jumps(image),
    )
    workers = max(1, min(os.cpu_count() or 1, spectrum.shape[0] // (4 * _FILTER_BLOCK_ROWS)))
    bounds = np.linspace(0, spectrum.shape[0], workers + 1).astype(int)
    if workers == 1:
        _filter_rows(spectrum, 0, spectrum.shape[0], parts)
        return
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda first, last: _filter_rows(spectrum, first, last, parts), bounds[:-1], bounds[1:]))


def _filter_rows(spectrum: np.ndarray, first: int, last: int, parts) -> None:
    """The filter of :func:`apply_wiener_filter` on rows ``first:last``, block by block."""
    transfer, (along_y, along_x), jumps = parts
    block_shape = (min(_FILTER_BLOCK_ROWS, last - first), spectrum.shape[1])
    gain = np.empty(block_shape, transfer.dtype)
    denominator, laplacian, square = (np.empty(block_shape, np.float32) for _ in range(3))
    smooth, scratch = np.empty(block_shape, np.complex64), np.empty(block_shape, np.complex64)
    for start in range(first, last, block_shape[0]):
        rows = slice(start, min(start + block_shape[0], last))
        n = rows.stop - rows.start
        g, d, lap = gain[:n], denominator[:n], laplacian[:n]
        transfer.fill(rows, g)  # conj(H) / b, then G
        transfer.power(rows, g, d)  # |H|**2 / b
        np.add(along_y[rows], along_x, out=lap)
        d += np.square(lap, out=square[:n])
        np.reciprocal(d, out=d)
        g *= d
        block = spectrum[rows]
        if jumps is None:
            block *= g
            continue
        s = smooth[:n]
        jumps(rows, s, scratch[:n])  # -V, then S = -V / L
        if start == 0:
            lap[0, 0] = 1.0  # S(0, 0) = 0: V(0, 0) is 0
        s *= np.reciprocal(lap, out=lap)
        block -= s
        block *= g
        block += s


@dataclass(frozen=True)
class Padded:
    """An image mirrored and tapered to a fast FFT size, and where the image sits in it."""

    array: np.ndarray
    rows: slice
    cols: slice

    def crop(self, full: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(full[self.rows, self.cols], dtype=np.float32)


def mirror_pad(image: np.ndarray, margin: int = 0) -> Padded:
    """Mirror-pad by at least ``margin`` on each side, up to a fast FFT size (no copy if none is needed)."""
    height, width = image.shape
    size_y = fft.next_fast_len(height + 2 * margin, real=True)  # 5-smooth: faster than 7- or 11-smooth
    size_x = fft.next_fast_len(width + 2 * margin, real=True)
    if (size_y, size_x) == image.shape:
        return Padded(image, slice(0, height), slice(0, width))
    top, left = (size_y - height) // 2, (size_x - width) // 2
    padded = np.pad(image, ((top, size_y - height - top), (left, size_x - width - left)), mode="symmetric")
    return Padded(padded, slice(top, top + height), slice(left, left + width))


def pad_and_taper(image: np.ndarray, margin: int) -> Padded:
    """Mirror-pad by at least ``margin`` to a fast FFT size; fade the padding to the mean."""
    padded = mirror_pad(image, max(margin, _MIN_MARGIN))
    top, left = padded.rows.start, padded.cols.start
    bottom, right = padded.array.shape[0] - padded.rows.stop, padded.array.shape[1] - padded.cols.stop
    mean = np.float32(image.mean())
    for strip, ramp in _taper_strips(padded.array, top, bottom, left, right):
        strip -= mean
        strip *= ramp
        strip += mean
    return padded


def _taper_strips(padded: np.ndarray, top: int, bottom: int, left: int, right: int):
    """The padding strips of ``padded`` (views) with their raised-cosine weights."""

    def ramp(length: int) -> np.ndarray:  # rises from ~0 at the outer edge to ~1
        t = (np.arange(length, dtype=np.float32) + 0.5) / max(length, 1)
        return (0.5 - 0.5 * np.cos(np.pi * t)).astype(np.float32)

    rows = padded.shape[0]
    yield padded[:top], ramp(top)[:, None]
    yield padded[rows - bottom :], ramp(bottom)[::-1, None]
    yield padded[:, :left], ramp(left)[None, :]
    yield padded[:, padded.shape[1] - right :], ramp(right)[None, ::-1]


def periodic_spectrum(image: np.ndarray) -> np.ndarray:
    """``rfft2`` of the periodic part of ``image`` (see :func:`border_jumps`).

    It lacks the cross of border artefacts, so its power is a fair estimate of
    the image's power spectrum.
    """
    return fft.rfft2(image.astype(np.float64), workers=-1) - smooth_spectrum(image)


def rfft_weights(shape: tuple[int, int]) -> np.ndarray:
    """How many times each ``rfft2`` coefficient counts in the full spectrum (1 or 2)."""
    weights = np.full((shape[0], shape[1] // 2 + 1), 2.0)
    weights[:, 0] = 1.0
    if shape[1] % 2 == 0:
        weights[:, -1] = 1.0
    return weights


def central_crop(image: np.ndarray, size: int) -> np.ndarray:
    """The central ``size`` x ``size`` part of ``image`` (all of a side shorter than ``size``), a view."""
    top = max(0, (image.shape[0] - size) // 2)
    left = max(0, (image.shape[1] - size) // 2)
    return image[top : top + size, left : left + size]
