"""The export commands' output-file policy (files are written by :func:`cyclesem.io.outputs.write_atomic`)."""

from __future__ import annotations

import os
from pathlib import Path

from cyclesem.errors import CyclesemError

__all__ = ["check_target"]


def check_target(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse an existing output unless ``overwrite``; make its folder.

    Parameters
    ----------
    path : str or os.PathLike
        The file to be written.
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    CyclesemError
        If the file exists and ``overwrite`` is false, the path is a folder,
        or its folder cannot be made.
    """
    path = Path(path)
    if path.is_dir():
        raise CyclesemError("the output is a folder; give a file name", path)
    if path.exists() and not overwrite:
        raise CyclesemError("output exists (use --overwrite to replace it)", path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CyclesemError(f"cannot make the output folder ({exc.strerror or exc})", path.parent) from None
    return path
