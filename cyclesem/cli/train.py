"""`cyclesem train`: unpaired CycleGAN or paired MIDNet/NAFNet training into a run folder, and resuming it."""

from __future__ import annotations

from pathlib import Path

import click

from cyclesem.config.cyclegan import PRESETS

_FOLDER = click.Path(file_okay=False, path_type=Path)
_FLAGS = {"config_file": "--config", "overrides": "--set", "out_dir": "--out"}
_PAIRED_ONLY = ("sharp", "model", "register", "val_fraction", "val_blurry", "val_sharp")


@click.command("train")
@click.option("--unpaired", is_flag=True, help="Learn blurry -> clear from two unrelated folders (CycleGAN).")
@click.option("--paired", is_flag=True, help="Learn from blurry/sharp pairs matched by file name (supervised).")
@click.option("--model", type=click.Choice(["midnet", "nafnet"]), default=None,
              help="--paired: MIDNet (attention-gated skips) or NAFNet (additive skips). [default: midnet]")
@click.option("--blurry", type=_FOLDER, help="Folder of blurry images.")
@click.option("--clear", type=_FOLDER, help="Folder of clear images (unpaired: other fields than --blurry).")
@click.option("--sharp", type=_FOLDER, help="Folder of sharp partners of --blurry (--paired).")
@click.option("--register", is_flag=True, default=None,
              help="--paired: align each pair (sub-pixel) and train on the overlap.")
@click.option("--val-fraction", type=click.FloatRange(0.0, 1.0, max_open=True),
              help="--paired: fraction of source images held out for validation. [default: 0.1]")
@click.option("--val-blurry", type=_FOLDER, help="--paired: validation pairs, blurry side (with --val-sharp).")
@click.option("--val-sharp", type=_FOLDER, help="--paired: validation pairs, sharp side (with --val-blurry).")
@click.option("--out", "out_dir", type=_FOLDER, help="The run folder to create.")
@click.option("--resume", "resume_dir", type=_FOLDER, help="Continue the run in this folder.")
@click.option("--init", metavar="NAME|RUN",
              help="Start from trained weights: a packaged model (cyclesem models) or a run folder. "
                   "The run takes its network sizes; a CycleGAN loads it as its blurry->clear network.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML or JSON file of settings (see cyclesem/config/cyclegan.py).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override one setting, e.g. --set loss.cycle=5 (repeatable).")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Network size and schedule: tiny (tests, demos), small (CPU, about an hour), "
                   "paper (GPU). [default: small]")
@click.option("--steps", type=click.IntRange(min=1), help="Total training steps.")
@click.option("--crop", type=click.IntRange(min=32), help="Side of the square training crops in pixels.")
@click.option("--batch", type=click.IntRange(min=1), help="Crops per step.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of weights, crops and image pools.")
@click.option("--mixed-precision", is_flag=True, default=None,
              help="float16 (TensorFlow) or bfloat16 (JAX) compute on GPUs.")
@click.option("--xla", is_flag=True, default=None, help="Compile the training step with XLA.")
@click.option("--overwrite", is_flag=True, help="Replace an earlier run in --out.")
def command(resume_dir, steps, **options):
    """Train a network that sharpens blurry images.

    New run: cyclesem train --unpaired --blurry DIR --clear DIR --out RUN, or
    cyclesem train --paired --model midnet --blurry DIR --sharp DIR --out RUN
    (settings in cyclesem/config/supervised.py). Settings come from the preset,
    then --config, then --set, then the options here; the result is saved in
    RUN/config.json. --init NAME|RUN fine-tunes a packaged model or a run
    (recorded as train.init). Continue a run (after Ctrl-C, or to train longer) with
    cyclesem train --resume RUN [--steps N].
    """
    from cyclesem.backend import require_keras

    require_keras()  # first, so TensorFlow's start-up banner stays off the terminal (none under JAX)
    if resume_dir is not None:
        _resume(resume_dir, steps, options)
    elif options["paired"] and options["unpaired"]:
        raise click.UsageError("say --paired or --unpaired, not both")
    elif options["paired"]:
        _new_paired(steps, options)
    elif not options["unpaired"]:
        raise click.UsageError("say --unpaired (two unrelated folders), --paired (matching pairs) or --resume RUN")
    else:
        _new_unpaired(steps, options)


