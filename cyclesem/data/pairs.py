"""Paired training data: matching blurry and sharp files, splitting, registering.

Pure numpy. A pair is a blurry and a sharp image of one field, matched by file
name (the name without its extension). Pairs belong to a *source group*: crops
cut from one source image must never land on both sides of a train/validation
split. ``midnet-defocus`` names its crops ``G-1_sNNN.png`` (group ``G``); any
other name is its own group.

Real pairs are often shifted by a few pixels; :func:`load_pair` can register
each pair (sub-pixel phase correlation, :mod:`cyclesem.data.registration`) and
return the overlapping crops.

Examples
--------
>>> source_group("3-1_s007")
'3'
>>> source_group("field_a")
'field_a'
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from cyclesem import io
from cyclesem.data import registration
from cyclesem.data.normalize import PercentileNormalizer
from cyclesem.errors import CyclesemError

__all__ = [
    "ImagePair",
    "LoadedPair",
    "LoadedPairs",
    "PairedData",
    "load_pair",
    "load_pairs",
    "load_training_pairs",
    "match_pair_folders",
    "match_pairs",
    "source_group",
    "split_pairs",
]

_GROUPED_NAME = re.compile(r"^(\d+)-\d+_s\d+$")
_MAX_LISTED = 20  # names listed in an error before "and N more"


@dataclass(frozen=True)
class ImagePair:
    """A blurry file and its sharp partner.

    Attributes
    ----------
    name : str
        The shared file name without extension.
    blurry, sharp : Path
    group : str
        Source group (see :func:`source_group`).
    """

    name: str
    blurry: Path
    sharp: Path
    group: str


@dataclass(frozen=True)
class LoadedPair:
    """The pixels of a pair, same shape, float32, ready to crop from.

    ``shift`` is the (row, column) shift found by registration, ``(0.0, 0.0)``
    when the pair was not registered.
    """

    name: str
    blurry: np.ndarray
    sharp: np.ndarray
    shift: tuple[float, float]


@dataclass
class LoadedPairs:
    """The pairs that loaded, and ``(path, problem)`` for each pair that did not."""

    pairs: list[LoadedPair] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def source_group(name: str) -> str:
    """Source group of a file name without extension: ``G`` for ``G-1_sNNN``, else the name."""
    match = _GROUPED_NAME.match(name)
    return match.group(1) if match else name


def _by_stem(paths: Iterable[str | os.PathLike], side: str) -> dict[str, Path]:
    found: dict[str, list[Path]] = {}
    for path in map(Path, paths):
        found.setdefault(path.stem, []).append(path)
    clashes = sorted(p.name for group in found.values() if len(group) > 1 for p in group)
    if clashes:
        raise CyclesemError(f"{side} files share a name apart from the extension: {_listing(clashes)}")
    return {stem: group[0] for stem, group in found.items()}


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_MAX_LISTED])
    more = len(names) - _MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def match_pairs(blurry_paths: Iterable[str | os.PathLike], sharp_paths: Iterable[str | os.PathLike]) -> list[ImagePair]:
    """Match blurry and sharp files by name (ignoring the extension).

    Parameters
    ----------
    blurry_paths, sharp_paths : iterable of path-like
        The image files on each side (for example from ``io.list_images``).

    Returns
    -------
    list of ImagePair
        Sorted by name.

    Raises
    ------
    CyclesemError
        One error listing every file without a partner, on both sides, or
        files of one side whose names differ only by extension, or no pairs.
    """
    blurry, sharp = _by_stem(blurry_paths, "blurry"), _by_stem(sharp_paths, "sharp")
    problems = []
    lonely_blurry = sorted(blurry[s].name for s in set(blurry) - set(sharp))
    lonely_sharp = sorted(sharp[s].name for s in set(sharp) - set(blurry))
    if lonely_blurry:
        problems.append(f"{len(lonely_blurry)} blurry file(s) without a sharp partner: {_listing(lonely_blurry)}")
    if lonely_sharp:
        problems.append(f"{len(lonely_sharp)} sharp file(s) without a blurry partner: {_listing(lonely_sharp)}")
    if problems:
        raise CyclesemError("; ".join(problems))
    if not blurry:
        raise CyclesemError("no image pairs found (both sides are empty)")
    return [ImagePair(stem, blurry[stem], sharp[stem], source_group(stem)) for stem in sorted(blurry)]


def split_pairs(pairs: list[ImagePair], val_fraction: float, seed: int = 0) -> tuple[list[ImagePair], list[ImagePair]]:
    """Hold out whole source groups for validation.

    Parameters
    ----------
    pairs : list of ImagePair
    val_fraction : float
        Fraction of the *groups* held out, in [0, 1). Rounded to whole groups,
        at least one when positive, never all of them.
    seed : int
        Seeds the choice of groups.

    Returns
    -------
    (train, validation) : two lists of ImagePair
        No group appears in both; each list keeps the input order.

    Raises
    ------
    CyclesemError
        If ``val_fraction`` is outside [0, 1) or there are too few groups.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise CyclesemError(f"val_fraction must be in [0, 1), got {val_fraction}")
    groups = sorted({pair.group for pair in pairs})
    if val_fraction == 0.0:
        return list(pairs), []
    if len(groups) < 2:
        raise CyclesemError(f"cannot hold out a validation split: the pairs come from {len(groups)} source group(s)")
    held_count = min(len(groups) - 1, max(1, math.floor(val_fraction * len(groups) + 0.5)))
    order = np.random.default_rng(seed).permutation(len(groups))
    held = {groups[i] for i in order[:held_count]}
    return [p for p in pairs if p.group not in held], [p for p in pairs if p.group in held]


