"""Wiener deconvolution speed and quality: cyclesem against scikit-image and the FFT floor.

Usage (from the repository root)::

    .venv/bin/python -m experiments.bench_classical [--size 2048] [--repeats 9]

On one float32 image (a procedural SEM phantom blurred by a Gaussian PSF, plus
noise) it times, interleaved in one run so machine load hits all alike:

- the floor: one forward plus one inverse real FFT of the image
  (``scipy.fft.rfft2`` / ``irfft2``, all cores);
- ``cyclesem.restore.classical.wiener`` (mirrored padding by the PSF's size and a
  taper: the default) and ``wiener(..., pad=False)`` (no padding beyond a fast
  size; exact periodic-plus-smooth taper), same FFT library;
- ``skimage.restoration.wiener`` with the same PSF and balance,

and prints median times, the ratios, and the PSNR of both restorations
against the clear image. Needs scikit-image (a test extra).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy import fft
from skimage import restoration
from skimage.metrics import peak_signal_noise_ratio

from cyclesem.restore import classical
from synth.blur import blur
from synth.phantoms import make_phantom
from cyclesem.restore.classical.psf import gaussian_psf


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2048, help="image side in pixels (default 2048)")
    parser.add_argument("--repeats", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--sigma", type=float, default=2.0, help="Gaussian PSF sigma in px (default 2)")
    parser.add_argument("--balance", type=float, default=1e-3, help="Wiener balance for both (default 1e-3)")
    return parser.parse_args()


def _test_image(size: int, sigma: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    clear = make_phantom("porous", size, seed=7)
    psf = gaussian_psf(sigma)
    noisy = blur(clear, psf, workers=-1) + np.random.default_rng(0).normal(0.0, 0.005, clear.shape)
    return clear, noisy.astype(np.float32), psf


def _time_interleaved(candidates: dict, repeats: int) -> dict[str, list[float]]:
    """Seconds of each candidate, run in turn ``repeats`` times (after one warm-up round)."""
    times = {name: [] for name in candidates}
    for round_index in range(repeats + 1):
        for name, run in candidates.items():
            started = time.perf_counter()
            run()
            if round_index:
                times[name].append(time.perf_counter() - started)
    return times


def main() -> None:
    args = _arguments()
    clear, image, psf = _test_image(args.size, args.sigma)
    candidates = {
        "FFT floor (rfft2 + irfft2)": lambda: fft.irfft2(fft.rfft2(image, workers=-1), s=image.shape, workers=-1),
        "cyclesem wiener": lambda: classical.wiener(image, psf, balance=args.balance),
        "cyclesem wiener pad=False": lambda: classical.wiener(image, psf, balance=args.balance, pad=False),
        "skimage wiener": lambda: restoration.wiener(image, psf, args.balance, clip=False),
    }
    times = _time_interleaved(candidates, args.repeats)
    medians = {name: float(np.median(values)) for name, values in times.items()}
    floor, ours, unpadded, theirs = (medians[name] for name in candidates)
    best_floor, best_ours, best_unpadded, _ = (min(times[name]) for name in candidates)
    print(f"image {args.size}x{args.size} float32, Gaussian PSF sigma {args.sigma} px {psf.shape}, "
          f"balance {args.balance}, {args.repeats} interleaved rounds, {os.cpu_count()} CPU core(s)")
    for name, seconds in medians.items():
        print(f"  {name:<28} {seconds * 1e3:8.1f} ms median, {min(times[name]) * 1e3:8.1f} ms best")
    print(f"cyclesem / floor   = {ours / floor:.2f} (pad=False: {unpadded / floor:.2f}; target <= 1.5), "
          f"best times: {best_ours / best_floor:.2f} (pad=False: {best_unpadded / best_floor:.2f})")
    print(f"cyclesem / skimage = {ours / theirs:.2f} (pad=False: {unpadded / theirs:.2f}; lower is faster)")
    psnr_blurred = peak_signal_noise_ratio(clear, image, data_range=1.0)
    psnr_ours = peak_signal_noise_ratio(clear, classical.wiener(image, psf, balance=args.balance), data_range=1.0)
    psnr_unpadded = peak_signal_noise_ratio(
        clear, classical.wiener(image, psf, balance=args.balance, pad=False), data_range=1.0
    )
    psnr_theirs = peak_signal_noise_ratio(
        clear, restoration.wiener(image, psf, args.balance, clip=False).astype(np.float32), data_range=1.0
    )
    print(
        f"PSNR vs clear: blurred {psnr_blurred:.2f} dB, cyclesem {psnr_ours:.2f} dB "
        f"(pad=False {psnr_unpadded:.2f} dB), skimage {psnr_theirs:.2f} dB"
    )


if __name__ == "__main__":
    main()
