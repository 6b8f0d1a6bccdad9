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
@click.option(
    "--limit-to-support/--no-limit-to-support", "limit_to_support", default=None,
    help="Keep only detail at frequencies the input carries above its noise (a Wiener gain of the "
    "input's own spectrum applied to the output); default: the model's setting (on for sem-deblur).",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None,
    help="Run files (or Zarr chunks) as tasks on a local Dask cluster of this many worker processes.",
)
@click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="Run them on a running Dask cluster (tcp://host:8786); its workers must see the same paths.",
)
def command(paths, model, out_dir, overwrite, tile, where_blurry, limit_to_support, workers, scheduler):
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
    Multi-page TIFF stacks are enhanced page by page.

    Many files or huge ones (pip install 'cyclesem[distributed]'): --workers N
    or --scheduler ADDRESS run the files as tasks on a Dask cluster; a Zarr or
    OME-Zarr input (INPUT.zarr --out OUTPUT.zarr) is enhanced chunk by chunk,
    in bounded memory whatever its size.
    """
    from cyclesem import io
    from cyclesem.io.zarr_store import is_zarr

    run, inputs = (Path(model), paths) if model is not None else (paths[0], paths[1:])
    if not inputs:
        raise click.UsageError("give a run folder (or --model NAME) and at least one INPUT")
    spec = _tile_spec(tile)
    if workers and scheduler:
        raise click.UsageError("give --workers or --scheduler, not both")
    if workers or scheduler or any(is_zarr(path) for path in inputs):
        _check_distributable(run, where_blurry, limit_to_support)
    if any(is_zarr(path) for path in inputs):
        _enhance_zarr(run, inputs, out_dir, overwrite, spec, workers, scheduler)
        return
    files = io.list_images(inputs)
    if workers or scheduler:
        _enhance_on_cluster(run, files, Path(out_dir), overwrite, spec, (workers, scheduler))
        return
    loaded = _load(run, where_blurry, limit_to_support)
    made = not Path(out_dir).exists()
    _make_folder(out_dir)
    try:
        failures = _enhance_all(files, loaded, Path(out_dir), overwrite, spec)
    except BaseException:
        _remove_if_empty(out_dir, made)
        raise
    if len(failures) == len(files):
        _remove_if_empty(out_dir, made)
    _summary(files, failures, out_dir, loaded.describe())


def _check_distributable(run: Path, where_blurry: bool, limit_to_support: bool | None) -> None:
    """Refuse what runs in one process only: --where-blurry, a changed support limit, classical methods by name."""
    from cyclesem.evaluate.methods import BUILTIN_METHODS

    if where_blurry:
        raise click.UsageError("--where-blurry runs in one process: not with --workers, --scheduler or Zarr")
    if limit_to_support is not None:
        raise click.UsageError("--[no-]limit-to-support runs in one process: not with --workers, --scheduler "
                               "or Zarr (there the model's own setting applies)")
    if str(run) in BUILTIN_METHODS and not Path(run).is_dir():
        raise click.UsageError(f"{run} runs in one process: give a run folder, ONNX file, package or model")


def _summary(files, failures, out_dir, described: str) -> None:
    done = len(files) - len(failures)
    click.echo(f"{done} of {len(files)} file(s) enhanced into {out_dir} with {described}", err=True)
    report_failures(failures, len(files))


def _enhance_on_cluster(run, files, out_dir: Path, overwrite: bool, spec, cluster) -> None:
    """Files as tasks on a Dask cluster (:mod:`cyclesem.restore.distributed`); outputs checked first."""
    from tqdm import tqdm

    from cyclesem.errors import CyclesemError
    from cyclesem.restore.distributed import cluster_client, enhance_files, require_dask
    from cyclesem.restore.enhance import failure_line, output_path

    require_dask()
    made = not out_dir.exists()
    _make_folder(out_dir)
    jobs, failures, targets = [], [], set()
    for path in files:
        try:
            target = _unique(output_path(path, out_dir), targets, path)
            if target.exists() and not overwrite:
                raise CyclesemError("output exists (use --overwrite to replace it)", target)
            jobs.append((path, target))
        except CyclesemError as exc:
            failures.append((str(path), failure_line(exc, path)))
    try:
        with cluster_client(*cluster) as client, tqdm(total=len(jobs), desc="enhance", unit="file") as bar:
            described, problems = enhance_files(client, run, jobs, tile=spec, progress=bar.update)
    except BaseException:
        _remove_if_empty(out_dir, made)
        raise
    order = {str(path): k for k, path in enumerate(files)}
    failures = sorted(failures + problems, key=lambda item: order[item[0]])
    if len(failures) == len(files):
        _remove_if_empty(out_dir, made)
    _summary(files, failures, out_dir, described)


def _enhance_zarr(run, inputs, out_dir, overwrite, spec, workers, scheduler) -> None:
    """One Zarr / OME-Zarr array enhanced chunk by chunk (:mod:`cyclesem.restore.chunked`)."""
    from cyclesem.restore.distributed import require_dask

    if len(inputs) != 1:
        raise click.UsageError("a Zarr input is enhanced on its own: give one INPUT.zarr")
    require_dask()
    from cyclesem.restore.chunked import enhance_zarr

    described = enhance_zarr(run, inputs[0], out_dir, tile=spec, overwrite=overwrite,
                             workers=workers, scheduler=scheduler)
    click.echo(f"{inputs[0]} enhanced into {out_dir} with {described}", err=True)


def _enhance_all(files, loaded, out_dir: Path, overwrite: bool, spec) -> list[tuple[str, str]]:
    """Enhance every file; the failures ``(path, problem)``, the others written."""
    from tqdm import tqdm

    from cyclesem.restore.enhance import enhance_file, failure_line, output_path

    failures: list[tuple[str, str]] = []
    targets: set[Path] = set()
    for path in tqdm(files, desc="enhance", unit="file", dynamic_ncols=True):
        with _TileBar(path.name) as tile_bar:
            try:
                target = _unique(output_path(path, out_dir), targets, path)
                enhance_file(loaded, path, target, overwrite=overwrite, tile=spec, progress=tile_bar)
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                failures.append((str(path), failure_line(exc, path)))
    return failures


def _load(run: Path, where_blurry: bool, limit_to_support: bool | None = None):
    """A run folder, ONNX file, package or classical method by name; wrapped to act only where blurred if asked."""
    from cyclesem.evaluate.methods import BUILTIN_METHODS
    from cyclesem.restore.onnx_runtime import load_network
    from cyclesem.restore.selective import FunctionRestorer, SelectiveRestorer

    method = BUILTIN_METHODS.get(str(run))
    if method is not None and not run.is_dir():
        if method.needs_psf:
            raise click.BadParameter(f"{run} needs a PSF; use blind, unsharp or a run folder", param_hint="RUN")
        if limit_to_support is not None:
            raise click.UsageError(f"--[no-]limit-to-support applies to networks, not to the classical method {run}")
        loaded = FunctionRestorer(method.name, lambda image: method.restore(image, None), method.details)
    else:
        loaded = load_network(run)
        if limit_to_support is not None:
            loaded = loaded.with_support_limit(limit_to_support)
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
