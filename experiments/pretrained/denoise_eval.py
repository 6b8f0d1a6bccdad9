"""sem-denoise against total-variation denoising on the held-out real sem-denoise pairs.

The TV weight (``skimage.restoration.denoise_tv_chambolle``) is tuned on the training
pairs (001-014: best mean registered PSNR over a log grid); then identity, TV and the
network are scored on the held-out pairs 017-020 (never trained on, never used for
checkpoint choice): registered PSNR / SSIM in file units, the noisy image's shift for
every method, as ``cyclesem compare --register``. Content above the info bar only.

    python -m experiments.pretrained.denoise_eval [--model sem-denoise] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from skimage.restoration import denoise_tv_chambolle

from cyclesem.io import read_image
from cyclesem.evaluate.metrics import score_pair
from cyclesem.data.registration import estimate_shift

TRAIN = [f"{i:03d}" for i in range(1, 15)]
TEST = ["017", "018", "019", "020"]
WEIGHTS = np.geomspace(0.005, 0.5, 15)


def _pair(data: Path, name: str):
    noisy = read_image(data / "sem-denoise" / "noisy" / f"{name}.tif").content
    clean = read_image(data / "sem-denoise" / "clean" / f"{name}.tif").content
    return noisy, clean, estimate_shift(clean, noisy)


def tune_tv(data: Path) -> tuple[float, list[float]]:
    """The TV weight with the best mean PSNR on the training pairs, and the mean PSNR per weight."""
    pairs = [_pair(data, name) for name in TRAIN]
    means = [float(np.mean([score_pair(clean, denoise_tv_chambolle(noisy, weight=w), shift=shift)["psnr"]
                            for noisy, clean, shift in pairs])) for w in WEIGHTS]
    return float(WEIGHTS[int(np.argmax(means))]), means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sem-denoise", help="packaged model name or run folder")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    from cyclesem.restore.runs import load_run

    weight, means = tune_tv(args.data)
    print("TV weight grid (mean PSNR on training pairs 001-014): "
          + ", ".join(f"{w:.3g}: {m:.2f}" for w, m in zip(WEIGHTS, means)))
    print(f"chosen weight {weight:.4g}")
    run = load_run(args.model)
    methods = {"identity": lambda x: x, f"tv (weight {weight:.3g})": lambda x: denoise_tv_chambolle(x, weight=weight),
               args.model: lambda x: np.clip(run.enhance(x), 0, 1)}
    scores = {name: [] for name in methods}
    for name in TEST:
        noisy, clean, shift = _pair(args.data, name)
        for method, fn in methods.items():
            s = score_pair(clean, fn(noisy), shift=shift)
            scores[method].append((s["psnr"], s["ssim"]))
    print(f"held-out pairs {', '.join(TEST)}: {run.describe()}")
    print("| method | n | PSNR (dB) | SSIM |\n|---|---:|---:|---:|")
    for method, values in scores.items():
        v = np.array(values)
        print(f"| {method} | {len(v)} | {v[:, 0].mean():.2f} ± {v[:, 0].std():.2f} | "
              f"{v[:, 1].mean():.3f} ± {v[:, 1].std():.3f} |")


if __name__ == "__main__":
    main()
