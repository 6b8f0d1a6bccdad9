"""How much a model changes in-focus images: PSNR / SSIM of its output against its input.

On every image of ``sem-clear`` (nanowires, superalloy; content above any info bar, file
units): a deblurring network should leave a sharp image nearly as it is (high PSNR against
the input), not "sharpen" it into ringing. Mean ± std per folder.

    python -m experiments.pretrained.infocus sem-deblur [--data ../shared/data/sem-clear]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cyclesem.io import list_images, read_image
from cyclesem.evaluate.metrics import psnr, ssim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="packaged model name or run folder")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/sem-clear"))
    args = parser.parse_args()
    from cyclesem.restore.runs import load_run

    run = load_run(args.model)
    print(run.describe())
    print("| images | n | PSNR output vs input (dB) | SSIM output vs input |\n|---|---:|---:|---:|")
    for folder in sorted(p for p in args.data.iterdir() if p.is_dir()):
        scores = []
        for path in list_images([folder]):
            image = read_image(path).content
            out = np.clip(run.enhance(image), 0, 1)
            scores.append((psnr(image, out), ssim(image, out)))
        v = np.array(scores)
        print(f"| {folder.name} | {len(v)} | {v[:, 0].mean():.2f} ± {v[:, 0].std():.2f} | "
              f"{v[:, 1].mean():.3f} ± {v[:, 1].std():.3f} |")


if __name__ == "__main__":
    main()
