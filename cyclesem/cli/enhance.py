"""`cyclesem enhance RUN INPUT... --out DIR`."""

from __future__ import annotations

from pathlib import Path

import click

from cyclesem.cli._common import report_failures
from cyclesem.restore.tiling import DEFAULT_TILE


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
    "--keep-grey-levels/--no-keep-grey-levels", "keep_grey_levels", default=None,
    help="Give the output the input's brightness and large-scale contrast (one gain and offset fitted "
    "between the two smoothed at 32 px); default: the model's setting (on for new unpaired runs).",
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=None,
    help="Run files (or Zarr chunks) as tasks on a local Dask cluster of this many worker processes.",
)
@click.option(
    "--scheduler", default=None, metavar="ADDRESS",
    help="Run them on a running Dask cluster (tcp://host:8786); its workers must see the same paths.",
)
def command(paths, model, out_dir, overwrite, tile, where_blurry, limit_to_support, keep_grey_levels, workers,
            scheduler):
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
        _check_distributable(run, where_blurry, {"limit_to_support": limit_to_support,
                                                 "keep_grey_levels": keep_grey_levels})
    if any(is_zarr(path) for path in inputs):
        _enhance_zarr(run, inputs, out_dir, overwrite, spec, workers, scheduler)
        return
    files = io.list_images(inputs)
    if workers or scheduler:
        _enhance_on_cluster(run, files, Path(out_dir), overwrite, spec, (workers, scheduler))
        return
    from cyclesem.restore.enhance import enhance_batch

    loaded = _load(run, where_blurry, limit_to_support, keep_grey_levels)
    with _Bars(len(files)) as bars:
        result = enhance_batch(loaded, files, out_dir, overwrite=overwrite, tile=spec, progress=bars.tiles,
                               done=bars.done)
    _summary(result, out_dir)


def _check_distributable(run: Path, where_blurry: bool, after_network: dict) -> None:
    """Refuse what runs in one process only: --where-blurry, changed post-processing, classical methods by name."""
    from cyclesem.evaluate.methods import BUILTIN_METHODS

    if where_blurry:
        raise click.UsageError("--where-blurry runs in one process: not with --workers, --scheduler or Zarr")
    for name, value in after_network.items():
        if value is not None:
            flag = name.replace("_", "-")
            raise click.UsageError(f"--[no-]{flag} runs in one process: not with --workers, --scheduler "
                                   "or Zarr (there the model's own setting applies)")
    if str(run) in BUILTIN_METHODS and not Path(run).is_dir():
        raise click.UsageError(f"{run} runs in one process: give a run folder, ONNX file, package or model")


def _summary(result, out_dir) -> None:
    done = result.total - len(result.failures)
    click.echo(f"{done} of {result.total} file(s) enhanced into {out_dir} with {result.described}", err=True)
    report_failures(result.failures, result.total)


def _enhance_on_cluster(run, files, out_dir: Path, overwrite: bool, spec, cluster) -> None:
    """Files as tasks on a Dask cluster (:func:`cyclesem.restore.distributed.enhance_batch_on_cluster`)."""
    from tqdm import tqdm

    from cyclesem.restore.distributed import enhance_batch_on_cluster, require_dask

    require_dask()
    with tqdm(total=len(files), desc="enhance", unit="file") as bar:
        result = enhance_batch_on_cluster(run, files, out_dir, cluster=cluster, overwrite=overwrite, tile=spec,
                                          progress=bar.update)
    _summary(result, out_dir)


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


def _load(run: Path, where_blurry: bool, limit_to_support: bool | None = None,
          keep_grey_levels: bool | None = None):
    """A run folder, ONNX file, package or classical method by name; wrapped to act only where blurred if asked."""
    from cyclesem.evaluate.methods import BUILTIN_METHODS
    from cyclesem.restore.enhancer import FunctionRestorer, load_network
    from cyclesem.restore.selective import SelectiveRestorer

    method = BUILTIN_METHODS.get(str(run))
    if method is not None and not run.is_dir():
        if method.needs_psf:
            raise click.BadParameter(f"{run} needs a PSF; use blind, unsharp or a run folder", param_hint="RUN")
        for flag, value in (("limit-to-support", limit_to_support), ("keep-grey-levels", keep_grey_levels)):
            if value is not None:
                raise click.UsageError(f"--[no-]{flag} applies to networks, not to the classical method {run}")
        loaded = FunctionRestorer(method.name, lambda image: method.restore(image, None), method.details)
    else:
        loaded = load_network(run)
        if limit_to_support is not None:
            loaded = loaded.with_support_limit(limit_to_support)
        if keep_grey_levels is not None:
            loaded = loaded.with_grey_levels(keep_grey_levels)
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


class _Bars:
    """A progress bar over the files, and one over each file's tiles when it has several."""

    def __init__(self, files: int):
        self.files, self.bar, self.tile_bar = files, None, None

    def __enter__(self):
        from tqdm import tqdm

        self.bar = tqdm(total=self.files, desc="enhance", unit="file", dynamic_ncols=True)
        return self

    def tiles(self, path: Path, finished: int, total: int) -> None:
        from tqdm import tqdm

        if self.tile_bar is None and total > 1:
            self.tile_bar = tqdm(total=total, desc=path.name, unit="tile", leave=False, dynamic_ncols=True)
        if self.tile_bar is not None:
            self.tile_bar.update(finished)

    def done(self, path: Path, problem: str) -> None:
        self._close_tiles()
        self.bar.update(1)

    def _close_tiles(self) -> None:
        if self.tile_bar is not None:
            self.tile_bar.close()
            self.tile_bar = None

    def __exit__(self, *exc_info):
        self._close_tiles()
        self.bar.close()
