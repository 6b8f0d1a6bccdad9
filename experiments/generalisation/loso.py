"""Train and run one method on every leave-one-source-out fold of the real defocus pairs.

    .venv/bin/python -m experiments.generalisation.loso --method unpaired --out RESULTS [--folds 1,2,...]
        [--set KEY=VALUE ...] [--steps N]

``--method``: ``unpaired`` (``cyclesem train --unpaired --preset small``, the default
unpaired model, on fold ``g``'s unpaired folders: blurry of three sources, sharp of the
other three), ``supervised`` (``cyclesem train --paired --model midnet --preset small``
with ``experiments/real_defocus/supervised.toml`` on the six training sources' pairs,
registered), ``sem-deblur`` (the packaged model, no training) or ``blind`` (blind
deconvolution). ``--set`` overrides reach the training command.

For every fold the method's outputs go to ``RESULTS/METHOD/fold_g/``:
``blurry/NAME.npy`` (the held-out blurry images restored) and ``sharp/NAME.npy`` (the
held-out *in-focus* images put through the same restorer, to see what it does to an image
with nothing to restore), float32 in file units, before the grey-level step
(``enhance.keep_grey_levels``, a variant of :mod:`experiments.generalisation.score`), plus ``seconds.json`` (training and
prediction wall times). A fold whose outputs exist is skipped, and a training run that
stopped is resumed, so the script can be killed and started again.
:mod:`experiments.generalisation.score` scores them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from experiments import PROJECT_ROOT as ROOT
from experiments.generalisation.folds import SOURCES, link_fold

CYCLESEM = Path(sys.executable).absolute().parent / "cyclesem"
SUPERVISED_CONFIG = ROOT / "experiments" / "real_defocus" / "supervised.toml"
DATA = ROOT.parent / "shared" / "data" / "midnet-defocus"


def train_command(method: str, work: Path, run: Path, overrides: list[str], steps: int | None) -> list | None:
    """The ``cyclesem train`` command of ``method`` on fold folder ``work`` into ``run`` (None: nothing to train)."""
    extra = [word for text in overrides for word in (("--config", text[len("config:"):]) if text.startswith("config:")
                                                      else ("--set", text))]
    extra += ["--steps", steps] if steps else []
    if method == "unpaired":
        return [CYCLESEM, "train", "--unpaired", "--preset", "small", "--blurry", work / "unpaired" / "blurry",
                "--clear", work / "unpaired" / "clear", *extra, "--out", run]
    if method == "supervised":
        return [CYCLESEM, "train", "--paired", "--model", "midnet", "--preset", "small", "--config",
                SUPERVISED_CONFIG, "--blurry", work / "train" / "blurry", "--sharp", work / "train" / "sharp",
                "--register", "--val-fraction", 0.2, *extra, "--out", run]
    return None


def train(method: str, work: Path, run: Path, overrides: list[str], steps: int | None) -> float:
    """Train (or resume) fold ``work``'s run in ``run``; its wall time in seconds (0 when nothing was trained)."""
    command = train_command(method, work, run, overrides, steps)
    if command is None:
        return 0.0
    state = run / "state.json"
    if state.exists() and json.loads(state.read_text()).get("finished"):
        return float(json.loads(state.read_text()).get("seconds", 0.0))
    if state.exists():
        command = [CYCLESEM, "train", "--resume", run]
    words = [str(word) for word in command]
    print("$", " ".join(words), flush=True)
    started = time.perf_counter()
    subprocess.run(words, check=True, cwd=ROOT)
    return time.perf_counter() - started


def restorer(method: str, run: Path):
    """``image -> restored`` for ``method`` (its trained ``run``, or no training)."""
    if method == "blind":
        from cyclesem.restore.classical import blind_deconvolution

        return lambda image: blind_deconvolution(image)[0]
    from cyclesem.restore.runs import load_run

    # the network's output before the grey-level step: score.py applies it as a variant
    return load_run("sem-deblur" if method == "sem-deblur" else run).with_grey_levels(False).enhance


def predict(restore, work: Path, out: Path) -> float:
    """Restore the held-out blurry and in-focus images of ``work`` into ``out``; wall time in seconds."""
    from cyclesem.io import read_image

    started = time.perf_counter()
    for side in ("blurry", "sharp"):
        (out / side).mkdir(parents=True, exist_ok=True)
        for path in sorted((work / "test" / side).glob("*.png")):
            restored = restore(read_image(path).content)
            np.save(out / side / f"{path.stem}.npy", np.asarray(restored, np.float32))
    return time.perf_counter() - started


def run_fold(method: str, name: str, held_out: int, results: Path, overrides: list[str], steps: int | None) -> None:
    """Train, predict and record the times of one fold (skipped when its outputs exist)."""
    out = results / name / f"fold_{held_out}"
    if (out / "seconds.json").exists():
        print(f"{name} fold {held_out}: done earlier", flush=True)
        return
    work = results / "folds" / f"fold_{held_out}"
    if not work.exists():
        link_fold(DATA, work, held_out)
    out.mkdir(parents=True, exist_ok=True)
    trained = train(method, work, out / "run", overrides, steps)
    predicted = predict(restorer(method, out / "run"), work, out)
    times = {"method": method, "train": round(trained, 1), "predict": round(predicted, 1),
             "overrides": overrides, "steps": steps}
    (out / "seconds.json").write_text(json.dumps(times, indent=1))
    print(f"{name} fold {held_out}: trained {trained:.0f} s, predicted {predicted:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=("unpaired", "supervised", "sem-deblur", "blind"), required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--folds", default=",".join(map(str, SOURCES)))
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="KEY=VALUE for the training command, or config:FILE for its --config")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--name", help="results folder name of this method (default: --method)")
    args = parser.parse_args()
    for held_out in (int(text) for text in args.folds.split(",")):
        run_fold(args.method, args.name or args.method, held_out, args.out, args.overrides, args.steps)


if __name__ == "__main__":
    main()
