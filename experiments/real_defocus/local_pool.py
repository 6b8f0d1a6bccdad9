"""Tiled vs whole-image enhancement of a MIDNet/NAFNet run, with global or local channel-attention pooling.

The simplified channel attention of MIDNet/NAFNet averages over the whole
input, so a tile's output depends on the whole tile: tiled enhancement of a
large image differs from enhancing it in one piece. Exporting with local
pooling at inference (``model.local_pool``: windows of ``factor`` x the
training crop, NAFNet's TLC) keeps the statistics local. This script measures,
for a trained run:

1. max and mean |tiled - whole| on large real images (the 1024 x 688
   nanowire images of ``../shared/data/sem-clear``), tiles of 512 and 256 px;
2. PSNR / SSIM (registered, file units, as ``cyclesem compare``) on the run's
   own validation pairs, whole 512 px images, so the choice is not made on the
   test split.

Usage::

    .venv/bin/python -m experiments.real_defocus.local_pool experiments/results/real_defocus/runs/midnet \\
        --val-sources 3 --factor 1.5
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from cyclesem import io
from experiments import PROJECT_ROOT
from cyclesem.evaluate.metrics import score_pair
from cyclesem.data.pairs import match_pair_folders
from cyclesem.restore.runs import load_run
from cyclesem.io.run_folder import CONFIG_FILE, MODEL_FILE, STATE_FILE
from cyclesem.restore.tiling import TileSpec

SHARED = PROJECT_ROOT.parent / "shared" / "data"


def with_pool(run, window, folder: Path):
    """A copy of the run in ``folder`` whose network pools over ``window`` px at inference (None: global)."""
    from cyclesem.nets.midnet import with_local_pool

    folder.mkdir()
    for name in (CONFIG_FILE, STATE_FILE):
        shutil.copy(run.path / name, folder / name)
    with_local_pool(run.network, window).save(folder / MODEL_FILE)
    return load_run(folder)


def tiling_differences(run, images) -> dict:
    worst = {}
    for tile in (512, 256):
        diffs = []
        for image in images:
            whole = run.enhance(image, tile=TileSpec(tile=1088))
            diffs.append(np.abs(run.enhance(image, tile=TileSpec(tile=tile)) - whole))
        worst[tile] = (max(float(d.max()) for d in diffs), float(np.mean([d.mean() for d in diffs])))
    return worst


def validation_scores(run, pairs) -> tuple[float, float]:
    scores = [score_pair(io.read_image(p.sharp).content, run.enhance(io.read_image(p.blurry).content),
                         register=True) for p in pairs]
    return float(np.mean([s["psnr"] for s in scores])), float(np.mean([s["ssim"] for s in scores]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--data", type=Path, default=SHARED / "midnet-defocus")
    parser.add_argument("--val-sources", default="3", help="comma-separated source images to score on")
    parser.add_argument("--factor", type=float, default=1.5, help="local window = factor x training crop")
    args = parser.parse_args()
    run = load_run(args.run)
    crop = int(run.config.train.crop)
    large = [io.read_image(p).content for p in sorted((SHARED / "sem-clear" / "nanowires").glob("*.png"))[:3]]
    pairs = [p for p in match_pair_folders(args.data / "blur", args.data / "sharp")
             if p.group in args.val_sources.split(",")]
    scratch = Path(tempfile.mkdtemp())
    for window in (None, int(round(args.factor * crop))):
        variant = with_pool(run, window, scratch / f"pool_{window}")
        tiled = tiling_differences(variant, large)
        psnr, ssim = validation_scores(variant, pairs)
        label = "global pooling" if window is None else f"local pooling {window} px"
        shown = "; ".join(f"tile {t}: max {m:.2e}, mean {a:.2e}" for t, (m, a) in tiled.items())
        print(f"{run.name}, {label}: |tiled - whole| on {len(large)} images 1024x688: {shown}; "
              f"validation ({len(pairs)} pairs, sources {args.val_sources}): PSNR {psnr:.2f} dB, SSIM {ssim:.3f}",
              flush=True)
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
