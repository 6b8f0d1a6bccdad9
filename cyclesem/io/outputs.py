"""Writing outputs safely: one atomic-write rule and one output-folder policy.

- :func:`write_atomic`: every file cyclesem writes (images, run-folder files,
  checkpoints, reports) goes to a hidden temporary name beside its target and is
  renamed into place, so an interrupted write never leaves a partial file in
  the target's place (a process killed mid-write leaves only the hidden
  temporary file, which :func:`remove_partial_files` clears).
- :func:`check_output_folder`: an output folder may be new or empty; a
  non-empty one is replaced only with ``overwrite``, and then only when it
  holds nothing but what cyclesem itself writes there (``owned``: a report, a
  benchmark, a run). It is never one of the command's ``inputs`` nor a folder
  above one, and a place that cannot be written is refused before any work.
- :func:`building_folder`: a whole output folder is built in a temporary
  sibling and renamed into place when complete; a failure (or Ctrl-C) removes
  it, so no half-written output is ever left behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Callable, Collection, Iterator

from cyclesem.errors import CyclesemError

__all__ = ["building_folder", "check_output_folder", "clear_output_folder", "remove_partial_files", "write_atomic"]

_PARTIAL = re.compile(r"\..+\.[0-9a-f]{8}\.partial(\.[^.]+)?")
"""The name of :func:`write_atomic`'s temporary files."""


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then rename the temporary file onto ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace; missing parent folders are made.
    write : callable
        Writes the whole file at the path it is given. That path is hidden,
        beside ``path``, and keeps its suffix (Keras wants ``.keras``).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    CyclesemError
        If the folder cannot be made or the file cannot be written; the
        temporary file is removed whatever happens.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CyclesemError(f"cannot make the output folder ({exc.strerror or exc})", path.parent) from None
    temporary = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.partial{path.suffix}")  # see _PARTIAL
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as exc:
        raise CyclesemError(f"cannot write file ({exc.strerror or exc})", path) from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


def remove_partial_files(folder: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of writes that never finished in ``folder`` (not recursive).

    :func:`write_atomic` removes its temporary file whatever happens, except
    when the process itself is killed (SIGKILL, power loss): call this before
    writing into the folder again.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    folder = Path(folder)
    found = sorted(p for p in folder.iterdir() if _PARTIAL.fullmatch(p.name) and p.is_file()) if folder.is_dir() else []
    for path in found:
        path.unlink(missing_ok=True)
    return found


def check_output_folder(
    out_dir: str | os.PathLike,
    overwrite: bool = False,
    *,
    owned: Collection[str] | None = None,
    what: str = "an earlier output",
    not_empty: str = "exists (use --overwrite to replace it)",
    inputs: Collection[str | os.PathLike] = (),
) -> Path:
    """Refuse an ``out_dir`` that may not be written (changes nothing).

    Parameters
    ----------
    out_dir : str or os.PathLike
        The output folder.
    overwrite : bool
        Whether a non-empty folder may be replaced.
    owned : collection of str, optional
        The names cyclesem writes in such a folder; with ``overwrite``, a
        folder holding any other (not hidden) name is still refused. ``None``
        accepts any content.
    what : str
        What the folder holds when cyclesem made it (for the refusal).
    not_empty : str
        The message for a non-empty folder without ``overwrite``.
    inputs : collection of path-like
        The files and folders the command reads; ``out_dir`` may be none of
        them nor a folder above one (replacing it would delete the input).

    Returns
    -------
    pathlib.Path
        ``out_dir`` as a path.

    Raises
    ------
    CyclesemError
        Naming ``out_dir`` and the problem (not writable included).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise CyclesemError("exists and is not a folder", out_dir)
    _refuse_inputs(out_dir, inputs)
    _refuse_unwritable(out_dir)
    entries = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else []
    if entries and not overwrite:
        raise CyclesemError(not_empty, out_dir)
    foreign = [name for name in entries if owned is not None and name not in owned and not name.startswith(".")]
    if foreign:
        raise CyclesemError(f"refusing to replace it: the folder holds files that are not part of "
                            f"{what} ({', '.join(foreign[:3])})", out_dir)
    return out_dir


def _refuse_unwritable(out_dir: Path) -> None:
    """Refuse ``out_dir`` when it, or the folder it (or its temporary sibling) would be made in, is read-only."""
    places = [out_dir] if out_dir.is_dir() else []
    parent = out_dir.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    for place in places + [parent]:
        if not os.access(place, os.W_OK | os.X_OK):
            raise CyclesemError(f"cannot write here: {place} is not writable (permission denied)", out_dir)


def _refuse_inputs(out_dir: Path, inputs: Collection[str | os.PathLike]) -> None:
    """Refuse an ``out_dir`` that is, or holds, one of the command's inputs."""
    target = out_dir.resolve()
    for given in inputs:
        path = Path(given).resolve()
        if path == target or target in path.parents:
            raise CyclesemError(f"refusing to write here: it holds an input of this command ({given})", out_dir)


def clear_output_folder(out_dir: str | os.PathLike, overwrite: bool = False, **policy) -> Path:
    """Check ``out_dir`` (:func:`check_output_folder`), empty it if allowed, and create it."""
    out_dir = check_output_folder(out_dir, overwrite, **policy)
    for entry in (sorted(out_dir.iterdir()) if out_dir.exists() else []):
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


@contextlib.contextmanager
def building_folder(out_dir: str | os.PathLike, *, overwrite: bool = False, **policy) -> Iterator[Path]:
    """Build a folder in a temporary sibling, then rename it to ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The folder to create (or replace, with ``overwrite``).
    overwrite : bool
        Replace an existing non-empty ``out_dir``; checked before and after the
        block.
    **policy
        ``owned``, ``what``, ``inputs`` ... of :func:`check_output_folder`:
        what ``out_dir`` may hold to be replaced.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.
    """
    out_dir = check_output_folder(out_dir, overwrite, **policy)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp = out_dir.parent / f".{out_dir.name}.partial-{uuid.uuid4().hex[:8]}"
    temp.mkdir()
    try:
        yield temp
        _swap_into_place(temp, out_dir, overwrite, policy)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _swap_into_place(temp: Path, out_dir: Path, overwrite: bool, policy: dict) -> None:
    if not out_dir.exists():
        temp.rename(out_dir)
        return
    check_output_folder(out_dir, overwrite, **policy)
    old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
    out_dir.rename(old)
    temp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
