"""`cyclesem train`: unpaired CycleGAN or paired MIDNet/NAFNet training into a run folder, and resuming it."""

from __future__ import annotations

from pathlib import Path

import click

from cyclesem.errors import CyclesemError
from cyclesem.train_config import PRESETS

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
@click.option("--init", default=None, metavar="NAME|RUN",
              help="Start from trained weights: a packaged model (cyclesem models) or a run folder; "
                   "paired runs take its network sizes, a CycleGAN loads it into its blurry->clear generator.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML or JSON file of settings (see cyclesem/train_config.py).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override one setting, e.g. --set loss.cycle=5 (repeatable).")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Network size and schedule: tiny (tests, demos), small (CPU, about an hour), "
                   "paper (GPU). [default: small]")
@click.option("--steps", type=click.IntRange(min=1), help="Total training steps.")
@click.option("--crop", type=click.IntRange(min=32), help="Side of the square training crops in pixels.")
@click.option("--batch", type=click.IntRange(min=1), help="Crops per step.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed of weights, crops and image pools.")
@click.option("--mixed-precision", is_flag=True, default=None, help="float16 compute on GPUs.")
@click.option("--xla", is_flag=True, default=None, help="Compile the training step with XLA.")
@click.option("--overwrite", is_flag=True, help="Replace an earlier run in --out.")
def command(resume_dir, steps, **options):
    """Train a network that sharpens blurry images.

    New run: cyclesem train --unpaired --blurry DIR --clear DIR --out RUN, or
    cyclesem train --paired --model midnet --blurry DIR --sharp DIR --out RUN
    (settings in cyclesem/supervised_config.py). --init NAME|RUN starts from
    a packaged model's or a run's weights (fine-tuning). Settings come from the preset,
    then --config, then --set, then the options here; the result is saved in
    RUN/config.json. Continue a run (after Ctrl-C, or to train longer) with
    cyclesem train --resume RUN [--steps N].
    """
    from cyclesem.backend import require_tensorflow

    require_tensorflow()  # first, so TensorFlow's start-up banner stays off the terminal
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
    from cyclesem.config import load_mapping
    from cyclesem.normalize import PercentileNormalizer
    from cyclesem.train_config import resolve_cyclegan_config
    from cyclesem.training import check_new_run_folder

    _check_options(options, "--unpaired", needed=("blurry", "clear", "out_dir"), refused=_PAIRED_ONLY)
    config_file = options["config_file"]
    config = resolve_cyclegan_config(
        options["preset"] or "small",
        _with_init(options["init"], "cyclegan", load_mapping(config_file) if config_file else None),
        options["overrides"],
        _common_options(steps, options) | {
            "data": {"blurry": _absolute(options["blurry"]), "clear": _absolute(options["clear"])}},
        source=str(config_file) if config_file else None,
    )
    check_new_run_folder(options["out_dir"], overwrite=options["overwrite"])
    normalizer = PercentileNormalizer(config.data.norm_low, config.data.norm_high)
    blurry, clear = (_load(Path(folder), normalizer) for folder in (config.data.blurry, config.data.clear))
    _run(config, blurry, clear, options["out_dir"], resume=False, overwrite=options["overwrite"],
         init=options["init"])


def _new_paired(steps, options) -> None:
    from cyclesem.config import load_mapping
    from cyclesem.supervised_config import resolve_supervised_config
    from cyclesem.training import check_new_run_folder

    _check_options(options, "--paired", needed=("blurry", "sharp", "out_dir"), refused=("clear",))
    val_folders = options["val_blurry"] is not None or options["val_sharp"] is not None
    if val_folders and options["val_fraction"] is not None:
        raise click.UsageError("give --val-fraction or --val-blurry/--val-sharp, not both")
    config_file = options["config_file"]
    data = {"blurry": _absolute(options["blurry"]), "sharp": _absolute(options["sharp"]),
            "register": options["register"], "val_blurry": _absolute(options["val_blurry"]),
            "val_sharp": _absolute(options["val_sharp"]),
            "val_fraction": 0.0 if val_folders else options["val_fraction"]}
    config = resolve_supervised_config(
        options["model"] or "midnet",
        options["preset"] or "small",
        _with_init(options["init"], "midnet", load_mapping(config_file) if config_file else None),
        options["overrides"],
        _common_options(steps, options) | {"kind": options["model"], "data": data},
        source=str(config_file) if config_file else None,
    )
    check_new_run_folder(options["out_dir"], overwrite=options["overwrite"])
    _run_paired(config, options["out_dir"], resume=False, overwrite=options["overwrite"], init=options["init"])


