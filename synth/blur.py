"""Blurring by FFT convolution with reflective padding.

The image is padded by the kernel's half-size with mirrored borders
(``symmetric``: the edge pixel is repeated), so nothing wraps around from one
border to the opposite one, and on to the next fast FFT size (5-smooth, which
pocketfft does fastest). The padded image takes one forward and one inverse
real FFT. The kernel's transform is cheap: only its few rows are transformed
along x, and a kernel symmetric about both axes (a disk, an axis-aligned
Gaussian) needs only cosine transforms of one quadrant.
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
        2-D kernel of odd size, centred on its middle pixel (see :mod:`cyclesem.restore.classical.psf`).
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
    half_y, half_x = psf.shape[0] // 2, psf.shape[1] // 2
    shape = tuple(fft.next_fast_len(n + 2 * h, real=True) for n, h in zip(image.shape, (half_y, half_x)))
    # mirrored all the way to the FFT's size: rows and columns past 2 * half are never read back
    pad_y, pad_x = (half_y, shape[0] - image.shape[0] - half_y), (half_x, shape[1] - image.shape[1] - half_x)
    padded = np.pad(image, (pad_y, pad_x), mode="symmetric")
    spectrum = fft.rfft2(padded, workers=workers, overwrite_x=True)
    spectrum *= _kernel_spectrum(psf, shape, workers)
    full = fft.irfft2(spectrum, s=shape, workers=workers, overwrite_x=True)
    rows = slice(half_y, half_y + image.shape[0])  # the kernel is centred on the origin
    cols = slice(half_x, half_x + image.shape[1])
    return np.ascontiguousarray(full[rows, cols], dtype=np.float32)


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
