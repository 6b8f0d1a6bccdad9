"""The supervised MIDNet (or NAFNet) on real defocus pairs over three splits by source image, with its curve.

    .venv/bin/python -m experiments.real_defocus.three_splits --out RESULTS [--splits A,B,C] [--steps 800]
        [--model midnet|nafnet]

For each split the test pairs are those of two source images, the same as the unpaired splits of
:mod:`experiments.unpaired.defocus_splits` (A: 6, 7; B: 1, 2; C: 3, 4); MIDNet trains on the pairs of
the other five sources (``--register --val-fraction 0.2``: one of the five is held out for
validation, whose PSNR every ``validate_every`` steps is the curve), then ``cyclesem compare
--register`` scores the input and the trained network on the test pairs (blind deconvolution and
``sem-deblur`` are scored on all 84 pairs once; their split means come from the per-source table). Writes ``OUT/SPLIT/{train,test}`` (symbolic links), ``OUT/SPLIT/run``,
``OUT/SPLIT/compare`` and ``OUT/summary.json`` (each split's scores, validation curve and wall
times). The images are never copied.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
from pathlib import Path

from experiments import PROJECT_ROOT as ROOT
from experiments.real_defocus.run import CYCLESEM, run
from experiments.unpaired.defocus_splits import SPLITS

CONFIG = Path(__file__).resolve().parent / "supervised.toml"


def link_split(data: Path, work: Path, test_sources: tuple[int, ...]) -> None:
    """``work/train/{blurry,sharp}`` (every other source) and ``work/test/{blurry,sharp}``."""
    if work.exists():
        shutil.rmtree(work)
    for side, folder in (("blur", "blurry"), ("sharp", "sharp")):
        for image in sorted((data / side).glob("*.png")):
            role = "test" if int(image.name.split("-")[0]) in test_sources else "train"
            target = work / role / folder
            target.mkdir(parents=True, exist_ok=True)
            os.symlink(image.resolve(), target / image.name)


def _scores(metrics_csv: Path) -> dict:
    by_method: dict[str, list] = {}
    with open(metrics_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            by_method.setdefault(row["method"], []).append((float(row["psnr"]), float(row["ssim"])))
    return {method: {"n": len(values), "psnr": sum(v[0] for v in values) / len(values),
                     "ssim": sum(v[1] for v in values) / len(values)} for method, values in by_method.items()}


def _curve(run: Path) -> list[dict]:
    with open(run / "losses.csv", newline="") as handle:
        return [{"step": int(row["step"]), "val_psnr": float(row["val_psnr"]), "val_ssim": float(row["val_ssim"])}
                for row in csv.DictReader(handle) if row.get("val_psnr")]


def run_split(name: str, data: Path, out: Path, steps: int, model: str = "midnet") -> dict:
    """Train and score one split; returns its summary."""
    work = out / name
    link_split(data, work, SPLITS[name][2])
    timings: dict = {}
    run([CYCLESEM, "train", "--paired", "--model", model, "--preset", "small", "--config", CONFIG,
         "--blurry", work / "train" / "blurry", "--sharp", work / "train" / "sharp", "--register",
         "--val-fraction", 0.2, "--steps", steps, "--overwrite", "--out", work / "run"], timings, "train")
    run([CYCLESEM, "compare", "--pairs", work / "test" / "blurry", work / "test" / "sharp", "--register",
         "--methods", f"identity,{work / 'run'}", "--overwrite", "--out", work / "compare"], timings, "compare")
    return {"test_sources": list(SPLITS[name][2]), "train_seconds": timings["train"]["seconds"],
            "compare_seconds": timings["compare"]["seconds"],
            "scores": _scores(work / "compare" / "metrics.csv"), "validation_curve": _curve(work / "run")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "midnet-defocus")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--splits", default="A,B,C")
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--model", choices=("midnet", "nafnet"), default="midnet")
    args = parser.parse_args()
    summary = {}
    for name in args.splits.split(","):
        summary[name] = run_split(name, args.data.resolve(), args.out.resolve(), args.steps, args.model)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(json.dumps({name: summary[name]["scores"]}), flush=True)


if __name__ == "__main__":
    main()
