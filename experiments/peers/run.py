"""Run the peers benchmark for one task, resumably: ``python -m experiments.peers.run --task deblur|denoise --out DIR``.

deblur: leave-one-source-out over the seven midnet-defocus sources (anything tuned or
trained sees only the other six); denoise: sem-denoise pairs, tuned / trained on
001-016, scored on 017-020. Each (task, fold, method) is written to DIR/results.csv
at once when it finishes; a rerun skips those already there. --methods picks a
subset (for example the CAREamics ones in an environment that has the ``peers`` extra).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from experiments.peers import classical
from experiments.peers.common import (DENOISE_FOLD, DENOISE_TEST, DENOISE_TRAIN, Pair, Results, best_params,
                                      leave_one_out, load_deblur, load_denoise, score, timed)

METHODS = {
    "deblur": ["input", "blind", "rl", "care", "n2v"],
    "denoise": ["input", "tv", "bm3d", "sem-denoise", "care", "n2v"],
}
LEARNED = {"care", "n2v"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def score_all(task: str, fold: str, method: str, test: list[Pair], restore, batched: bool = False) -> list[dict]:
    """Score ``restore`` on every test pair; ``batched``: one call on all images, seconds split evenly."""
    if batched:
        outputs, total = timed(restore, [p.degraded for p in test])
        timings = [(o, total / len(test)) for o in outputs]
    else:
        timings = [timed(restore, p.degraded) for p in test]
    rows = []
    for pair, (output, seconds) in zip(test, timings):
        rows.append({"task": task, "fold": fold, "method": method, "image": pair.name,
                     **score(pair, output), "seconds": seconds})
    mean = np.mean([r["psnr"] for r in rows])
    log(f"{task} fold {fold} {method}: mean PSNR {mean:.2f} over {len(rows)} images")
    return rows


def tuned(task: str, fold: str, method: str, grid: dict, train_names: list[str], apply) -> tuple:
    setting = best_params(grid, train_names)
    mean = float(np.mean([grid[setting][n] for n in train_names]))
    fit = {"task": task, "fold": fold, "method": method, "seconds": "", "steps": "", "epochs": "",
           "detail": f"chosen {setting} (mean training PSNR {mean:.3f} over {len(train_names)} images)"}
    log(f"{task} fold {fold} {method}: chose {setting}")
    return (lambda image: apply(image, setting)), fit


def learned(task: str, fold: str, method: str, train: list[Pair], budget: float, out: Path) -> tuple:
    from experiments.peers import learned as peers_learned

    if method == "care":
        inputs, targets = peers_learned.care_training_data(train)
    else:
        inputs, targets = peers_learned.n2v_training_data(train), None
    log(f"{task} fold {fold} {method}: training on {len(inputs)} tiles, CPU budget {budget:g} s")
    model, fit = peers_learned.train(method, inputs, targets, budget, out / "work" / f"{task}_{fold}_{method}")
    log(f"{task} fold {fold} {method}: trained {fit['seconds']:.1f} s wall, {fit['steps']} steps, "
        f"{fit['epochs']} epochs; {fit['detail']}")
    return (lambda images: peers_learned.predict(model, images)), {"task": task, "fold": fold, "method": method, **fit}


def identity(image):
    return image


def run_folds(results: Results, task: str, folds, methods: list[str], fit_for, budget: float) -> None:
    """For each ``(fold, train, test)`` and method not yet in ``results``: fit, restore the test pairs, write.

    ``fit_for(method, fold, train)`` returns ``(restore, fit record or None)`` for the task's own methods.
    """
    for fold, train, test in folds:
        for method in methods:
            if results.done(task, fold, method):
                log(f"{task} fold {fold} {method}: already in {results.path}, skipped")
                continue
            if method == "input":
                restore, fit = identity, None
            elif method in LEARNED:
                restore, fit = learned(task, fold, method, train, budget, results.out)
            else:
                restore, fit = fit_for(method, fold, train)
            results.add(score_all(task, fold, method, test, restore, method in LEARNED), fit)


def run_deblur(results: Results, data: Path, methods: list[str], folds: list[str] | None, budget: float) -> None:
    pairs = load_deblur(data)
    grid = {}

    def fit_for(method: str, fold: str, train: list[Pair]):
        if method == "blind":
            return classical.blind, None
        if "rl" not in grid:
            grid["rl"] = classical.rl_grid(results.out, pairs, log)
        tuning = [p.name for p in pairs[:: classical.RL_TUNE_EVERY] if p.group != fold]
        return tuned("deblur", fold, method, grid["rl"], tuning, classical.richardson_lucy)

    held_out = folds or sorted({p.group for p in pairs}, key=int)
    run_folds(results, "deblur", ((f, *leave_one_out(pairs, f)) for f in held_out), methods, fit_for, budget)


def run_denoise(results: Results, data: Path, methods: list[str], budget: float) -> None:
    train, test = load_denoise(data, DENOISE_TRAIN), load_denoise(data, DENOISE_TEST)

    def fit_for(method: str, fold: str, train: list[Pair]):
        if method == "sem-denoise":
            from cyclesem.restore.runs import load_run

            run = load_run("sem-denoise")
            return run.enhance, {"task": "denoise", "fold": fold, "method": method, "seconds": "", "steps": "",
                                 "epochs": "", "detail": run.describe()}
        denoiser = {"tv": classical.tv, "bm3d": classical.bm3d}[method]
        grid = {"tv": classical.tv_grid, "bm3d": classical.bm3d_grid}[method](results.out, train, log)
        return tuned("denoise", fold, method, grid, [p.name for p in train], lambda im, s: denoiser(im, float(s)))

    run_folds(results, "denoise", [(DENOISE_FOLD, train, test)], methods, fit_for, budget)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(METHODS), required=True)
    parser.add_argument("--out", type=Path, required=True, help="output folder (results.csv, fits.csv, grids)")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--methods", help="comma-separated subset, in this order (default: all of the task's)")
    parser.add_argument("--folds", help="deblur: comma-separated held-out sources (default 1..7)")
    parser.add_argument("--budget", type=float, default=100.0, help="training CPU seconds (user+system, all threads) per fold, learned peers")
    args = parser.parse_args(argv)
    methods = args.methods.split(",") if args.methods else METHODS[args.task]
    unknown = [m for m in methods if m not in METHODS[args.task]]
    if unknown:
        parser.error(f"unknown method(s) {unknown} for {args.task}; choose from {METHODS[args.task]}")
    results = Results(args.out)
    log(f"{' '.join(sys.argv)}")
    if args.task == "deblur":
        run_deblur(results, args.data, methods, args.folds.split(",") if args.folds else None, args.budget)
    else:
        run_denoise(results, args.data, methods, args.budget)
    log("done")


if __name__ == "__main__":
    main()
