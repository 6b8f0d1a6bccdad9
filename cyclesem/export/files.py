"""Atomic writing of exported files (a temporary sibling renamed into place)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from cyclesem.errors import CyclesemError

__all__ = ["check_target", "temporary_sibling", "write_bytes"]


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


def temporary_sibling(path: Path) -> Path:
    """A fresh name beside ``path`` (same folder, so a rename is atomic)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp{path.suffix}")


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (readers see the old or the new file)."""
    temp = temporary_sibling(path)
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except OSError as exc:
        raise CyclesemError(f"cannot write ({exc.strerror or exc})", path) from None
    finally:
        temp.unlink(missing_ok=True)
