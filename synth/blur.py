"""Blurring by FFT convolution with reflective padding.

The image is padded by the kernel's half-size with mirrored borders
(``symmetric``: the edge pixel is repeated), so nothing wraps around from one
border to the opposite one. The padded image takes one forward and one inverse
real FFT; the kernel's transform costs about half a forward FFT, as only its
few rows are transformed along x.
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
    half_y, half_x = psf.shape[0] // 2, psf.shape[1] // 2
    shape = (fft.next_fast_len(image.shape[0] + 2 * half_y), fft.next_fast_len(image.shape[1] + 2 * half_x, real=True))
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
    half_y, half_x = psf.shape[0] // 2, psf.shape[1] // 2
    rows = np.zeros((psf.shape[0], shape[1]), np.float32)
    rows[:, : half_x + 1] = psf[:, half_x:]
    rows[:, shape[1] - half_x :] = psf[:, :half_x]
    rows = fft.rfft(rows, axis=1, workers=workers)  # only the kernel's rows: tiny
    full = np.zeros((shape[0], rows.shape[1]), rows.dtype)
    full[: half_y + 1] = rows[half_y:]
    full[shape[0] - half_y :] = rows[:half_y]
    return fft.fft(full, axis=0, workers=workers, overwrite_x=True)
