"""Export the network of one checkpoint of a paired (MIDNet/NAFNet) run as a run folder.

For picking a pretrained model's step after training: writes ``OUT/{config.json,state.json,
generator.keras}`` from ``RUN/checkpoints/step_N.npz``, so ``cyclesem compare`` and
``experiments/pretrained/package.py`` take it like any run.

    python -m experiments.pretrained.export_checkpoint RESULTS/sem-deblur 250 RESULTS/sem-deblur-250
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from cyclesem.config import load_mapping
from cyclesem.data.pairs import LoadedPair
from cyclesem.train.run_folder import checkpoint_path, restore_checkpoint
from cyclesem.config.supervised import resolve_supervised_config
from cyclesem.train.supervised import SupervisedTask


def export(run: Path, step: int, out: Path) -> None:
    saved = load_mapping(run / "config.json")
    config = resolve_supervised_config(saved["kind"], saved.get("preset", "small"), saved)
    crop = config.train.crop
    dummy = LoadedPair("dummy", np.zeros((crop, crop), np.float32), np.zeros((crop, crop), np.float32), (0.0, 0.0))
    task = SupervisedTask(config, [dummy])
    model = task.build_model()
    groups = {"model": list(model.variables), "optimizer.adam": list(model.optimizer.variables)}
    restore_checkpoint(groups, checkpoint_path(run, step))
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text((run / "config.json").read_text())
    state = json.loads((run / "state.json").read_text())
    state.update(step=step, checkpoint=None)
    state.pop("best", None)
    (out / "state.json").write_text(json.dumps(state, indent=2) + "\n")
    task.export_model(model).save(out / "generator.keras")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("step", type=int)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    export(args.run, args.step, args.out)
    print(f"exported step {args.step} of {args.run} to {args.out}")


if __name__ == "__main__":
    main()