def _with_init(source, kind: str, file_mapping):
    """The --config file's settings over those that give the run --init's network."""
    if source is None:
        return file_mapping
    from cyclesem.config import merge
    from cyclesem.pretrained.init import init_defaults

    return merge(init_defaults(source, kind), file_mapping or {})


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
    from cyclesem.config import load_mapping
    from cyclesem.normalize import PercentileNormalizer
    from cyclesem.supervised_config import SKIPS, resolve_supervised_config
    from cyclesem.train_config import resolve_cyclegan_config

    given = [_flag(name) for name, value in options.items() if value not in (None, False, ())]
    if given:
        raise click.UsageError(f"--resume takes only --steps (the rest comes from RUN/config.json); "
                               f"drop {', '.join(given)}")
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise CyclesemError("not a run folder (no config.json)", run_dir)
    saved = load_mapping(config_path)
    if saved.get("kind") in SKIPS:
        config = resolve_supervised_config(saved["kind"], saved.get("preset", "small"), saved, (),
                                           {"train": {"steps": steps}}, source=str(config_path))
        _run_paired(config, run_dir, resume=True, overwrite=False)
        return
    if saved.get("kind") != "cyclegan":
        raise CyclesemError(f"cannot resume a run of kind {saved.get('kind')!r}", config_path)
    config = resolve_cyclegan_config(saved.get("preset", "small"), saved, (),
                                     {"train": {"steps": steps}}, source=str(config_path))
    normalizer = PercentileNormalizer(config.data.norm_low, config.data.norm_high)
    blurry, clear = (_load(Path(folder), normalizer) for folder in (config.data.blurry, config.data.clear))
    _run(config, blurry, clear, run_dir, resume=True, overwrite=False)


def _flag(name: str) -> str:
    return _FLAGS.get(name, "--" + name.replace("_", "-"))


def _load(folder: Path, normalizer) -> list:
    """The normalised images of ``folder``; unreadable files are listed and skipped."""
    from cyclesem.data import load_folder

    loaded = load_folder(folder, normalizer)
    _echo_skipped(loaded.failures, f"unreadable file(s) in {folder}")
    click.echo(f"{len(loaded.images)} image(s) from {folder}", err=True)
    return loaded.images


def _echo_skipped(failures, what: str) -> None:
    if failures:
        click.echo(f"skipping {len(failures)} {what}:", err=True)
        for path, problem in failures:
            click.echo(f"  {path}: {problem}", err=True)


def _run(config, blurry, clear, run_dir: Path, *, resume: bool, overwrite: bool, init=None) -> None:
    from cyclesem.models.cyclegan import CycleGanTask

    _train(CycleGanTask(config, blurry, clear), run_dir, resume=resume, overwrite=overwrite, init=init)


def _run_paired(config, run_dir: Path, *, resume: bool, overwrite: bool, init=None) -> None:
    from cyclesem.supervised_task import SupervisedTask, load_training_pairs

    data = load_training_pairs(config, progress=True)
    _echo_skipped(data.failures, "pair(s) that did not load")
    click.echo(f"{len(data.train.pairs)} training pair(s), {len(data.validation.pairs)} validation "
               f"pair(s){' (registered)' if config.data.register else ''}", err=True)
    _train(SupervisedTask(config, data.train.pairs, data.validation.pairs), run_dir,
           resume=resume, overwrite=overwrite, init=init)


def _train(task, run_dir: Path, *, resume: bool, overwrite: bool, init=None) -> None:
    from cyclesem.training import BEST_MODEL_FILE, MODEL_FILE, prepare_run_folder, read_state, train

    if init is not None:
        from cyclesem.pretrained.init import InitialisedTask

        task = InitialisedTask(task, init, run_dir)
        click.echo(f"starting from {task.source.describe()}", err=True)
    if not resume:
        prepare_run_folder(run_dir, overwrite=overwrite)
    result = train(task, run_dir, resume=resume, log=lambda line: click.echo(line, err=True))
    click.echo(f"trained to step {result.step} of {task.settings.steps} in {result.seconds:.0f} s; "
               f"network: {run_dir / MODEL_FILE}", err=True)
    best = read_state(run_dir).get("best")
    if best:
        click.echo(f"best validation {task.best_metric} {best[task.best_metric]:.4g} at step {best['step']}: "
                   f"{run_dir / BEST_MODEL_FILE}", err=True)
