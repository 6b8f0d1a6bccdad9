"""Real defocus pairs: classical baselines, MIDNet, NAFNet and an unpaired CycleGAN on midnet-defocus.

Reproduces the table of experiments/README.md, section "Real defocus pairs",
end to end (about 26 minutes on a loaded 2-core CPU)::

    .venv/bin/python -m experiments.real_defocus.run

Steps (each prints the exact command it runs, and its wall time):

1. split ``../shared/data/midnet-defocus`` by source image: sources 1-5 train
   (MIDNet / NAFNet hold out one of them for validation with --val-fraction
   0.2), sources 6-7 test. Folders of symbolic links go in ``--work`` (outside
   the project; the images are never copied). The CycleGAN trains unpaired on
   the blurry images of sources 1, 3, 5 and the sharp images of sources 2, 4:
   its two halves never show the same field.
2. calibrate a Gaussian PSF on the training pairs: the sigma whose blur of
   the (registered) sharp image, after a least-squares gain and offset, best
   matches the blurry one, averaged over all training pairs. The test split is
   laid out as a benchmark folder whose ``test/psf`` holds that PSF, so
   ``cyclesem compare``'s wiener, self_wiener and rl use it ("PSF calibrated
   on training pairs"; the report's method notes say "true PSF").
3. train MIDNet and NAFNet (--paired --register, ``supervised.toml``) and the
   CycleGAN (--unpaired, ``cyclegan.toml``) into ``--out/runs``.
4. ``cyclesem compare --benchmark TEST --register`` on the 24 test pairs:
   ``--out/compare/{metrics.csv,report.md,report.html}``.
5. ``wiener_tuned``: Wiener with the calibrated PSF and the balance that
   scores best on the training pairs (compare's ``wiener`` keeps balance
   0.01), scored the way compare scores; ``--out/summary.md`` holds the whole
   table, ``--out/metrics_all.csv`` its rows.

Timings go to ``--out/timings.json``, the fits to ``--out/psf_fit.json`` and
``--out/balance_fit.json``. On a GPU: ``--preset paper --cyclegan-preset paper --gpu``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from experiments import PROJECT_ROOT as ROOT

HERE = Path(__file__).resolve().parent
from cyclesem import io
from cyclesem.evaluate import report, report_data
from cyclesem.restore import classical
from cyclesem.data import registration
from cyclesem.evaluate.metrics import no_reference_scores, psnr, score_pair
from cyclesem.data.pairs import match_pair_folders
from synth.blur import blur
from cyclesem.restore.classical.psf import gaussian_psf

TRAIN_SOURCES, TEST_SOURCES = ("1", "2", "3", "4", "5"), ("6", "7")
CYCLEGAN_BLURRY_SOURCES, CYCLEGAN_CLEAR_SOURCES = ("1", "3", "5"), ("2", "4")
SIGMAS = np.round(np.geomspace(0.5, 24.0, 40), 3)
BALANCES = np.geomspace(1e-3, 1e3, 19)
CYCLESEM = Path(sys.executable).absolute().parent / "cyclesem"  # the command beside this Python
METHODS = ("identity", "wiener", "self_wiener", "rl", "blind")


def _link_all(pairs, folder: Path, side: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for pair in pairs:
        source = getattr(pair, side)
        os.symlink(source.resolve(), folder / source.name)


def split(data: Path, work: Path) -> dict:
    """Symbolic-link folders of the split (see the module docstring)."""
    if work.exists():
        shutil.rmtree(work)
    pairs = match_pair_folders(data / "blur", data / "sharp")
    train = [p for p in pairs if p.group in TRAIN_SOURCES]
    test = [p for p in pairs if p.group in TEST_SOURCES]
    _link_all(train, work / "train" / "blurry", "blurry")
    _link_all(train, work / "train" / "sharp", "sharp")
    _link_all(test, work / "test" / "test" / "blurry", "blurry")
    _link_all(test, work / "test" / "test" / "clear", "sharp")
    _link_all([p for p in train if p.group in CYCLEGAN_BLURRY_SOURCES], work / "unpaired" / "blurry", "blurry")
    _link_all([p for p in train if p.group in CYCLEGAN_CLEAR_SOURCES], work / "unpaired" / "clear", "sharp")
    return {"train": train, "test": test}


def calibrate_sigma(train_pairs) -> dict:
    """The Gaussian sigma (px) whose blur of each sharp image best explains its blurry partner."""
    errors = np.zeros(len(SIGMAS))
    psfs = [gaussian_psf(float(sigma)) for sigma in SIGMAS]
    for pair in train_pairs:
        sharp = io.read_image(pair.sharp).content
        blurry = io.read_image(pair.blurry).content
        sharp, blurry, _ = registration.align_pair(sharp, blurry)
        for index, psf in enumerate(psfs):
            model = blur(sharp, psf).ravel()
            design = np.stack([model, np.ones_like(model)], axis=1)
            coefficients, *_ = np.linalg.lstsq(design, blurry.ravel(), rcond=None)
            errors[index] += np.mean((design @ coefficients - blurry.ravel()) ** 2)
    errors /= len(train_pairs)
    best = int(np.argmin(errors))
    return {"sigma": float(SIGMAS[best]), "mse": float(errors[best]), "pairs": len(train_pairs),
            "mse_by_sigma": {float(s): float(e) for s, e in zip(SIGMAS, errors)}}


def _read_pair(pair) -> tuple[np.ndarray, np.ndarray]:
    return io.read_image(pair.blurry).content, io.read_image(pair.sharp).content


def calibrate_balance(train_pairs, psf) -> dict:
    """The Wiener balance with the best mean registered PSNR on the training pairs."""
    scores = np.zeros(len(BALANCES))
    for pair in train_pairs:
        blurry, sharp = _read_pair(pair)
        shift = registration.estimate_shift(sharp, blurry)
        for index, balance in enumerate(BALANCES):
            restored = classical.wiener(blurry, psf, float(balance))
            scores[index] += psnr(*registration.overlap(sharp, restored, shift))
    scores /= len(train_pairs)
    best = int(np.argmax(scores))
    return {"balance": float(BALANCES[best]), "psnr": float(scores[best]),
            "psnr_by_balance": {float(b): float(v) for b, v in zip(BALANCES, scores)}}


def score_tuned_wiener(test_pairs, psf, balance: float) -> list[dict]:
    """Rows like ``cyclesem compare``'s for Wiener with the calibrated PSF and balance (same scoring)."""
    rows = []
    for pair in test_pairs:
        blurry, sharp = _read_pair(pair)
        shift = registration.estimate_shift(sharp, blurry)
        started = time.perf_counter()
        restored = classical.wiener(blurry, psf, balance)
        seconds = time.perf_counter() - started
        rows.append({"image": pair.name, "method": "wiener_tuned"} | score_pair(sharp, restored, shift=shift)
                    | {"seconds": seconds})
    return rows


