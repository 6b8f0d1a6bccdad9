"""Splits, scoring, grid tuning and the per-image CSV shared by the peers benchmark.

Pure numpy plus cyclesem: no peer package is imported here.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np

FIELDS = ["task", "fold", "method", "image", "psnr", "ssim", "seconds"]
FIT_FIELDS = ["task", "fold", "method", "seconds", "steps", "epochs", "detail"]
DENOISE_TRAIN = [f"{i:03d}" for i in range(1, 17)]
DENOISE_TEST = ["017", "018", "019", "020"]
DENOISE_FOLD = "017-020"
PEERS_EXTRA = ("is not installed: it is part of the optional extra `peers` "
               "(see docs/results/peers.md for how to install it beside a CPU torch)")


def need(module: str):
    """Import ``module`` (a peer package) or exit with one line naming the ``peers`` extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise SystemExit(f"{module} {PEERS_EXTRA} ({exc})") from None


@dataclass
class Pair:
    """One scored image: ``degraded`` input, ``reference`` target, ``shift`` of the input onto it."""

    name: str
    group: str
    degraded: np.ndarray
    reference: np.ndarray
    shift: tuple[float, float]


def source_of(name: str) -> str:
    """The midnet-defocus source image of ``G-1_sNNN(.png)``: ``G``."""
    from cyclesem.data.pairs import source_group

    return source_group(Path(name).stem)


def load_deblur(data: Path) -> list[Pair]:
    """All midnet-defocus pairs (content above any info bar), with the blurry image's registration shift."""
    from cyclesem.data.registration import estimate_shift
    from cyclesem.io import read_image

    root = data / "midnet-defocus"
    names = sorted(p.name for p in (root / "blur").glob("*.png"))
    if not names:
        raise SystemExit(f"no midnet-defocus pairs under {root} (the shared data folder is absent?)")
    pairs = []
    for name in names:
        blurry = read_image(root / "blur" / name).content
        sharp = read_image(root / "sharp" / name).content
        pairs.append(Pair(name, source_of(name), blurry, sharp, estimate_shift(sharp, blurry)))
    return pairs


def load_denoise(data: Path, names: Iterable[str]) -> list[Pair]:
    """sem-denoise pairs ``NNN.tif`` (above the info bar), with the noisy image's registration shift."""
    from cyclesem.data.registration import estimate_shift
    from cyclesem.io import read_image

    root = data / "sem-denoise"
    pairs = []
    for name in names:
        noisy = read_image(root / "noisy" / f"{name}.tif").content
        clean = read_image(root / "clean" / f"{name}.tif").content
        pairs.append(Pair(name, name, noisy, clean, estimate_shift(clean, noisy)))
    return pairs


def leave_one_out(pairs: list[Pair], held_out: str) -> tuple[list[Pair], list[Pair]]:
    """(train, test): pairs of every other source, pairs of ``held_out``."""
    train = [p for p in pairs if p.group != held_out]
    test = [p for p in pairs if p.group == held_out]
    if not test:
        raise ValueError(f"no pair of source {held_out!r}")
    return train, test


def score(pair: Pair, output) -> dict[str, float]:
    """Registered PSNR / SSIM of ``output`` clipped to [0, 1], the input's shift (as ``compare --register``)."""
    from cyclesem.evaluate.metrics import score_pair

    s = score_pair(pair.reference, np.clip(np.asarray(output, np.float32), 0, 1), shift=pair.shift)
    return {"psnr": float(s["psnr"]), "ssim": float(s["ssim"])}


def best_params(grid: Mapping[object, Mapping[str, float]], train_names: Iterable[str]) -> object:
    """The grid key whose mean score over ``train_names`` is highest (first key on ties).

    ``grid[key][image_name]`` is the score of that setting on that image; only the
    training images are looked at, so the held-out ones cannot influence the choice.
    """
    names = list(train_names)
    if not names:
        raise ValueError("no training images to tune on")
    best, best_mean = None, -np.inf
    for key, scores in grid.items():
        mean = float(np.mean([scores[n] for n in names]))
        if mean > best_mean:
            best, best_mean = key, mean
    return best


def aligned_tiles(reference, degraded, shift, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping ``size`` x ``size`` tiles of a registered pair: (degraded tiles, reference tiles).

    The degraded image is moved onto the reference (``cyclesem.data.registration.overlap``,
    as training pairs are aligned) and both are cut on one grid within the overlap.
    """
    from cyclesem.data.registration import overlap

    ref, moved = overlap(reference, degraded, shift)
    return tiles(moved, size), tiles(ref, size)


def tiles(image, size: int) -> np.ndarray:
    """Non-overlapping ``size`` x ``size`` tiles of a 2-D image (the remainder at the far edges dropped)."""
    image = np.asarray(image, np.float32)
    rows, cols = image.shape[0] // size, image.shape[1] // size
    if rows == 0 or cols == 0:
        raise ValueError(f"image {image.shape} smaller than one {size} px tile")
    cut = image[: rows * size, : cols * size]
    return np.ascontiguousarray(cut.reshape(rows, size, cols, size).swapaxes(1, 2).reshape(-1, size, size))


def central_crop(image, size: int) -> np.ndarray:
    """The central ``size`` x ``size`` crop (the whole axis where the image is smaller)."""
    image = np.asarray(image)
    top = max(0, (image.shape[0] - size) // 2)
    left = max(0, (image.shape[1] - size) // 2)
    return image[top : top + size, left : left + size]


class Results:
    """The per-image CSV (``results.csv``) and per-fold fit CSV (``fits.csv``) of one output folder."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.path = self.out / "results.csv"
        self.fits_path = self.out / "fits.csv"

    def rows(self) -> list[dict[str, str]]:
        return read_csv(self.path)

    def done(self, task: str, fold: str, method: str) -> bool:
        return any(r["task"] == task and r["fold"] == fold and r["method"] == method for r in self.rows())

    def add(self, rows: list[dict], fit: dict | None = None) -> None:
        """Append one (task, fold, method)'s rows at once (and its fit record), flushed to disk."""
        if fit is not None:
            append_csv(self.fits_path, FIT_FIELDS, [fit])
        append_csv(self.path, FIELDS, rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    if not Path(path).exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def append_csv(path: Path, fields: list[str], rows: list[dict]) -> None:
    new = not Path(path).exists()
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(row.get(k, "")) for k in fields})
        handle.flush()
        os.fsync(handle.fileno())


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def timed(fn: Callable, *args, **kwargs):
    """``(fn(*args, **kwargs), wall seconds)``."""
    import time

    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - start
