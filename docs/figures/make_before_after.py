"""The README's before/after figure from a real SEM image: noisy frame, `sem-denoise`, clean frame.

Run from the project's root with the project's Python (it needs ``../shared/data``, which is not
part of the repository; only the rendered PNG is committed)::

    .venv/bin/python docs/figures/make_before_after.py

It runs ``cyclesem enhance --model sem-denoise`` on the held-out noisy frame 018 of
``sem-denoise`` (MIT, Copyright (c) 2023 Seoleun Shin, ``seoleuns/SEMdenoising``; pairs 017-020
were never trained on nor used to pick the checkpoint), registers the clean frame of the same
field onto the noisy one (``cyclesem.data.registration.estimate_shift``, a whole-pixel shift so
that nothing is interpolated) and draws the same crop of the three side by side.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "sem-denoise"
OUT = ROOT / "docs" / "images" / "before-after.png"


def enhanced_copy(noisy: Path, folder: Path) -> Path:
    """``cyclesem enhance --model sem-denoise NOISY --out FOLDER``, as a user runs it."""
    cli = Path(sys.executable).with_name("cyclesem")
    subprocess.run([str(cli), "enhance", "--model", "sem-denoise", str(noisy), "--out", str(folder)], check=True)
    (result,) = [p for p in folder.iterdir() if p.is_file()]
    return result


def aligned_crop(reference: np.ndarray, moving: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """``moving`` shifted by whole pixels onto ``reference``, then cropped to ``box``."""
    from cyclesem.data.registration import estimate_shift

    dy, dx = (int(round(v)) for v in estimate_shift(reference, moving))
    rows, cols = box
    return moving[rows.start - dy : rows.stop - dy, cols.start - dx : cols.stop - dx]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", default="018", help="the held-out pair of sem-denoise (017-020)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--box", type=int, nargs=3, default=(120, 150, 200), metavar=("TOP", "LEFT", "SIZE"))
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cyclesem import read_image

    noisy_path = args.data / "noisy" / f"{args.pair}.tif"
    with tempfile.TemporaryDirectory() as folder:
        enhanced = read_image(enhanced_copy(noisy_path, Path(folder))).content
    noisy = read_image(noisy_path).content
    clean = read_image(args.data / "clean" / f"{args.pair}.tif").content
    top, left, size = args.box
    box = (slice(top, top + size), slice(left, left + size))
    panels = [
        ("noisy frame (100 ns dwell)", noisy[box]),
        ("cyclesem enhance --model sem-denoise", enhanced[box]),
        ("clean frame (30 µs dwell), reference", aligned_crop(noisy, clean, box)),
    ]
    low, high = np.percentile(noisy[box], [0.5, 99.5])
    figure, axes = plt.subplots(1, 3, figsize=(9, 3.4), dpi=100)
    for axis, (title, crop) in zip(axes, panels):
        axis.imshow(crop, cmap="gray", vmin=low, vmax=high, interpolation="nearest")
        axis.set_title(title, fontsize=9)
        axis.set_axis_off()
    figure.tight_layout(pad=0.6)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=100)
    print(f"{args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
