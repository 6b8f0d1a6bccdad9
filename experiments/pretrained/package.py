"""Copy a finished (or running) training run into the package as a pretrained model.

Writes ``cyclesem/pretrained/NAME/{config.json,state.json,generator.keras}``: the run's
config (pair folders replaced by their role, so no machine paths are shipped), its
state (step, steps, seconds, best validation), and its best network (``best.keras``,
else ``generator.keras``). The model card (``card.md``) is written by hand.

    python -m experiments.pretrained.package RESULTS/sem-deblur sem-deblur
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cyclesem" / "pretrained"
_FOLDERS = ("blurry", "sharp", "val_blurry", "val_sharp", "clear")


def package(run: Path, name: str, package_dir: Path = PACKAGE) -> Path:
    """Copy ``run`` into ``package_dir / name``; returns that folder."""
    config = json.loads((run / "config.json").read_text())
    data = config.get("data", {})
    for key in _FOLDERS:
        if data.get(key):
            data[key] = f"<{key} pairs of experiments/pretrained/make_pairs.py>"
    state = json.loads((run / "state.json").read_text())
    kept = {key: state[key] for key in ("step", "steps", "kind", "seconds", "finished", "best") if key in state}
    out = package_dir / name
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "state.json").write_text(json.dumps(kept, indent=2) + "\n")
    best = run / "best.keras"
    shutil.copyfile(best if best.is_file() else run / "generator.keras", out / "generator.keras")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("name")
    args = parser.parse_args()
    out = package(args.run, args.name)
    size = (out / "generator.keras").stat().st_size / 1e6
    print(f"packaged {args.run} as {out} (generator.keras {size:.1f} MB)")


if __name__ == "__main__":
    main()
