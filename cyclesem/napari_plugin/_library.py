"""Every part of cyclesem the napari plugin calls, in one module.

The plugin's other modules reach cyclesem only through the names here, so a
move inside the library is repointed in this file alone. What the plugin calls is
what ``cyclesem enhance`` and ``cyclesem focus`` call: :func:`load_enhancer`
picks a restorer exactly as the CLI does for a RUN argument, and enhancing
goes through the restorer's own ``enhance`` (its tiling, normalisation and the
model's own post-processing settings).

Heavy modules (the restorers, the defocus map, the phantoms) are imported
inside the functions, so opening a file imports no network code.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cyclesem import read_image, write_image
from cyclesem.errors import CyclesemError
from cyclesem.restore.defocus import SHARP_WIDTH
from cyclesem.io import ImageInfo
from cyclesem.io.stacks import is_stack, rewrite_stack, stack_info
from cyclesem.io.zarr_store import from_unit, is_zarr, open_zarr, to_unit
from cyclesem.restore.tiling import DEFAULT_TILE

__all__ = [
    "CyclesemError", "ImageInfo", "DEFAULT_TILE", "SHARP_WIDTH", "blurred_phantom", "defocus_map",
    "enhancer_names", "from_unit", "is_stack", "is_zarr", "load_enhancer", "one_line", "open_zarr", "phantom",
    "read_image", "read_stack", "rewrite_stack", "tile_spec", "to_unit", "write_image",
]

def read_stack(path: str | os.PathLike) -> tuple[np.ndarray, list[ImageInfo]]:
    """A multi-page TIFF as float32 ``(pages, H, W)`` in [0, 1] units, and each page's :class:`ImageInfo`.

    Raises
    ------
    CyclesemError
        If a page is not a grey 2-D image or the pages differ in shape.
    """
    import tifffile

    infos = stack_info(path)
    with tifffile.TiffFile(path) as tif:
        raw = [page.asarray() for page in tif.pages if not getattr(page, "is_reduced", False)]
    if len({page.shape for page in raw}) != 1:
        raise CyclesemError("the pages of this stack differ in size; open them one by one", path)
    return np.stack([to_unit(page) for page in raw]), infos


def enhancer_names() -> list[str]:
    """The packaged models, then the classical methods that need no PSF (``blind``, ``unsharp``)."""
    from cyclesem.evaluate.methods import BUILTIN_METHODS
    from cyclesem.pretrained import model_names

    classical = [name for name, method in BUILTIN_METHODS.items() if not method.needs_psf and name != "identity"]
    return [*model_names(), *classical]


def load_enhancer(source: str | os.PathLike):
    """What ``cyclesem enhance RUN`` loads for RUN: a model name, run folder, ``.onnx``, package ``.zip``
    or classical method; an object with ``enhance(image, tile=, progress=)`` and ``describe()``.

    Raises
    ------
    CyclesemError
        If ``source`` does not load, or names a method that needs a PSF.
    """
    from cyclesem.evaluate.methods import BUILTIN_METHODS
    from cyclesem.restore.enhancer import FunctionRestorer, load_network

    method = BUILTIN_METHODS.get(str(source))
    if method is None or Path(source).is_dir():
        return load_network(source)
    if method.needs_psf:
        raise CyclesemError(f"{method.name} needs a PSF; use blind, unsharp, a model or a run folder")
    return FunctionRestorer(method.name, lambda image: method.restore(image, None), method.details)


def tile_spec(tile: int = DEFAULT_TILE):
    """The tiling of ``cyclesem enhance --tile TILE``.

    Raises
    ------
    CyclesemError
        If the tile is too small for the networks' overlap.
    """
    from cyclesem.restore.tiling import TileSpec

    spec = TileSpec(tile=int(tile))
    problems = spec.check()
    if problems:
        raise CyclesemError(f"tile {tile} px: {'; '.join(problems)}")
    return spec


def defocus_map(image: np.ndarray, cell: int | None = None):
    """The local blur map of ``cyclesem focus`` (:class:`~cyclesem.restore.defocus.DefocusMap`).

    Raises
    ------
    CyclesemError
        For an image too small to map (under 48 px a side) or a cell under 16 px.
    """
    from cyclesem.restore.defocus import defocus_map as measure

    try:
        return measure(image, cell=cell)
    except ValueError as exc:
        raise CyclesemError(f"cannot map the defocus: {exc}") from None


def phantom(size: int, seed: int = 0, kind: str = "particles") -> np.ndarray:
    """A sharp SEM-like phantom, float32 in [0, 1] (:func:`synth.phantoms.make_phantom`)."""
    from synth.phantoms import make_phantom

    return make_phantom(kind, size, seed)


def blurred_phantom(size: int, seed: int = 0, sigma: float = 3.5, dose: float = 200.0) -> np.ndarray:
    """:func:`phantom` blurred by a Gaussian probe of ``sigma`` px and given SEM shot and detector noise."""
    from cyclesem.restore.classical.psf import gaussian_psf
    from synth.blur import blur
    from synth.noise import sem_noise

    rng = np.random.default_rng(seed)
    blurry = blur(phantom(size, seed), gaussian_psf(sigma))
    return np.clip(sem_noise(blurry, dose, 0.01, rng), 0.0, 1.0).astype(np.float32)


def one_line(exc: BaseException, source: str | os.PathLike | None = None) -> str:
    """A problem as the one line ``cyclesem enhance`` prints for it (the file first, when known)."""
    from cyclesem.restore.enhance import failure_line

    if isinstance(exc, CyclesemError) and (exc.path is not None or source is None):
        return exc.one_line()
    line = failure_line(exc)
    return f"{source}: {line}" if source is not None else line
