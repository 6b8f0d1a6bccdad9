"""`cyclesem train`: unpaired CycleGAN training into a run folder, and resuming it."""

from __future__ import annotations

from pathlib import Path

import click

from cyclesem.errors import CyclesemError
from cyclesem.train_config import PRESETS

_FOLDER = click.Path(file_okay=False, path_type=Path)
_FLAGS = {"config_file": "--config", "overrides": "--set", "out_dir": "--out"}


@click.command("train")
@click.option("--unpaired", is_flag=True, help="Learn blurry -> clear from two unrelated folders (CycleGAN).")
@click.option("--paired", is_flag=True, help="Learn from matching blurry/sharp pairs (not built yet).")
@click.option("--blurry", type=_FOLDER, help="Folder of blurry images.")
@click.option("--clear", type=_FOLDER, help="Folder of clear images (unpaired: other fields than --blurry).")
@click.option("--sharp", type=_FOLDER, help="Folder of sharp partners of --blurry (--paired).")
@click.option("--out", "out_dir", type=_FOLDER, help="The run folder to create.")
@click.option("--resume", "resume_dir", type=_FOLDER, help="Continue the run in this folder.")
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

    New run: cyclesem train --unpaired --blurry DIR --clear DIR --out RUN.
    Settings come from the preset, then --config, then --set, then the options
    here; the result is saved in RUN/config.json. Continue a run (after Ctrl-C,
    or to train longer) with cyclesem train --resume RUN [--steps N].
    """
    if resume_dir is not None:
        _resume(resume_dir, steps, options)
    elif options["paired"]:
        raise click.ClickException("'cyclesem train --paired' is not built yet; use --unpaired.")
    elif not options["unpaired"]:
        raise click.UsageError("say --unpaired (two unrelated folders) or --resume RUN")
    else:
        _new_unpaired(steps, options)


def _new_unpaired(steps, options) -> None:
    from cyclesem.config import load_mapping
    from cyclesem.normalize import PercentileNormalizer
    from cyclesem.train_config import resolve_cyclegan_config
    from cyclesem.training import check_new_run_folder

    missing = [_flag(name) for name in ("blurry", "clear", "out_dir") if options[name] is None]
    if missing:
        raise click.UsageError(f"--unpaired needs {', '.join(missing)}")
    config_file = options["config_file"]
    config = resolve_cyclegan_config(
        options["preset"] or "small",
        load_mapping(config_file) if config_file else None,
        options["overrides"],
        {"train": {"steps": steps, "crop": options["crop"], "batch": options["batch"],
                   "seed": options["seed"]},
         "runtime": {"mixed_precision": options["mixed_precision"], "xla": options["xla"]},
         "data": {"blurry": str(options["blurry"].resolve()), "clear": str(options["clear"].resolve())}},
        source=str(config_file) if config_file else None,
    )
    check_new_run_folder(options["out_dir"], overwrite=options["overwrite"])
    normalizer = PercentileNormalizer(config.data.norm_low, config.data.norm_high)
    blurry, clear = (_load(Path(folder), normalizer) for folder in (config.data.blurry, config.data.clear))
    _run(config, blurry, clear, options["out_dir"], resume=False, overwrite=options["overwrite"])


def _resume(run_dir: Path, steps, options) -> None:
    from cyclesem.config import load_mapping
    from cyclesem.normalize import PercentileNormalizer
    from cyclesem.train_config import resolve_cyclegan_config

    given = [_flag(name) for name, value in options.items() if value not in (None, False, ())]
    if given:
        raise click.UsageError(f"--resume takes only --steps (the rest comes from RUN/config.json); "
                               f"drop {', '.join(given)}")
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise CyclesemError("not a run folder (no config.json)", run_dir)
    saved = load_mapping(config_path)
    if saved.get("kind") != "cyclegan":
        raise CyclesemError(f"cannot resume a run of kind {saved.get('kind')!r} yet", config_path)
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
    if loaded.failures:
        click.echo(f"skipping {len(loaded.failures)} unreadable file(s) in {folder}:", err=True)
        for path, problem in loaded.failures:
            click.echo(f"  {path}: {problem}", err=True)
    click.echo(f"{len(loaded.images)} image(s) from {folder}", err=True)
    return loaded.images


def _run(config, blurry, clear, run_dir: Path, *, resume: bool, overwrite: bool) -> None:
    from cyclesem.models.cyclegan import CycleGanTask
    from cyclesem.training import prepare_run_folder, train

    task = CycleGanTask(config, blurry, clear)
    if not resume:
        prepare_run_folder(run_dir, overwrite=overwrite)
    result = train(task, run_dir, resume=resume, log=lambda line: click.echo(line, err=True))
    click.echo(f"trained to step {result.step} of {config.train.steps} in {result.seconds:.0f} s; "
               f"network: {run_dir / 'generator.keras'}", err=True)
