"""Measure how the real defocused images of midnet-defocus differ from their sharp partners.

Per pair (registered): noise sigma of each side (wavelet MAD), grey-level statistics, the
least-squares gain/offset/gamma of blurry against blurred sharp, and the Gaussian sigma and
disc radius whose blur of the sharp image best matches the blurry one. The numbers set the
*ranges* of the sem-deblur training recipe; the pairs are never trained on.

    python -m experiments.pretrained.measure_defocus [--data ../shared/data/midnet-defocus] [--every 3]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from cyclesem.restore.classical import estimate_noise_sigma as estimate_sigma

from cyclesem.io import read_image
from cyclesem.data.registration import align_pair
from synth.blur import blur
from cyclesem.restore.classical.psf import disk_psf, gaussian_psf

SIGMAS = np.geomspace(1.0, 24.0, 25)
RADII = np.geomspace(1.5, 40.0, 25)


def _fit(sharp: np.ndarray, blurry: np.ndarray, psfs) -> tuple[int, float, float, float]:
    """Index of the PSF whose blur of ``sharp`` (after gain/offset) best matches ``blurry``."""
    best = (0, np.inf, 1.0, 0.0)
    m = 40  # ignore borders
    target = blurry[m:-m, m:-m].ravel()
    for index, psf in enumerate(psfs):
        model = blur(sharp, psf)[m:-m, m:-m].ravel()
        design = np.stack([model, np.ones_like(model)], 1)
        coef, *_ = np.linalg.lstsq(design, target, rcond=None)
        mse = float(np.mean((design @ coef - target) ** 2))
        if mse < best[1]:
            best = (index, mse, float(coef[0]), float(coef[1]))
    return best


def measure(blurry: np.ndarray, sharp: np.ndarray) -> dict:
    sharp, blurry, shift = align_pair(sharp, blurry)
    g_index, g_mse, gain, offset = _fit(sharp, blurry, [gaussian_psf(s) for s in SIGMAS])
    d_index, d_mse, _, _ = _fit(sharp, blurry, [disk_psf(r) for r in RADII])
    return {
        "shift": [round(s, 2) for s in shift],
        "noise_blurry": float(estimate_sigma(blurry)), "noise_sharp": float(estimate_sigma(sharp)),
        "mean_blurry": float(blurry.mean()), "mean_sharp": float(sharp.mean()),
        "std_blurry": float(blurry.std()), "std_sharp": float(sharp.std()),
        "p1_p99_blurry": np.percentile(blurry, [1, 99]).round(3).tolist(),
        "p1_p99_sharp": np.percentile(sharp, [1, 99]).round(3).tolist(),
        "gauss_sigma": float(SIGMAS[g_index]), "gauss_mse": g_mse, "gain": gain, "offset": offset,
        "disc_radius": float(RADII[d_index]), "disc_mse": d_mse,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/midnet-defocus"))
    parser.add_argument("--every", type=int, default=3, help="measure every n-th pair")
    parser.add_argument("--out", type=Path, default=None, help="write per-pair JSON here")
    args = parser.parse_args()
    names = sorted(p.name for p in (args.data / "blur").glob("*.png"))[:: args.every]
    rows = {}
    for name in names:
        blurry = read_image(args.data / "blur" / name).content
        sharp = read_image(args.data / "sharp" / name).content
        rows[name] = measure(blurry, sharp)
        r = rows[name]
        print(f"{name}: noise {r['noise_blurry']:.4f}/{r['noise_sharp']:.4f} mean {r['mean_blurry']:.3f}/"
              f"{r['mean_sharp']:.3f} std {r['std_blurry']:.3f}/{r['std_sharp']:.3f} gain {r['gain']:.2f} "
              f"off {r['offset']:.3f} gauss {r['gauss_sigma']:.1f} ({r['gauss_mse']:.2e}) disc "
              f"{r['disc_radius']:.1f} ({r['disc_mse']:.2e}) shift {r['shift']}", flush=True)
    keys = ["noise_blurry", "noise_sharp", "mean_blurry", "mean_sharp", "std_blurry", "std_sharp",
            "gain", "offset", "gauss_sigma", "disc_radius"]
    for key in keys:
        values = np.array([r[key] for r in rows.values()])
        print(f"{key}: median {np.median(values):.4f} min {values.min():.4f} max {values.max():.4f}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