def write_summary(out: Path, test_pairs, extra_rows: list[dict]) -> str:
    """``summary.md``: compare's rows plus ``extra_rows`` in one table (mean ± std over the test pairs)."""
    with open(out / "compare" / "metrics.csv", newline="", encoding="utf-8") as handle:
        rows = [{k: (v if k in ("image", "method") else float(v)) for k, v in row.items()}
                for row in csv.DictReader(handle)]
    rows += extra_rows
    methods = list(dict.fromkeys(row["method"] for row in rows))
    reference = report_data.mean_scores([no_reference_scores(_read_pair(p)[1]) for p in test_pairs])
    table = report.markdown_table(report_data.summarize(rows, methods), reference)
    report.write_csv(rows, out / "metrics_all.csv")
    (out / "summary.md").write_text(table + "\n", encoding="utf-8")
    return table


def write_psfs(test_pairs, sigma: float, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for pair in test_pairs:
        np.save(folder / f"{pair.name}.npy", gaussian_psf(sigma))


def _shown(word) -> str:
    """A command word; paths inside the project relative to it (the commands run there)."""
    path = Path(word).resolve() if isinstance(word, Path) else None
    if path is not None and path.is_relative_to(ROOT):
        return str(path.relative_to(ROOT))
    return str(word)


def run(command: list, timings: dict, key: str) -> None:
    """Run a command (printed first), record its wall time, stop the script if it fails."""
    words = [_shown(word) for word in command]
    print("$", shlex.join(words), flush=True)
    started = time.perf_counter()
    subprocess.run(words, check=True, cwd=ROOT)
    timings[key] = {"command": shlex.join(words), "seconds": round(time.perf_counter() - started, 1)}


def train_commands(args, work: Path, runs: Path) -> dict:
    """The three training commands: CPU-sized schedules from the .toml files, or (--gpu) the presets' own."""
    def settings(toml: str) -> list:
        return ["--mixed-precision"] if args.gpu else ["--config", HERE / toml]

    paired = [CYCLESEM, "train", "--paired", "--blurry", work / "train" / "blurry", "--sharp", work / "train" / "sharp",
              "--register", "--val-fraction", 0.2, "--preset", args.preset, *settings("supervised.toml"),
              "--overwrite"]
    return {
        "midnet": [*paired, "--model", "midnet", "--out", runs / "midnet"],
        "nafnet": [*paired, "--model", "nafnet", "--out", runs / "nafnet"],
        "cyclegan": [CYCLESEM, "train", "--unpaired", "--blurry", work / "unpaired" / "blurry",
                     "--clear", work / "unpaired" / "clear", "--preset", args.cyclegan_preset,
                     *settings("cyclegan.toml"), "--overwrite", "--out", runs / "cyclegan"],
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "midnet-defocus")
    parser.add_argument("--work", type=Path, default=Path("/tmp/cyclesem-real-defocus"),
                        help="folder for the split's symbolic links (replaced)")
    parser.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" / "real_defocus")
    parser.add_argument("--preset", default="small", help="MIDNet/NAFNet preset (paper on a GPU)")
    parser.add_argument("--cyclegan-preset", default="small")
    parser.add_argument("--models", default="midnet,nafnet,cyclegan", help="which networks to train")
    parser.add_argument("--gpu", action="store_true", help="train with the presets' own schedules "
                        "(not the CPU-sized .toml files) and --mixed-precision")
    parser.add_argument("--skip-training", action="store_true", help="compare the runs already in --out/runs")
    return parser.parse_args()


def _save_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def main() -> None:
    args = parse_args()
    if not args.data.is_dir():
        sys.exit(f"real data not found at {args.data} (../shared/data is absent)")
    args.out.mkdir(parents=True, exist_ok=True)
    timings_path = args.out / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}

    started = time.perf_counter()
    pairs = split(args.data, args.work)
    fit = calibrate_sigma(pairs["train"])
    psf = gaussian_psf(fit["sigma"])
    write_psfs(pairs["test"], fit["sigma"], args.work / "test" / "test" / "psf")
    _save_json(args.out / "psf_fit.json", fit)
    timings["split_and_psf_fit"] = {"seconds": round(time.perf_counter() - started, 1)}
    print(f"Gaussian PSF calibrated on {fit['pairs']} training pairs: sigma {fit['sigma']} px", flush=True)

    runs = args.out / "runs"
    commands = train_commands(args, args.work, runs)
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    for name in names if not args.skip_training else []:
        run(commands[name], timings, f"train_{name}")
        _save_json(timings_path, timings)
    methods = ",".join([*METHODS, *(_shown(runs / name) for name in names)])
    run([CYCLESEM, "compare", "--benchmark", args.work / "test", "--register", "--methods", methods,
         "--out", args.out / "compare", "--overwrite"], timings, "compare")

    started = time.perf_counter()
    tuned = calibrate_balance(pairs["train"], psf)
    _save_json(args.out / "balance_fit.json", tuned)
    rows = score_tuned_wiener(pairs["test"], psf, tuned["balance"])
    timings["wiener_tuned"] = {"seconds": round(time.perf_counter() - started, 1)}
    _save_json(timings_path, timings)
    print(f"Wiener balance calibrated on the training pairs: {tuned['balance']:.3g}")
    print(write_summary(args.out, pairs["test"], rows))

if __name__ == "__main__":
    main()
