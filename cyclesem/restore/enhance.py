"""Enhancing image files with a trained run, keeping everything but the pixels.

:func:`enhance_file` reads an instrument file, enhances the part above its info
bar tile by tile (:meth:`cyclesem.restore.runs.Run.enhance`), and writes the result in
the input's format, bit depth and metadata with the info bar put back
unchanged (:func:`cyclesem.io.write_image`, atomic). A multi-page TIFF stack
is enhanced page by page, each page with its own info bar and tags
(:mod:`cyclesem.io.stacks`). The input is never written to. Memory: the input's float32 pixels, the float32 result and a few
tiles; nothing else of full size.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from cyclesem import io
from cyclesem.errors import CyclesemError
from cyclesem.io.stacks import is_stack, rewrite_stack
from cyclesem.restore.tiling import TileSpec

__all__ = ["enhance_file", "enhance_image", "failure_line", "output_path"]


def output_path(input_path: str | os.PathLike, out_dir: str | os.PathLike) -> Path:
    """Where the enhanced version of ``input_path`` goes: ``out_dir`` / its name.

    Parameters
    ----------
    input_path : str or os.PathLike
        An input image file.
    out_dir : str or os.PathLike
        The output folder.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    CyclesemError
        If ``out_dir`` is the input's own folder (originals are never
        overwritten).
    """
    input_path, out_dir = Path(input_path), Path(out_dir)
    if _same_place(input_path.parent, out_dir):
        raise CyclesemError(
            "the output folder is this file's own folder; choose another --out", input_path
        )
    return out_dir / input_path.name


def enhance_file(
    run,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    overwrite: bool = False,
    tile: TileSpec | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> Path:
    """Enhance one image file with ``run`` and write the result.

    Parameters
    ----------
    run : cyclesem.restore.runs.Run or cyclesem.restore.onnx_runtime.OnnxNetwork
        A loaded network (:func:`cyclesem.restore.onnx_runtime.load_network`).
    input_path : str or os.PathLike
        The image to enhance (any format :func:`cyclesem.io.read_image` reads),
        or a multi-page TIFF stack.
    output_path : str or os.PathLike
        Where to write; same format, dtype, metadata and info bar as the input.
    overwrite : bool
        Replace an existing ``output_path``.
    tile : TileSpec, optional
        Tiling (see :mod:`cyclesem.restore.tiling`).
    progress : callable, optional
        Called as ``progress(finished, total)`` as tiles finish.

    Returns
    -------
    pathlib.Path
        ``output_path``.

    Raises
    ------
    CyclesemError
        If the file cannot be read or written, the output would replace the
        input, or the output exists and ``overwrite`` is false.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    if _same_place(input_path, output_path):
        raise CyclesemError("the output would replace the input; choose another output", input_path)
    if output_path.exists() and not overwrite:
        raise CyclesemError("output exists (use --overwrite to replace it)", output_path)
    if is_stack(input_path):
        return rewrite_stack(input_path, output_path, lambda raw: _enhanced_page(run, raw, tile, progress))
    sem_image = io.read_image(input_path)
    result = run.enhance(sem_image.content, tile=tile, progress=progress)
    io.write_image(output_path, result, like=sem_image, overwrite=overwrite)
    return output_path


def enhance_image(run, image, *, tile: TileSpec | None = None) -> np.ndarray:
    """Enhance a 2-D image in memory with a run (a loaded :class:`~cyclesem.restore.runs.Run` or its folder).

    Parameters
    ----------
    run : Run or str or os.PathLike
        A loaded run, or a run folder to load.
    image : array_like
        2-D image in file units (as :attr:`cyclesem.io.SemImage.content`).
    tile : TileSpec, optional
        Tiling (see :mod:`cyclesem.restore.tiling`).

    Returns
    -------
    numpy.ndarray
        float32, the shape and units of ``image``.

    Examples
    --------
    >>> import cyclesem
    >>> image = cyclesem.read_image("field.tif")                      # doctest: +SKIP
    >>> sharp = cyclesem.enhance_image("runs/cyclegan", image.content)  # doctest: +SKIP
    >>> cyclesem.write_image("field_sharp.tif", sharp, like=image)     # doctest: +SKIP
    """
    if isinstance(run, (str, os.PathLike)):
        from cyclesem.restore.runs import load_run

        run = load_run(run)
    return run.enhance(image, tile=tile)


def failure_line(exc: Exception, source: str | os.PathLike | None = None) -> str:
    """One line for a batch's failure report (which names ``source`` already, when given)."""
    if isinstance(exc, CyclesemError):
        same = exc.path is None or (source is not None and Path(exc.path) == Path(source))
        return " ".join(str(exc.problem).split()) if same else exc.one_line()
    return f"unexpected error ({type(exc).__name__}): {' '.join(str(exc).split())}"


def _enhanced_page(run, raw: np.ndarray, tile: TileSpec | None, progress) -> np.ndarray:
    """One stack page enhanced above its own info bar, in its stored dtype (the bar kept)."""
    from cyclesem.io.infobar import find_info_bar
    from cyclesem.io.zarr_store import from_unit, to_unit

    pixels = to_unit(raw)
    content = pixels[: pixels.shape[0] - find_info_bar(pixels)]
    frame = raw.copy()
    frame[: content.shape[0]] = from_unit(run.enhance(content, tile=tile, progress=progress), raw.dtype)
    return frame


def _same_place(first: Path, second: Path) -> bool:
    """Whether two paths name the same file or folder (following links)."""
    try:
        if first.resolve() == second.resolve():
            return True
        return first.exists() and second.exists() and os.path.samefile(first, second)
    except OSError:
        return False