def match_pair_folders(blurry_dir: str | os.PathLike, sharp_dir: str | os.PathLike) -> list[ImagePair]:
    """:func:`match_pairs` over the image files of two folders (see ``io.list_images``)."""
    return match_pairs(io.list_images([blurry_dir]), io.list_images([sharp_dir]))


def load_pair(
    pair: ImagePair,
    *,
    register: bool = False,
    normalizer: PercentileNormalizer | None = None,
) -> LoadedPair:
    """Read a pair (info bars cropped off), optionally register and normalise it.

    Parameters
    ----------
    pair : ImagePair
    register : bool
        Estimate the blurry image's sub-pixel shift onto the sharp one
        (phase correlation), resample the blurry image onto the sharp one and
        keep only the overlap of both. The sharp target is never resampled.
    normalizer : PercentileNormalizer, optional
        Normalise both images with the *blurry* image's percentile levels, so
        the target keeps its intensity relation to the input (as enhancement
        normalises its input and maps the prediction back with the same levels).

    Returns
    -------
    LoadedPair
        float32 images of one shape.

    Raises
    ------
    CyclesemError
        If a file cannot be read, the two differ in size, or cannot be registered.
    """
    blurry = io.read_image(pair.blurry).content
    sharp = io.read_image(pair.sharp).content
    if blurry.shape != sharp.shape:
        raise CyclesemError(f"blurry image is {blurry.shape[1]}x{blurry.shape[0]} px, its sharp partner "
                            f"{sharp.shape[1]}x{sharp.shape[0]} px", pair.blurry)
    shift = (0.0, 0.0)
    if register:
        try:
            sharp, blurry, shift = registration.align_pair(sharp, blurry)
        except ValueError as exc:
            raise CyclesemError(f"cannot register the pair: {exc}", pair.blurry) from None
    if normalizer is not None:
        try:
            blurry, params = normalizer.before(blurry)
        except ValueError as exc:  # non-finite values
            raise CyclesemError(str(exc), pair.blurry) from None
        sharp, _ = normalizer.before(sharp, params)
    return LoadedPair(pair.name, np.asarray(blurry, np.float32), np.asarray(sharp, np.float32), shift)


def load_pairs(
    pairs: list[ImagePair],
    *,
    register: bool = False,
    normalizer: PercentileNormalizer | None = None,
    progress: bool = False,
) -> LoadedPairs:
    """:func:`load_pair` for each pair; a bad pair is listed in ``failures``, the rest go on.

    Parameters
    ----------
    pairs : list of ImagePair
    register, normalizer
        As for :func:`load_pair`.
    progress : bool
        Show a progress bar (registration takes a while for many large pairs).

    Returns
    -------
    LoadedPairs

    Raises
    ------
    CyclesemError
        If there were pairs and none of them loaded.
    """
    from tqdm.auto import tqdm

    loaded = LoadedPairs()
    for pair in tqdm(pairs, desc="pairs", unit="pair", disable=not progress, dynamic_ncols=True):
        try:
            loaded.pairs.append(load_pair(pair, register=register, normalizer=normalizer))
        except CyclesemError as exc:
            loaded.failures.append((exc.path or os.fspath(pair.blurry), exc.problem))
    if pairs and not loaded.pairs:
        raise CyclesemError(f"none of the {len(pairs)} pair(s) could be loaded: {loaded.failures[0][1]}")
    return loaded


@dataclass
class PairedData:
    """Training and validation pairs as loaded (see :func:`load_training_pairs`)."""

    train: LoadedPairs
    validation: LoadedPairs

    @property
    def failures(self) -> list[tuple[str, str]]:
        """``(path, problem)`` of every pair that did not load, on both sides."""
        return self.train.failures + self.validation.failures


def load_training_pairs(config, *, progress: bool = False) -> PairedData:
    """Match, split, read, optionally register and normalise the pairs ``config.data`` names.

    Parameters
    ----------
    config : cyclesem.config.supervised.SupervisedConfig
    progress : bool
        Show a progress bar while loading (registration takes a while).

    Returns
    -------
    PairedData
        Bad pairs are listed in ``failures``; the rest are loaded.

    Raises
    ------
    CyclesemError
        If files have no partner (all listed at once), a folder holds no
        images, the split is impossible, or no pair of a side loads.
    """
    data = config.data
    pairs = match_pair_folders(data.blurry, data.sharp)
    if data.val_blurry:
        train, validation = pairs, match_pair_folders(data.val_blurry, data.val_sharp)
    else:
        train, validation = split_pairs(pairs, data.val_fraction, config.train.seed)
    load = dict(register=data.register, normalizer=data.normalizer(), progress=progress)
    return PairedData(load_pairs(train, **load), load_pairs(validation, **load))
