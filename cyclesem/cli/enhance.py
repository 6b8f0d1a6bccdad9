"""`cyclesem enhance RUN INPUT... --out DIR` or `cyclesem enhance --model NAME INPUT... --out DIR`."""

from __future__ import annotations

from pathlib import Path

import click

from cyclesem.cli._common import report_failures

DEFAULT_TILE = 512


@click.command("enhance")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="[RUN] INPUT...")
@click.option("--model", default=None, metavar="NAME|RUN",
              help="A packaged model (see 'cyclesem models') or run folder; then every argument is an input.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the enhanced files (created if needed); file names are kept.",
)
@click.option("--overwrite", is_flag=True, help="Replace existing files in --out.")
@click.option(
    "--tile", type=int, default=DEFAULT_TILE, show_default=True,
    help="Tile side in pixels (a multiple of 16); smaller tiles use less memory.",
)
def command(paths, model, out_dir, overwrite, tile):
    """Enhance image files (or folders of them) with the trained RUN folder or --model NAME.

    Outputs keep each input's name, format, bit depth, metadata and info bar;
    inputs are never touched, and --out may not be an input's own folder. A
    file that fails is reported at the end; the others are still written.
    """
    from tqdm import tqdm

    from cyclesem import io
    from cyclesem.enhance import enhance_file, output_path
    from cyclesem.runs import load_run

    run, inputs = (model, paths) if model is not None else (paths[0], paths[1:])
    if not inputs:
        raise click.UsageError("give a run folder (or --model NAME) and at least one INPUT")
    spec = _tile_spec(tile)
    files = io.list_images(inputs)
    loaded = load_run(run)
    _make_folder(out_dir)
    failures: list[tuple[str, str]] = []
    targets: set[Path] = set()
    for path in tqdm(files, desc="enhance", unit="file", dynamic_ncols=True):
        with _TileBar(path.name) as tile_bar:
            try:
                target = _unique(output_path(path, out_dir), targets, path)
                enhance_file(loaded, path, target, overwrite=overwrite, tile=spec, progress=tile_bar)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                failures.append((str(path), _problem(exc, path)))
    done = len(files) - len(failures)
    summary = f"{done} of {len(files)} file(s) enhanced into {out_dir} with {loaded.describe()}"
    click.echo(summary, err=True)
    report_failures(failures, len(files))


def _tile_spec(tile: int):
    from cyclesem.tiling import TileSpec

    spec = TileSpec(tile=tile)
    if spec.check():
        smallest = spec.overlap + spec.stride
        raise click.BadParameter(
            f"must be at least {smallest} px (tiles overlap by {spec.overlap} px), got {tile}",
            param_hint="--tile",
        )
    return spec


def _make_folder(folder: Path) -> None:
    from cyclesem.errors import CyclesemError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CyclesemError(f"cannot make the output folder ({exc.strerror or exc})", folder) from None


def _unique(target: Path, targets: set[Path], source: Path) -> Path:
    """Refuse a second input that would land on the same output file."""
    from cyclesem.errors import CyclesemError

    if target in targets:
        raise CyclesemError(f"another input already goes to {target}", source)
    targets.add(target)
    return target


def _problem(exc: Exception, source: Path) -> str:
    """One line for the failure report (which names ``source`` already)."""
    from cyclesem.errors import CyclesemError

    if isinstance(exc, CyclesemError):
        same = exc.path is None or Path(exc.path) == source
        return " ".join(str(exc.problem).split()) if same else exc.one_line()
    return f"unexpected error ({type(exc).__name__}): {' '.join(str(exc).split())}"


class _TileBar:
    """A progress bar over one file's tiles, shown only when it has several."""

    def __init__(self, name: str):
        self.name = name
        self.bar = None

    def __call__(self, finished: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None and total > 1:
            self.bar = tqdm(total=total, desc=self.name, unit="tile", leave=False, dynamic_ncols=True)
        if self.bar is not None:
            self.bar.update(finished)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.bar is not None:
            self.bar.close()
