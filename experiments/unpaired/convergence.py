"""Validation PSNR/SSIM of an unpaired run against training step, from its kept checkpoints.

    python -m experiments.unpaired.convergence RUN --pairs BLURRY SHARP [--register] --out CSV

Each kept checkpoint (``RUN/checkpoints/step_N.npz``; train with
``--set train.keep_checkpoints=K`` to keep them all) is restored into the run's
model, its blurry -> clear network exported and applied to every test pair with
the run's normalisation, and scored (registered PSNR/SSIM when ``--register``).
The test pairs are only scored here, never shown to training. Writes one CSV
row per step: ``step, psnr, ssim, psnr_std, ssim_std, n``.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np


def _score_network(network, normalizer, pairs, register: bool) -> tuple[list, list]:
    from cyclesem.data.registration import estimate_shift
    from cyclesem.evaluate.metrics import score_pair
    from cyclesem.io import read_image

    psnrs, ssims = [], []
    for blurry_path, sharp_path in pairs:
        blurry = np.asarray(read_image(blurry_path).content, np.float32)
        sharp = np.asarray(read_image(sharp_path).content, np.float32)
        normalised, params = normalizer.before(blurry)
        restored = np.asarray(network(normalised[None, ..., None], training=False))[0, ..., 0]
        restored = normalizer.after(restored, params)
        shift = estimate_shift(sharp, blurry) if register else None
        scores = score_pair(sharp, restored, shift=shift)
        psnrs.append(scores["psnr"])
        ssims.append(scores["ssim"])
    return psnrs, ssims


def convergence(run: Path, blurry_dir: Path, sharp_dir: Path, register: bool) -> list[dict]:
    """One row per kept checkpoint (and step 0, the untrained network)."""
    from cyclesem.config import config_from_dict
    from cyclesem.io import list_images
    from cyclesem.train.tasks import cyclegan_task
    from cyclesem.train.run_files import restore_checkpoint

    config = config_from_dict(json.loads((run / "config.json").read_text()))
    normalizer = config.data.normalizer()
    dummy = [np.zeros((config.train.crop, config.train.crop), np.float32)]
    task = cyclegan_task(config, dummy, dummy)
    model = task.build_model()
    pairs = [(b, sharp_dir / b.name) for b in list_images(blurry_dir)]
    rows = []
    checkpoints = sorted((run / "checkpoints").glob("step_*.npz"))
    for checkpoint in [None, *checkpoints]:
        step = 0 if checkpoint is None else restore_checkpoint({"model": list(model.variables)}, checkpoint)
        psnrs, ssims = _score_network(task.export_model(model), normalizer, pairs, register)
        rows.append({"step": step, "psnr": np.mean(psnrs), "ssim": np.mean(ssims),
                     "psnr_std": np.std(psnrs), "ssim_std": np.std(ssims), "n": len(psnrs)})
        print(f"step {step}: PSNR {rows[-1]['psnr']:.2f} dB, SSIM {rows[-1]['ssim']:.3f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--pairs", nargs=2, type=Path, required=True, metavar=("BLURRY", "SHARP"))
    parser.add_argument("--register", action="store_true")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    args = parser.parse_args()
    rows = convergence(args.run, *args.pairs, args.register)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}
                         for row in rows)


if __name__ == "__main__":
    main()
