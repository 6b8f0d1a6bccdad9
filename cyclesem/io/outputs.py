"""Output folders that appear whole or not at all.

:func:`building_folder` hands out a temporary sibling folder to write into and
renames it into place only when the block finishes without error; a failure
(or Ctrl-C) removes it, so no half-written output is ever left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

from cyclesem.errors import CyclesemError

__all__ = ["building_folder", "check_output_folder"]


def check_output_folder(out_dir: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse an ``out_dir`` that is a file, or a non-empty folder without ``overwrite``.

    Returns
    -------
    pathlib.Path
        ``out_dir`` as a path.

    Raises
    ------
    CyclesemError
        Naming ``out_dir`` and the problem.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise CyclesemError("exists and is not a folder", out_dir)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise CyclesemError("exists (use --overwrite to replace it)", out_dir)
    return out_dir


@contextlib.contextmanager
def building_folder(out_dir: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Build a folder in a temporary sibling, then rename it to ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The folder to create (or replace, with ``overwrite``).
    overwrite : bool
        Replace an existing non-empty ``out_dir``; checked before and after the
        block.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.
    """
    out_dir = check_output_folder(out_dir, overwrite)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = out_dir.parent / f".{out_dir.name}.partial-{uuid.uuid4().hex[:8]}"
    temp.mkdir()
    try:
        yield temp
        _swap_into_place(temp, out_dir, overwrite)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _swap_into_place(temp: Path, out_dir: Path, overwrite: bool) -> None:
    if not out_dir.exists():
        temp.rename(out_dir)
        return
    check_output_folder(out_dir, overwrite)
    old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
    out_dir.rename(old)
    temp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
