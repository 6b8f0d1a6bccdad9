"""Run one synthetic experiment end to end: synth -> train -> compare -> summary.md.

    .venv/bin/python -m experiments.synthetic.run --config experiments/synthetic/hybrid.toml \
        --out experiments/results/synthetic/hybrid

Steps (each prints the exact ``cyclesem`` command it runs, and is timed):

1. ``OUT/sources``: symbolic links to the images of the experiment's source
   folders under ``--data`` (``../shared/data``), named ``<folder>_<file>``;
   the images are never copied.
2. ``cyclesem synth`` -> ``OUT/benchmark`` (info bars are cropped by synth).
3. ``cyclesem train --unpaired`` on ``OUT/benchmark/train`` -> ``OUT/runs/<name>``,
   one run per entry of the file's ``[runs]``, one after another.
4. ``cyclesem compare`` of the methods and the runs -> ``OUT/compare``.
5. ``OUT/summary.md``: the table (mean +- std per method), the commands, wall
   times, preset/steps/crop and the machine; ``OUT/experiment.json`` the same as data.

``--preset/--steps/--crop/--batch`` replace the file's training settings (for
the full-size GPU run: ``--preset paper --steps 20000 --crop 256 --mixed-precision``);
``--skip-existing`` keeps a finished benchmark and finished runs in OUT;
``--reuse DIR`` links them from an earlier experiment with the same benchmark
and training settings (the ablation reuses the hybrid experiment's default run).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from experiments import PROJECT_ROOT as ROOT
from experiments.synthetic.experiment import Experiment, load_experiment
from experiments.synthetic.summary import machine_description, write_summary

from cyclesem.config import to_dict
from cyclesem.errors import CyclesemError
from cyclesem.io import list_images

CYCLESEM = Path(sys.executable).parent / "cyclesem"  # the command beside this Python


def link_sources(experiment: Experiment, data: Path, folder: Path) -> int:
    """Fill ``folder`` with symbolic links to every source image; returns how many."""
    if folder.exists():
        for link in folder.iterdir():
            link.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for source in experiment.benchmark.sources:
        prefix = source.replace("/", "-")
        for image in list_images(data / source):
            os.symlink(image.resolve(), folder / f"{prefix}_{image.name}")
            count += 1
    return count


def run_command(words: list, log: dict, key: str) -> None:
    """Run a command (printed first) from the project root; record it and its wall time in ``log``."""
    words = [str(word) for word in words]
    shown = shlex.join(["cyclesem", *words[1:]] if words[0] == str(CYCLESEM) else words)
    print("$", shown, flush=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    if subprocess.run(words, cwd=ROOT).returncode != 0:
        sys.exit(f"error: the {key} step failed (see above): {shown}")
    log[key] = {"command": shown, "seconds": round(time.perf_counter() - started, 1),
                "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def synth_command(experiment: Experiment, sources: Path, out: Path) -> list:
    spec = experiment.benchmark
    return [CYCLESEM, "synth", "--recipe", spec.recipe, "--source", sources, "--out", out, "--seed", spec.seed,
            "--size", spec.size, "--test-fraction", spec.test_fraction, "--overwrite"]


def train_command(experiment: Experiment, benchmark: Path, run_dir: Path, overrides: list, args) -> list:
    spec = experiment.training
    words = [CYCLESEM, "train", "--unpaired", "--blurry", benchmark / "train" / "blurry",
             "--clear", benchmark / "train" / "clear", "--out", run_dir, "--preset", spec.preset,
             "--steps", spec.steps, "--crop", spec.crop, "--batch", spec.batch, "--seed", spec.seed, "--overwrite"]
    for text in overrides:
        words += ["--set", text]
    return words + (["--mixed-precision"] if args.mixed_precision else []) + (["--xla"] if args.xla else [])


def _finished(run_dir: Path) -> bool:
    state = run_dir / "state.json"
    return state.is_file() and json.loads(state.read_text()).get("finished", False)


def run_experiment(experiment: Experiment, args) -> dict:
    """Steps 1-4 of the module notes; returns the log of commands and times."""
    out, log = args.out, {}
    benchmark = out / "benchmark"
    if not (args.skip_existing and (benchmark / "manifest.json").is_file()):
        linked = link_sources(experiment, args.data, out / "sources")
        print(f"{linked} source images linked in {out / 'sources'}", flush=True)
        run_command(synth_command(experiment, out / "sources", benchmark), log, "synth")
    for name, overrides in experiment.runs.items():
        run_dir = out / "runs" / name
        if not (args.skip_existing and _finished(run_dir)):
            run_command(train_command(experiment, benchmark, run_dir, overrides, args), log, f"train {name}")
    methods = ",".join([*experiment.methods, *(str(out / "runs" / name) for name in experiment.runs)])
    run_command([CYCLESEM, "compare", "--benchmark", benchmark, "--methods", methods,
                 "--out", out / "compare", "--overwrite"], log, "compare")
    return log


def reuse_earlier(experiment: Experiment, earlier_dir: Path, out: Path) -> dict:
    """Link the benchmark and the finished runs of an earlier experiment that match this one.

    The earlier benchmark and training settings must equal this experiment's, and
    a run is reused only under the same name with the same overrides. Returns the
    earlier log entries of what was reused, marked with where they came from.
    """
    earlier = json.loads((earlier_dir / "experiment.json").read_text(encoding="utf-8"))
    now = to_dict(experiment)
    for key in ("benchmark", "training"):
        if earlier["experiment"][key] != now[key]:
            sys.exit(f"--reuse {earlier_dir}: its {key} settings differ from this experiment's")
    reused = {"synth": earlier_dir / "benchmark"}
    reused |= {f"train {name}": earlier_dir / "runs" / name for name, overrides in experiment.runs.items()
               if earlier["experiment"]["runs"].get(name) == overrides and _finished(earlier_dir / "runs" / name)}
    (out / "runs").mkdir(parents=True, exist_ok=True)
    for key, source in reused.items():
        target = out / "benchmark" if key == "synth" else out / "runs" / source.name
        if not target.exists():
            os.symlink(source.resolve(), target)
    return {key: earlier["log"][key] | {"reused_from": str(earlier_dir)} for key in reused if key in earlier["log"]}


def _shown_path(path: Path) -> str:
    """``path`` relative to the project root when it lies inside it."""
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


def with_options(experiment: Experiment, args) -> Experiment:
    """The experiment with the training settings given on the command line."""
    given = {key: getattr(args, key) for key in ("preset", "steps", "crop", "batch") if getattr(args, key) is not None}
    return dataclasses.replace(experiment, training=dataclasses.replace(experiment.training, **given))


def parse_args(argv=None, default_config: Path | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=default_config is None, default=default_config)
    parser.add_argument("--out", type=Path, required=True, help="results folder (experiments/results/...)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared data folder")
    parser.add_argument("--preset", help="replaces the file's training preset (paper on a GPU)")
    parser.add_argument("--steps", type=int, help="replaces the file's training steps")
    parser.add_argument("--crop", type=int, help="replaces the file's training crop")
    parser.add_argument("--batch", type=int, help="replaces the file's batch")
    parser.add_argument("--mixed-precision", action="store_true", help="float16 training on a GPU")
    parser.add_argument("--xla", action="store_true", help="XLA-compiled training step")
    parser.add_argument("--skip-existing", action="store_true", help="keep OUT's benchmark and finished runs")
    parser.add_argument("--summary-only", action="store_true", help="rewrite OUT/summary.md from OUT's results")
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="link the benchmark and same-named finished runs of an earlier experiment's OUT "
                             "(its benchmark and training settings must match; implies --skip-existing)")
    return parser.parse_args(argv)


def main(argv=None, default_config: Path | None = None) -> None:
    args = parse_args(argv, default_config)
    try:
        experiment = with_options(load_experiment(args.config), args)
    except CyclesemError as exc:
        sys.exit(f"error: {exc.one_line()}")
    missing = [source for source in experiment.benchmark.sources if not (args.data / source).is_dir()]
    if missing:
        sys.exit(f"real data not found: {', '.join(str(args.data / s) for s in missing)} (../shared/data is absent)")
    if args.summary_only:
        record = json.loads((args.out / "experiment.json").read_text(encoding="utf-8"))
        print(f"Summary: {write_summary(experiment, record, args.out)}", flush=True)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"config": _shown_path(args.config), "argv": sys.argv, "experiment": to_dict(experiment),
              "machine": machine_description()}
    earlier = args.out / "experiment.json"
    kept = json.loads(earlier.read_text())["log"] if args.skip_existing and earlier.is_file() else {}
    if args.reuse is not None:
        kept |= reuse_earlier(experiment, args.reuse, args.out)
        args.skip_existing = True
    record["log"] = kept | run_experiment(experiment, args)
    (args.out / "experiment.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"Summary: {write_summary(experiment, record, args.out)}", flush=True)


if __name__ == "__main__":
    main()
