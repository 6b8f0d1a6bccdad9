"""Unpaired splits of the real defocus pairs by source image (folders of symbolic links).

    python -m experiments.unpaired.defocus_splits --data ../shared/data/midnet-defocus --out WORK

For each split: ``train_blurry`` (the blurry images of three sources),
``train_clear`` (the sharp images of two other sources: the unpaired halves
never show the same field), ``test_blurry`` / ``test_sharp`` (the pairs of the
two remaining sources, for scoring only). The images are never copied.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

SPLITS = {  # name: (blurry sources, clear sources, test sources)
    "A": ((1, 3, 5), (2, 4), (6, 7)),
    "B": ((3, 5, 7), (4, 6), (1, 2)),
    "C": ((1, 5, 7), (2, 6), (3, 4)),
}


def make_splits(data: Path, out: Path) -> None:
    """Write the folders of every split under ``out/NAME``."""
    for name, (blurry, clear, test) in SPLITS.items():
        for role, sources, side in (("train_blurry", blurry, "blur"), ("train_clear", clear, "sharp"),
                                    ("test_blurry", test, "blur"), ("test_sharp", test, "sharp")):
            folder = out / name / role
            folder.mkdir(parents=True, exist_ok=True)
            for image in sorted((data / side).glob("*.png")):
                if int(image.name.split("-")[0]) in sources and not (folder / image.name).exists():
                    os.symlink(image.resolve(), folder / image.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/midnet-defocus"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    make_splits(args.data, args.out)


if __name__ == "__main__":
    main()
