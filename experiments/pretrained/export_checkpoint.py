"""Export the network of one checkpoint of a paired (MIDNet/NAFNet) run as a run folder.

For picking a pretrained model's step after training: writes ``OUT/{config.json,state.json,
generator.keras}`` from ``RUN/checkpoints/step_N.npz``, so ``cyclesem compare`` and
``experiments/pretrained/package.py`` take it like any run.

    python -m experiments.pretrained.export_checkpoint RESULTS/sem-deblur 250 RESULTS/sem-deblur-250

``--average-from S`` exports instead the mean of the weights of every kept checkpoint from
step ``S`` to ``N`` (checkpoint averaging: Izmailov et al. 2018, "Averaging weights leads to
wider optima and better generalization"; Cha et al. 2021, SWAD, for data unlike the training
data). Each checkpoint sits where a step of a noisy optimiser left it; their mean is the
centre of the region they wander in, and a network that generalises better than any one of them.

    python -m experiments.pretrained.export_checkpoint RESULTS/sem-deblur 3000 OUT --average-from 1500
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from cyclesem.config import load_mapping
from cyclesem.data.pairs import LoadedPair
from cyclesem.io.run_folder import checkpoint_path
from cyclesem.train.run_files import restore_checkpoint
from cyclesem.config.supervised import resolve_supervised_config
from cyclesem.train.supervised import SupervisedTask


def export(run: Path, step: int, out: Path, average_from: int | None = None,
           local_pool: float | None = None, self_ensemble: bool | None = None) -> list[int]:
    """Write ``out`` from checkpoint ``step`` (or the mean of those from ``average_from`` on); returns the steps used.

    ``local_pool`` and ``self_ensemble`` replace the run's ``model.local_pool`` (test-time
    local pooling) and ``model.self_ensemble`` (the mean over flips; see
    :class:`cyclesem.config.supervised.MidnetSettings`) in the exported network and its config.
    """
    saved = load_mapping(run / "config.json")
    for key, value in (("local_pool", local_pool), ("self_ensemble", self_ensemble)):
        if value is not None:
            saved["model"] = {**saved["model"], key: value}
    config = resolve_supervised_config(saved["kind"], saved.get("preset", "small"), saved)
    crop = config.train.crop
    dummy = LoadedPair("dummy", np.zeros((crop, crop), np.float32), np.zeros((crop, crop), np.float32), (0.0, 0.0))
    task = SupervisedTask(config, [dummy])
    model = task.build_model()
    groups = {"model": list(model.variables), "optimizer.adam": list(model.optimizer.variables)}
    steps = [step]
    if average_from is not None:
        kept = sorted(int(path.stem.split("_")[1]) for path in (run / "checkpoints").glob("step_*.npz"))
        steps = [kept_step for kept_step in kept if average_from <= kept_step <= step]
    total = None
    for used in steps:
        restore_checkpoint(groups, checkpoint_path(run, used))
        values = [np.asarray(variable.numpy(), np.float64) for variable in model.variables]
        total = values if total is None else [a + b for a, b in zip(total, values)]
    for variable, summed in zip(model.variables, total):
        if np.issubdtype(np.dtype(variable.dtype), np.floating):
            variable.assign((summed / len(steps)).astype(variable.dtype))
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(saved, indent=2) + "\n")
    state = json.loads((run / "state.json").read_text())
    state.update(step=step, checkpoint=None)
    state.pop("best", None)
    if len(steps) > 1:
        state["averaged_steps"] = steps
    (out / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    task.export_model(model).save(out / "generator.keras")
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("step", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--average-from", type=int, help="export the mean of the checkpoints from this step on")
    parser.add_argument("--local-pool", type=float, help="test-time local pooling window, in training crops")
    parser.add_argument("--self-ensemble", action="store_true", help="export the mean over the flips of the input")
    args = parser.parse_args()
    steps = export(args.run, args.step, args.out, args.average_from, args.local_pool, args.self_ensemble or None)
    print(f"exported the mean of steps {steps} of {args.run} to {args.out}" if len(steps) > 1
          else f"exported step {args.step} of {args.run} to {args.out}")


if __name__ == "__main__":
    main()