def _new_unpaired(steps, options) -> None:
    _check_options(options, "--unpaired", needed=("blurry", "clear", "out_dir"), refused=_PAIRED_ONLY)
    data = {"blurry": _absolute(options["blurry"]), "clear": _absolute(options["clear"])}
    _start("cyclegan", steps, options, data)


def _new_paired(steps, options) -> None:
    _check_options(options, "--paired", needed=("blurry", "sharp", "out_dir"), refused=("clear",))
    val_folders = options["val_blurry"] is not None or options["val_sharp"] is not None
    if val_folders and options["val_fraction"] is not None:
        raise click.UsageError("give --val-fraction or --val-blurry/--val-sharp, not both")
    data = {"blurry": _absolute(options["blurry"]), "sharp": _absolute(options["sharp"]),
            "register": options["register"], "val_blurry": _absolute(options["val_blurry"]),
            "val_sharp": _absolute(options["val_sharp"]),
            "val_fraction": 0.0 if val_folders else options["val_fraction"]}
    _start(options["model"] or "midnet", steps, options, data)


def _start(kind: str, steps, options, data: dict) -> None:
    """Resolve the config of a new run of ``kind`` and train it in ``--out``."""
    from cyclesem.config import load_mapping, merge, resolve_config
    from cyclesem.train.tasks import run_training

    config_file = options["config_file"]
    file_mapping = load_mapping(config_file) if config_file else None
    init = None
    if options["init"] is not None:
        from cyclesem.train.init import init_settings

        init, network = init_settings(options["init"], kind)
        file_mapping = merge(network, file_mapping or {})
    common = _common_options(steps, options)
    config = resolve_config(
        kind,
        options["preset"] or "small",
        file_mapping,
        options["overrides"],
        common | {"kind": options["model"], "data": data, "train": common["train"] | {"init": init}},
        source=str(config_file) if config_file else None,
    )
    result = run_training(config, options["out_dir"], overwrite=options["overwrite"], log=_echo)
    _report(result)


def _check_options(options, mode: str, *, needed, refused) -> None:
    missing = [_flag(name) for name in needed if options[name] is None]
    if missing:
        raise click.UsageError(f"{mode} needs {', '.join(missing)}")
    wrong = [_flag(name) for name in refused if options[name] not in (None, False)]
    if wrong:
        raise click.UsageError(f"{mode} does not take {', '.join(wrong)}")


def _common_options(steps, options) -> dict:
    """Config values from the options every model kind takes."""
    return {"train": {"steps": steps, "crop": options["crop"], "batch": options["batch"],
                      "seed": options["seed"]},
            "runtime": {"mixed_precision": options["mixed_precision"], "xla": options["xla"]}}


def _absolute(folder: Path | None) -> str | None:
    return None if folder is None else str(folder.resolve())


def _resume(run_dir: Path, steps, options) -> None:
    from cyclesem.train.tasks import resume_training

    given = [_flag(name) for name, value in options.items() if value not in (None, False, ())]
    if given:
        raise click.UsageError(f"--resume takes only --steps (the rest comes from RUN/config.json); "
                               f"drop {', '.join(given)}")
    _report(resume_training(run_dir, steps=steps, log=_echo))


def _flag(name: str) -> str:
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


def _echo(line: str) -> None:
    click.echo(line, err=True)


def _report(result) -> None:
    from cyclesem.io.run_folder import BEST_MODEL_FILE, MODEL_FILE, read_state

    run_dir = result.run_dir
    _echo(f"trained to step {result.step} of {result.steps} in {result.seconds:.0f} s; "
          f"network: {run_dir / MODEL_FILE}")
    best = read_state(run_dir).get("best")
    if best and result.best_metric:
        metric = result.best_metric
        _echo(f"best validation {metric} {best[metric]:.4g} at step {best['step']}: {run_dir / BEST_MODEL_FILE}")
