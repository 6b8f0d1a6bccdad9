"""Score a run (or a packaged model) on the real defocus pairs (above the info bar), per source image.

Registered PSNR / SSIM (file units, the blurry input's shift for every method, as
``cyclesem compare --register``) of the input and of the network's output against
the sharp image, for every ``--every``-th pair of ``midnet-defocus``; mean and
spread per source and over all. For tracking a training run at its checkpoints:

    python -m experiments.pretrained.check_real RESULTS/sem-deblur --every 3
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from cyclesem.io import read_image
from cyclesem.evaluate.metrics import score_pair
from cyclesem.data.pairs import source_group
from cyclesem.data.registration import estimate_shift


def defocus_pairs(data: Path, every: int):
    """Yield ``(name, blurry, sharp, shift)`` for every ``every``-th pair of ``data/{blur,sharp}``.

    Images are the content above any info bar; ``shift`` moves the blurry image onto the sharp one.
    """
    for name in sorted(p.name for p in (data / "blur").glob("*.png"))[::every]:
        blurry = read_image(data / "blur" / name).content
        sharp = read_image(data / "sharp" / name).content
        yield name, blurry, sharp, estimate_shift(sharp, blurry)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="run folder or packaged model name")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/midnet-defocus"))
    parser.add_argument("--every", type=int, default=3)
    args = parser.parse_args()
    from cyclesem.restore.runs import load_run  # a run folder or a packaged model's name

    run = load_run(args.model)
    scores = defaultdict(list)
    for name, blurry, sharp, shift in defocus_pairs(args.data, args.every):
        before = score_pair(sharp, blurry, shift=shift)
        after = score_pair(sharp, np.clip(run.enhance(blurry), 0, 1), shift=shift)
        scores[source_group(Path(name).stem)].append((before["psnr"], before["ssim"], after["psnr"], after["ssim"]))
    print(f"{run.describe()}")
    print("source  n  input PSNR  SSIM  | output PSNR  SSIM  | gain dB")
    every = []
    for group in sorted(scores):
        values = np.array(scores[group])
        every.append(values)
        mean = values.mean(0)
        print(f"{group:>6} {len(values):2d}  {mean[0]:6.2f}  {mean[1]:.3f} | {mean[2]:6.2f}  {mean[3]:.3f} | "
              f"{mean[2] - mean[0]:+.2f}")
    values = np.concatenate(every)
    gains = values[:, 2] - values[:, 0]
    print(f"   all {len(values):2d}  {values[:, 0].mean():6.2f}  {values[:, 1].mean():.3f} | "
          f"{values[:, 2].mean():6.2f}  {values[:, 3].mean():.3f} | {gains.mean():+.2f} ± {gains.std():.2f}")


if __name__ == "__main__":
    main()
