"""How much of a restorer's error on real defocus pairs is global contrast: PSNR as scored and after the best affine map.

    .venv/bin/python -m experiments.real_defocus.contrast_check SPLIT_DIR RUN [RUN ...] [--every 2] [--smooth 1,2,3]

``SPLIT_DIR`` holds ``test_blurry`` and ``test_sharp`` (``experiments.unpaired.defocus_splits``).
For every ``--every``-th test pair (registered as ``cyclesem compare --register`` does), each run's
output is scored as it is and after the least-squares map ``sharp ~ a * output + b``; printed per
method: mean PSNR both ways, mean ``a``, and the output's standard deviation over the sharp image's
(1 = the sharp contrast). ``--smooth`` adds the input smoothed by Gaussians of those sigmas (px),
scored by PSNR and SSIM: how far denoising alone goes on these pairs. PSNR is on the images' 0..1
grey levels (peak 1), over the registered overlap (``cyclesem compare`` also leaves out the info bar,
so its values differ slightly).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def _affine_scores(sharp: np.ndarray, restored: np.ndarray) -> tuple[float, float, float, float]:
    mse = float(np.mean((sharp - restored) ** 2))
    design = np.stack([restored.ravel(), np.ones(restored.size)], axis=1)
    coefficients, *_ = np.linalg.lstsq(design, sharp.ravel(), rcond=None)
    mapped = float(np.mean((design @ coefficients - sharp.ravel()) ** 2))
    return -10 * np.log10(mse), -10 * np.log10(mapped), float(coefficients[0]), float(restored.std() / sharp.std())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split", type=Path)
    parser.add_argument("runs", nargs="*", type=Path)
    parser.add_argument("--every", type=int, default=2)
    parser.add_argument("--smooth", default="", help="comma-separated Gaussian sigmas (px)")
    args = parser.parse_args(argv)

    import cv2

    from cyclesem.data.registration import estimate_shift, overlap
    from cyclesem.evaluate.metrics import score_pair
    from cyclesem.io import read_image
    from cyclesem.restore.enhance import enhance_image
    from cyclesem.restore.runs import load_run

    runs = [load_run(path) for path in args.runs]
    names = ["identity"] + [path.name for path in args.runs]
    sigmas = [float(s) for s in args.smooth.split(",") if s]
    rows: dict[str, list] = {name: [] for name in names}
    smoothed: dict[float, list] = {sigma: [] for sigma in sigmas}
    for path in sorted((args.split / "test_blurry").iterdir())[::args.every]:
        blurry = np.asarray(read_image(path).content, np.float32)
        sharp = np.asarray(read_image(args.split / "test_sharp" / path.name).content, np.float32)
        shift = estimate_shift(sharp, blurry)
        outputs = [blurry] + [np.asarray(enhance_image(run, blurry), np.float32) for run in runs]
        for name, output in zip(names, outputs):
            reference, moved = overlap(sharp, output, shift)
            rows[name].append(_affine_scores(reference, moved))
        for sigma in sigmas:
            scores = score_pair(sharp, cv2.GaussianBlur(blurry, (0, 0), sigma), shift=shift)
            smoothed[sigma].append((scores["psnr"], scores["ssim"]))
    print(f"{len(rows['identity'])} test pairs of {args.split}")
    for name in names:
        psnr, mapped, gain, spread = np.mean(rows[name], axis=0)
        print(f"{name}: PSNR {psnr:.2f}, after the best affine map {mapped:.2f}, a {gain:.3f}, "
              f"std over the sharp image's {spread:.3f}")
    for sigma in sigmas:
        psnr, ssim = np.mean(smoothed[sigma], axis=0)
        print(f"input smoothed by sigma {sigma:g} px: PSNR {psnr:.2f} dB, SSIM {ssim:.3f}")


if __name__ == "__main__":
    main()
