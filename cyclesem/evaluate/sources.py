"""The images a comparison runs on: a ``cyclesem synth`` benchmark or real pairs.

- :func:`benchmark_source`: ``test/blurry/*.tif`` and ``test/clear/*.tif`` of
  the same names, the true PSF of each in ``test/psf/<stem>.npy``, and
  ``manifest.json``;
- :func:`pairs_source`: a folder of blurry and a folder of sharp images matched
  by name; they have no PSF, so methods that need one are skipped with a note.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cyclesem.data.pairs import match_pairs
from cyclesem.errors import CyclesemError
from cyclesem.io import list_images

__all__ = ["Item", "Source", "benchmark_source", "pairs_source"]


@dataclass(frozen=True)
class Item:
    """One test image: its blurry and clear files and, on a benchmark, its PSF."""

    name: str
    blurry: Path
    clear: Path
    psf: Path | None = None


@dataclass(frozen=True)
class Source:
    """The images to compare on, and what the report says about where they came from."""

    kind: str
    items: tuple[Item, ...]
    description: dict
    has_psf: bool
    roots: tuple[Path, ...] = ()  # the folders read; an output may not replace them


def benchmark_source(path: str | os.PathLike) -> Source:
    """The test split of a benchmark folder (``cyclesem synth``).

    Raises
    ------
    CyclesemError
        If the folder lacks ``test/blurry`` or ``test/clear`` images.
    """
    root = Path(path)
    blurry_dir, clear_dir = root / "test" / "blurry", root / "test" / "clear"
    for folder in (root, blurry_dir, clear_dir):
        if not folder.is_dir():
            raise CyclesemError("not a benchmark folder (needs test/blurry and test/clear)", folder)
    pairs = match_pairs(list_images(blurry_dir), list_images(clear_dir))
    items = tuple(Item(p.name, p.blurry, p.sharp, psf=root / "test" / "psf" / f"{p.name}.npy") for p in pairs)
    description = {"benchmark": os.fspath(root)} | _manifest_summary(root / "manifest.json")
    return Source("benchmark", items, description, has_psf=True, roots=(root,))


def _manifest_summary(path: Path) -> dict:
    """Recipe, seed, size and source folder from a benchmark's manifest, if readable."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    recipe = manifest.get("recipe") or {}
    summary = {
        "recipe": recipe.get("name"),
        "recipe description": recipe.get("description"),
        "seed": manifest.get("seed"),
        "tile size": manifest.get("size"),
        "source images": (manifest.get("sources") or {}).get("folder") or (manifest.get("sources") or {}).get("phantoms"),
        "made by cyclesem": manifest.get("cyclesem_version"),
    }
    return {key: value for key, value in summary.items() if value not in (None, "")}


def pairs_source(blurry_dir: str | os.PathLike, sharp_dir: str | os.PathLike) -> Source:
    """Real pairs: files of ``blurry_dir`` and ``sharp_dir`` matched by name (no PSF).

    Raises
    ------
    CyclesemError
        If a folder is missing or empty, or a file has no partner.
    """
    pairs = match_pairs(list_images(blurry_dir), list_images(sharp_dir))
    items = tuple(Item(pair.name, pair.blurry, pair.sharp) for pair in pairs)
    description = {"blurry images": os.fspath(blurry_dir), "sharp images": os.fspath(sharp_dir)}
    roots = (Path(blurry_dir), Path(sharp_dir))
    return Source("pairs", items, description, has_psf=False, roots=roots)
