"""Blurring by FFT convolution with reflective padding.

The image is padded by the kernel's half-size with mirrored borders
(``symmetric``: the edge pixel is repeated), so nothing wraps around from one
border to the opposite one. The padded image takes one forward and one inverse
real FFT. The kernel's transform is cheap: only its few rows are transformed
along x, and for a centrally symmetric kernel (all of :mod:`synth.psf`'s) the
transform along y is real and takes two small matrix products.
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
    padded = np.pad(image, ((half_y, half_y), (half_x, half_x)), mode="symmetric")
    shape = (fft.next_fast_len(padded.shape[0]), fft.next_fast_len(padded.shape[1], real=True))
    spectrum = fft.rfft2(padded, s=shape, workers=workers, overwrite_x=True)
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
    if np.allclose(psf, psf[::-1, ::-1], rtol=0.0, atol=1e-6 * float(np.abs(psf).max())):
        return _symmetric_columns(rows, shape[0])
    full = np.zeros((shape[0], rows.shape[1]), rows.dtype)
    full[: half_y + 1] = rows[half_y:]
    full[shape[0] - half_y :] = rows[:half_y]
    return fft.fft(full, axis=0, workers=workers, overwrite_x=True)


def _symmetric_columns(rows: np.ndarray, length: int) -> np.ndarray:
    """The column transform of a centrally symmetric kernel's row spectra, by two small products.

    With ``R_a`` the spectrum of kernel row ``a`` (``a = -h..h``), symmetry gives
    ``R_-a = conj(R_a)``, so the transform is real:
    ``K(u) = R_0 + 2 sum_a (Re R_a cos(2 pi u a / N) + Im R_a sin(2 pi u a / N))``.
    """
    half = rows.shape[0] // 2
    upper = rows[half + 1 :]
    phase = (np.arange(length)[:, None] * np.arange(1, half + 1)[None, :]) % length * (2.0 * np.pi / length)
    cos, sin = np.cos(phase).astype(np.float32), np.sin(phase).astype(np.float32)
    spectrum = cos @ np.ascontiguousarray(upper.real) + sin @ np.ascontiguousarray(upper.imag)
    spectrum *= np.float32(2.0)
    spectrum += rows[half].real
    return spectrum
