"""Unpaired training images: folders of images, read and normalised.

Images are read with :func:`cyclesem.io.read_image` (info bars cropped off) and
normalised per image by :class:`~cyclesem.data.normalize.PercentileNormalizer`.
A file that does not load is listed, not fatal.
"""

from __future__ import annotations

import dataclasses

import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.data.normalize import PercentileNormalizer

__all__ = ["LoadedImages", "echo_failures", "load_folder", "load_unpaired"]


@dataclass
class LoadedImages:
    """Normalised 2-D float32 images of one folder and the files that failed."""

    images: list[np.ndarray] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def load_folder(folder: str | os.PathLike, normalizer: PercentileNormalizer) -> LoadedImages:
    """Read and normalise every image in ``folder`` (bad files are listed, not fatal).

    Parameters
    ----------
    folder : str or os.PathLike
        A folder of images any format :mod:`cyclesem.io` reads.
    normalizer : PercentileNormalizer
        Applied to each image's content (the part above an info bar).

    Returns
    -------
    LoadedImages

    Raises
    ------
    CyclesemError
        If the folder is missing, holds no image files, or none of them could be read.
    """
    from cyclesem import io

    paths = [os.fspath(p) for p in io.list_images(folder)]
    loaded = LoadedImages()
    for path in paths:
        try:
            content = io.read_image(path).content
            loaded.images.append(normalizer.before(content)[0])
            loaded.paths.append(path)
        except CyclesemError as exc:
            loaded.failures.append((path, exc.problem))
        except ValueError as exc:  # non-finite values, from the normaliser
            loaded.failures.append((path, str(exc)))
    if not loaded.images:
        reasons = "; ".join(f"{os.path.basename(path)}: {problem}" for path, problem in loaded.failures[:3])
        more = f"; and {len(loaded.failures) - 3} more" if len(loaded.failures) > 3 else ""
        raise CyclesemError(f"none of the {len(paths)} image(s) could be read ({reasons}{more})", folder)
    return loaded


def load_unpaired(data, *, log: Callable[[str], None] | None = None):
    """The normalised images of the ``blurry`` and ``clear`` folders ``data`` names.

    With ``data.normalization == "shared"`` and no ``norm_range`` yet (a new
    run), the levels are measured here: the ``norm_low``/``norm_high``
    percentiles of both folders' images pooled.

    Parameters
    ----------
    data : cyclesem.config.cyclegan.UnpairedDataSettings
        The folders and the normalisation settings.
    log : callable, optional
        Receives one line per skipped file and a count per folder.

    Returns
    -------
    data : UnpairedDataSettings
        ``data``, with ``norm_range`` filled in when it was measured.
    blurry, clear : list of numpy.ndarray
        The normalised images.
    """
    from cyclesem.data.normalize import FixedNormalizer, shared_levels

    measure = data.normalization == "shared" and not data.norm_range
    normalizer = FixedNormalizer() if measure else data.normalizer()
    domains = []
    for folder in (data.blurry, data.clear):
        loaded = load_folder(folder, normalizer)
        echo_failures(loaded.failures, f"unreadable file(s) in {folder}", log)
        if log is not None:
            log(f"{len(loaded.images)} image(s) from {folder}")
        domains.append(loaded.images)
    if measure:
        levels = shared_levels(domains[0] + domains[1], data.norm_low, data.norm_high)
        data = dataclasses.replace(data, norm_range=levels)
        if log is not None:
            log(f"shared normalisation: levels {levels[0]:.4g} .. {levels[1]:.4g} "
                f"(percentiles {data.norm_low} .. {data.norm_high} of both folders)")
        normalizer = data.normalizer()
        domains = [[normalizer.before(image)[0] for image in images] for images in domains]
    return data, domains[0], domains[1]


def echo_failures(failures: list[tuple[str, str]], what: str, log: Callable[[str], None] | None) -> None:
    """Report skipped inputs ``(path, problem)`` to ``log``, one line each after a count."""
    if failures and log is not None:
        log(f"skipping {len(failures)} {what}:")
        for path, problem in failures:
            log(f"  {path}: {problem}")
