"""Enhancing images and image files with any :class:`~cyclesem.restore.enhancer.Enhancer`.

:func:`enhance_image` enhances an array in memory. :func:`enhance_file` reads
an instrument file, enhances the part above its info bar tile by tile, and
writes the result in the input's format, bit depth and metadata with the info
bar put back unchanged (:func:`cyclesem.io.write_image`, atomic). A multi-page
TIFF stack is enhanced page by page, each page with its own info bar and tags
(:mod:`cyclesem.io.stacks`). The input is never written to. Memory: the
input's float32 pixels, the float32 result and a few tiles; nothing else of
full size.

:func:`enhance_batch` enhances many files into one folder, each keeping its
name (:func:`output_path`): a file that fails is recorded with its problem in
one line (:func:`failure_line`) and the batch goes on; the
:class:`BatchResult` lists what was written and what failed, for the caller to
report at the end (``cyclesem enhance`` prints it and exits non-zero).

Examples
--------
>>> from cyclesem.restore.enhance import enhance_batch
>>> from cyclesem.restore.enhancer import load_network
>>> result = enhance_batch(load_network("sem-deblur"), ["a.tif", "b.tif"], "sharp")  # doctest: +SKIP
>>> result.failures                                                               # doctest: +SKIP
[]
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from cyclesem import io
from cyclesem.errors import CyclesemError
from cyclesem.io.stacks import is_stack, rewrite_stack
from cyclesem.restore.tiling import TileSpec

__all__ = ["BatchResult", "batch_targets", "batch_output_folder", "enhance_batch", "enhance_file", "enhance_image",
           "failure_line", "output_path"]


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
    run : Enhancer
        A loaded network (:func:`cyclesem.restore.enhancer.load_network`) or
        any other :class:`~cyclesem.restore.enhancer.Enhancer`.
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
    """Enhance a 2-D image in memory with an :class:`~cyclesem.restore.enhancer.Enhancer` or a run folder.

    Parameters
    ----------
    run : Enhancer or str or os.PathLike
        A loaded run or network, or a run folder (or packaged model's name) to load.
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


@dataclass(frozen=True)
class BatchResult:
    """What :func:`enhance_batch` did.

    Attributes
    ----------
    written : list of (Path, Path)
        Each input written, and its output file, in input order.
    failures : list of (str, str)
        Each input that failed and its problem in one line, in input order.
    described : str
        The enhancer's one-line description (for the summary).
    """

    written: list
    failures: list
    described: str

    @property
    def total(self) -> int:
        """How many inputs the batch held."""
        return len(self.written) + len(self.failures)


def batch_targets(files: Sequence[str | os.PathLike], out_dir: str | os.PathLike, *,
                  overwrite: bool = False) -> list[tuple[Path, Path | None, str]]:
    """Each input's output file, checked before any work is done.

    Returns
    -------
    list of (Path, Path or None, str)
        Input, output (None when refused) and the problem (empty when none), in
        input order. Refused: the output folder is the input's own, a second
        input goes to the same file, or the output exists and not ``overwrite``.
    """
    planned, targets = [], set()
    for path in map(Path, files):
        try:
            target = output_path(path, out_dir)
            if target in targets:
                raise CyclesemError(f"another input already goes to {target}", path)
            targets.add(target)
            if target.exists() and not overwrite:
                raise CyclesemError("output exists (use --overwrite to replace it)", target)
            planned.append((path, target, ""))
        except CyclesemError as exc:
            planned.append((path, None, failure_line(exc, path)))
    return planned


@contextlib.contextmanager
def batch_output_folder(out_dir: str | os.PathLike) -> Iterator[Path]:
    """The output folder, made (and checked writable) before any work; removed again if this made it and left it empty.

    Raises
    ------
    CyclesemError
        If the folder cannot be made or is not writable.
    """
    folder = Path(out_dir)
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CyclesemError(f"cannot make the output folder ({exc.strerror or exc})", folder) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CyclesemError("the output folder is not writable (permission denied)", folder)
    try:
        yield folder
    finally:
        if made and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def enhance_batch(
    enhancer,
    files: Sequence[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    overwrite: bool = False,
    tile: TileSpec | None = None,
    progress: Callable[[Path, int, int], object] | None = None,
    done: Callable[[Path, str], object] | None = None,
) -> BatchResult:
    """Enhance image files into ``out_dir`` (names kept); a file that fails is recorded and the batch goes on.

    Parameters
    ----------
    enhancer : Enhancer
        What enhances (:func:`cyclesem.restore.enhancer.load_network`, a
        :class:`~cyclesem.restore.selective.SelectiveRestorer`, a
        :class:`~cyclesem.restore.enhancer.FunctionRestorer`).
    files : sequence of str or os.PathLike
        Image files (:func:`cyclesem.io.list_images` expands folders).
    out_dir : str or os.PathLike
        The output folder: made if needed, removed again if nothing was
        written into the folder this made (:func:`batch_output_folder`).
    overwrite : bool
        Replace existing outputs.
    tile : TileSpec, optional
        Tiling (see :mod:`cyclesem.restore.tiling`).
    progress : callable, optional
        ``progress(path, finished, total)`` as the tiles of input ``path`` finish.
    done : callable, optional
        ``done(path, problem)`` after each input (``problem`` empty when written).

    Returns
    -------
    BatchResult

    Raises
    ------
    CyclesemError
        Only if the output folder cannot be made or written to; every
        problem with a file goes into :attr:`BatchResult.failures`.
    """
    written, failures = [], []
    with batch_output_folder(out_dir):
        for path, target, problem in batch_targets(files, out_dir, overwrite=overwrite):
            if target is not None:
                tiles = None if progress is None else (lambda finished, total, path=path: progress(path, finished, total))
                try:
                    enhance_file(enhancer, path, target, overwrite=overwrite, tile=tile, progress=tiles)
                    written.append((path, target))
                except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
                    problem = failure_line(exc, path)
            if problem:
                failures.append((str(path), problem))
            if done is not None:
                done(path, problem)
    return BatchResult(written, failures, enhancer.describe())


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
