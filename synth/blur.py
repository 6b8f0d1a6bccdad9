"""Blurring by FFT convolution with reflective padding.

Borders are mirrored (``symmetric``: the edge pixel is repeated), and nothing
wraps around from one border to the opposite one. The image, mirrored out to
the next fast FFT size (often its own), takes one forward and one inverse real
FFT; the thin bands along the borders that this circular convolution gets
wrong (as wide as the kernel's half-size, fewer if the FFT size leaves room for
mirrored padding) are then blurred again on their own, padded, at a few
percent of the cost. The kernel's transform is cheap: only its few rows are
transformed along x, and a kernel symmetric about both axes (a disk, an
axis-aligned Gaussian) needs only cosine transforms of one quadrant.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

__all__ = ["blur"]


def blur(image: np.ndarray, psf: np.ndarray, *, workers: int = 1) -> np.ndarray:
    """Convolve ``image`` with ``psf`` (same size out, mirrored borders).

    Parameters
    ----------
    image : numpy.ndarray
        2-D image.
    psf : numpy.ndarray
        2-D kernel of odd size, centred on its middle pixel (see :mod:`synth.psf`).
    workers : int
        Threads for the FFTs (``-1``: all cores). The result does not depend on it.

    Returns
    -------
    numpy.ndarray
        float32 image of ``image``'s shape:
        ``out[i, j] = sum_{u, v} psf[u, v] * image[i + cy - u, j + cx - v]``
        with ``(cy, cx)`` the kernel's centre and mirrored pixels outside.
    """
    image = np.asarray(image, np.float32)
    psf = np.asarray(psf, np.float32)
    if image.ndim != 2 or psf.ndim != 2:
        raise ValueError("blur expects a 2-D image and a 2-D kernel")
    if psf.shape[0] % 2 == 0 or psf.shape[1] % 2 == 0:
        raise ValueError(f"the kernel must have odd sides, got {psf.shape}")
    if psf.size == 1:
        return image * psf[0, 0]
    half = (psf.shape[0] // 2, psf.shape[1] // 2)
    if 4 * half[0] > image.shape[0] or 4 * half[1] > image.shape[1]:  # kernel large for the image
        return _blur_padded(image, psf, workers)
    shape = tuple(fft.next_fast_len(n, real=True) for n in image.shape)
    before = tuple(min(h, (s - n) // 2) for h, n, s in zip(half, image.shape, shape))
    out = _convolve_mirrored(image, psf, shape, before, workers)
    _fix_borders(out, image, psf, before, shape, workers)
    return out


def _blur_padded(image: np.ndarray, psf: np.ndarray, workers: int) -> np.ndarray:
    """Blur with enough mirrored padding that no output pixel sees a wrap-around."""
    half = (psf.shape[0] // 2, psf.shape[1] // 2)
    shape = tuple(fft.next_fast_len(n + 2 * h, real=True) for n, h in zip(image.shape, half))
    return _convolve_mirrored(image, psf, shape, half, workers)


def _convolve_mirrored(image, psf, shape: tuple[int, int], before: tuple[int, int], workers: int) -> np.ndarray:
    """Circular convolution of ``image`` mirrored out to ``shape`` (``before`` rows and
    columns ahead of it, the rest after), cropped back to ``image``'s place."""
    if shape == image.shape:  # nothing to pad or crop
        spectrum = fft.rfft2(image, workers=workers)
    else:
        after = tuple(s - n - b for s, n, b in zip(shape, image.shape, before))
        padded = np.pad(image, ((before[0], after[0]), (before[1], after[1])), mode="symmetric")
        spectrum = fft.rfft2(padded, workers=workers, overwrite_x=True)
    spectrum *= _kernel_spectrum(psf, shape, workers)
    full = fft.irfft2(spectrum, s=shape, workers=workers, overwrite_x=True)
    if shape == image.shape:
        return full
    rows, cols = slice(before[0], before[0] + image.shape[0]), slice(before[1], before[1] + image.shape[1])
    return np.ascontiguousarray(full[rows, cols], dtype=np.float32)


def _fix_borders(out, image, psf, before: tuple[int, int], shape: tuple[int, int], workers: int) -> None:
    """Recompute, in place, the border bands where the circular convolution wrapped around.

    Each band is blurred on its own with full mirrored padding: a strip of the
    image as thick as the band plus the kernel's half-size, whose inner edge is
    too far from the band to matter.
    """
    (rows, cols), (half_y, half_x) = image.shape, (psf.shape[0] // 2, psf.shape[1] // 2)
    top, left = half_y - before[0], half_x - before[1]
    bottom, right = half_y - (shape[0] - rows - before[0]), half_x - (shape[1] - cols - before[1])
    if top > 0:
        out[:top] = _blur_padded(image[: top + half_y], psf, workers)[:top]
    if bottom > 0:
        out[rows - bottom :] = _blur_padded(image[rows - bottom - half_y :], psf, workers)[-bottom:]
    if left > 0:
        out[:, :left] = _blur_padded(image[:, : left + half_x], psf, workers)[:, :left]
    if right > 0:
        out[:, cols - right :] = _blur_padded(image[:, cols - right - half_x :], psf, workers)[:, -right:]


def _kernel_spectrum(psf: np.ndarray, shape: tuple[int, int], workers: int) -> np.ndarray:
    """The 2-D real FFT at ``shape`` of ``psf`` centred on the origin (wrapped around)."""
    if shape[0] % 2 == 0 and shape[1] % 2 == 0 and _mirror_symmetric(psf):
        return _even_spectrum(psf, shape, workers)
    half_y, half_x = psf.shape[0] // 2, psf.shape[1] // 2
    rows = np.zeros((psf.shape[0], shape[1]), np.float32)
    rows[:, : half_x + 1] = psf[:, half_x:]
    rows[:, shape[1] - half_x :] = psf[:, :half_x]
    rows = fft.rfft(rows, axis=1, workers=workers)  # only the kernel's rows: tiny
    full = np.zeros((shape[0], rows.shape[1]), rows.dtype)
    full[: half_y + 1] = rows[half_y:]
    full[shape[0] - half_y :] = rows[:half_y]
    return fft.fft(full, axis=0, workers=workers, overwrite_x=True)


def _mirror_symmetric(psf: np.ndarray) -> bool:
    """Whether ``psf`` is symmetric about both axes (to float32 precision)."""
    tolerance = 1e-6 * float(np.abs(psf).max())
    return np.allclose(psf, psf[::-1], rtol=0.0, atol=tolerance) and np.allclose(
        psf, psf[:, ::-1], rtol=0.0, atol=tolerance
    )


def _even_spectrum(psf: np.ndarray, shape: tuple[int, int], workers: int) -> np.ndarray:
    """The spectrum of a kernel symmetric about both axes (real) from one quadrant.

    For even lengths, the DFT of an even sequence is the DCT-I of its first half,
    so two cosine transforms give frequencies ``u <= N / 2``; the others mirror
    them (``K[N - u] = K[u]``). A quarter of the work of the general path.
    """
    half_y, half_x = psf.shape[0] // 2, psf.shape[1] // 2
    rows = np.zeros((half_y + 1, shape[1] // 2 + 1), np.float32)
    rows[:, : half_x + 1] = psf[half_y:, half_x:]
    quadrant = np.zeros((shape[0] // 2 + 1, rows.shape[1]), np.float32)
    quadrant[: half_y + 1] = fft.dct(rows, type=1, axis=1, workers=workers)
    spectrum = fft.dct(quadrant, type=1, axis=0, workers=workers, overwrite_x=True)
    return np.concatenate([spectrum, spectrum[-2:0:-1]], axis=0)
