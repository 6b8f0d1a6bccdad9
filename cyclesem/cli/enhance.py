"""`cyclesem enhance RUN INPUT... --out DIR`."""

from __future__ import annotations

import os
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
@click.option(
    "--where-blurry", is_flag=True,
    help="Restore only where the image is out of focus (`cyclesem focus`): the result is blended in "
    "with a smooth weight, 0 up to 2.5 px of blur (output = input there), 1 from 3 px; "
    "images judged in focus are copied unchanged.",
)
def command(paths, model, out_dir, overwrite, tile, where_blurry):
    """Enhance image files (or folders of them) with RUN: a trained run folder,
    an ONNX file or a bioimage.io package zip from `cyclesem export`.

    ONNX files and packages need onnxruntime only, not TensorFlow
    (`pip install 'cyclesem[onnx]'`); onnxruntime's CUDA provider is used when
    it is installed and a GPU is present.

    RUN may also name a classical method that needs no PSF ("blind",
    "unsharp"; see `cyclesem compare`).

    Outputs keep each input's name, format, bit depth, metadata and info bar;
    inputs are never touched, and --out may not be an input's own folder. A
    file that fails is reported at the end; the others are still written.
    """
    from cyclesem import io
    run, inputs = (Path(model), paths) if model is not None else (paths[0], paths[1:])
    if not inputs:
        raise click.UsageError("give a run folder (or --model NAME) and at least one INPUT")
    spec = _tile_spec(tile)
    files = io.list_images(inputs)
    loaded = _load(run, where_blurry)
    made = not Path(out_dir).exists()
    _make_folder(out_dir)
    try:
        failures = _enhance_all(files, loaded, Path(out_dir), overwrite, spec)
    except BaseException:
        _remove_if_empty(out_dir, made)
        raise
    if len(failures) == len(files):
        _remove_if_empty(out_dir, made)
    done = len(files) - len(failures)
    summary = f"{done} of {len(files)} file(s) enhanced into {out_dir} with {loaded.describe()}"
    click.echo(summary, err=True)
    report_failures(failures, len(files))


def _enhance_all(files, loaded, out_dir: Path, overwrite: bool, spec) -> list[tuple[str, str]]:
    """Enhance every file; the failures ``(path, problem)``, the others written."""
    from tqdm import tqdm

    from cyclesem.restore.enhance import enhance_file, output_path

    failures: list[tuple[str, str]] = []
    targets: set[Path] = set()
    for path in tqdm(files, desc="enhance", unit="file", dynamic_ncols=True):
        with _TileBar(path.name) as tile_bar:
            try:
                target = _unique(output_path(path, out_dir), targets, path)
                enhance_file(loaded, path, target, overwrite=overwrite, tile=spec, progress=tile_bar)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                failures.append((str(path), _problem(exc, path)))
    return failures


def _load(run: Path, where_blurry: bool):
    """A run folder, ONNX file, package or classical method by name; wrapped to act only where blurred if asked."""
    from cyclesem.evaluate.methods import BUILTIN_METHODS
    from cyclesem.export.runtime import load_network
    from cyclesem.restore.selective import FunctionRestorer, SelectiveRestorer

    method = BUILTIN_METHODS.get(str(run))
    if method is not None and not run.is_dir():
        if method.needs_psf:
            raise click.BadParameter(f"{run} needs a PSF; use blind, unsharp or a run folder", param_hint="RUN")
        loaded = FunctionRestorer(method.name, lambda image: method.restore(image, None), method.details)
    else:
        loaded = load_network(run)
    return SelectiveRestorer(loaded) if where_blurry else loaded


def _tile_spec(tile: int):
    from cyclesem.restore.tiling import TileSpec

    spec = TileSpec(tile=tile)
    if spec.check():
        smallest = spec.overlap + spec.stride
        raise click.BadParameter(
            f"must be at least {smallest} px (tiles overlap by {spec.overlap} px), got {tile}",
            param_hint="--tile",
        )
    return spec


def _make_folder(folder: Path) -> None:
    """Make ``folder`` and check it can be written, before any work is done."""
    from cyclesem.errors import CyclesemError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CyclesemError(f"cannot make the output folder ({exc.strerror or exc})", folder) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CyclesemError("the output folder is not writable (permission denied)", folder)


def _remove_if_empty(folder: Path, made: bool) -> None:
    """Remove an output folder this command made and left empty."""
    if made and Path(folder).is_dir() and not any(Path(folder).iterdir()):
        Path(folder).rmdir()


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
