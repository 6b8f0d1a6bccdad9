"""Benchmarks with ground truth: clear images degraded by a recipe.

:func:`make_benchmark` writes::

    OUT/
      train/blurry/   degraded tiles   } from DISJOINT source images:
      train/clear/    clear tiles      } no pair exists to learn from
      test/blurry/    degraded tiles   } paired by identical file name
      test/clear/     clear tiles      }
      test/psf/<stem>.npy              the true PSF (float32) of each test image
      test/blurmap/<stem>.npy          with a ``[varying]`` blur: its true local
                                       width per pixel (float32, px)
      manifest.json   recipe, seed, version; per image its split, role, source,
                      tile and every drawn parameter

Sources are image files (info bars cropped off; images larger than ``size`` are
cut into tiles that cover them) or procedural phantoms. Each source goes whole
to one of three groups (test, train-clear, train-blurry), so no source image
is seen in two of them: in an order drawn from the seed, the first readable
sources go to test, the others alternate between train-clear and train-blurry. Every tile's draws come from ``(seed, source, tile)``:
the same inputs and seed give byte-identical output. The benchmark is built in
a temporary sibling folder and renamed into place at the end, so a failure
leaves nothing behind.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from cyclesem import __version__
from cyclesem.config import to_dict
from cyclesem.errors import CyclesemError
from cyclesem.io.outputs import building_folder, check_output_folder
from cyclesem.io import list_images, read_image, write_image
from synth.degrade import degrade
from synth.phantoms import PHANTOM_KINDS, make_phantom
from synth.recipes import Recipe, draw, load_recipe

__all__ = ["make_benchmark", "tile_positions"]

BENCHMARK_ITEMS = ("train", "test", "manifest.json")  # what a benchmark folder holds
ROLES = (("train", "blurry"), ("train", "clear"), ("test", "blurry"), ("test", "clear"))


@dataclass(frozen=True)
class _Source:
    """One source image: a file, or a phantom (kind and seed)."""

    index: int
    name: str
    path: Path | None = None
    kind: str = ""
    seed: int = 0

    def describe(self) -> dict:
        """The source's entries in the manifest."""
        if self.path is not None:
            return {"source": self.path.name}
        return {"source": self.name, "phantom": {"kind": self.kind, "seed": self.seed}}


def make_benchmark(
    recipe: Recipe | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    seed: int,
    source_dir: str | os.PathLike | None = None,
    n_phantoms: int | None = None,
    size: int = 256,
    test_fraction: float = 0.2,
    overwrite: bool = False,
    on_skip: Callable[[str, str], None] | None = None,
    progress: bool = True,
) -> Path:
    """Write a benchmark of clear images degraded by ``recipe`` (layout: module docstring).

    Parameters
    ----------
    recipe : Recipe, str or os.PathLike
        A recipe, a packaged recipe's name, or a recipe file.
    out_dir : str or os.PathLike
        The benchmark folder to make.
    seed : int
        Fixes the split, the phantoms and every drawn parameter (>= 0).
    source_dir : str or os.PathLike, optional
        A folder of images to degrade (give this or ``n_phantoms``).
    n_phantoms : int, optional
        How many phantoms of ``size`` to make instead, cycling through the kinds.
    size : int
        Tile side in pixels; larger images are cut into tiles that cover them.
    test_fraction : float
        Share of the sources that go to the test split (0 <= f < 1).
    overwrite : bool
        Replace an existing benchmark at ``out_dir``.
    on_skip : callable, optional
        Called with ``(source, problem)`` for each unreadable source, which is
        skipped (and listed in the manifest) while the rest goes on.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    CyclesemError
        Bad recipe or options, missing or empty source folder, too few sources,
        an existing ``out_dir`` without ``overwrite``.
    """
    if not isinstance(recipe, Recipe):
        recipe = load_recipe(recipe)
    out_dir = Path(out_dir)
    _check_options(out_dir, seed, source_dir, n_phantoms, size, test_fraction, overwrite)
    sources = _file_sources(Path(source_dir)) if source_dir is not None else _phantom_sources(n_phantoms, seed)
    order, n_test = _plan(len(sources), test_fraction, seed)
    policy = {"owned": BENCHMARK_ITEMS, "what": "a benchmark", "inputs": (source_dir,) if source_dir else ()}
    with building_folder(out_dir, overwrite=overwrite, **policy) as temp:
        manifest = _header(recipe, seed, size, test_fraction, source_dir, n_phantoms)
        _write_sources(temp, [sources[i] for i in order], n_test, recipe, seed, size, manifest, on_skip, progress)
        _check_roles(manifest["images"], n_test > 0, out_dir)
        (temp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out_dir


def tile_positions(length: int, size: int) -> list[int]:
    """Starts of tiles of ``size`` that cover ``length`` evenly (one tile if it fits)."""
    if length <= size:
        return [0]
    count = math.ceil(length / size)
    return [int(round(v)) for v in np.linspace(0, length - size, count)]


def _check_options(out_dir: Path, seed, source_dir, n_phantoms, size, test_fraction, overwrite) -> None:
    problems = []
    if (source_dir is None) == (n_phantoms is None):
        problems.append("give either a source folder or a number of phantoms")
    if n_phantoms is not None and n_phantoms < 3:
        problems.append(f"need at least 3 phantoms (test, train clear, train blurry), got {n_phantoms}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        problems.append(f"seed must be an integer >= 0, got {seed!r}")
    if size < 16:
        problems.append(f"size must be at least 16 px, got {size}")
    if not 0 <= test_fraction < 1:
        problems.append(f"test fraction must be in [0, 1), got {test_fraction}")
    if problems:
        raise CyclesemError("; ".join(problems))
    if out_dir.exists() and not overwrite:
        raise CyclesemError("exists (use --overwrite to replace it)", out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / "manifest.json").is_file())):
        raise CyclesemError("exists and is not a benchmark folder; refusing to replace it", out_dir)
    check_output_folder(out_dir, overwrite, owned=BENCHMARK_ITEMS, what="a benchmark",
                        inputs=(source_dir,) if source_dir else ())


def _file_sources(source_dir: Path) -> list[_Source]:
    if not source_dir.is_dir():
        raise CyclesemError("source folder not found", source_dir)
    paths = list_images(source_dir)
    names, sources = set(), []
    for index, path in enumerate(paths):
        name = path.stem if path.stem not in names else f"{path.stem}-{path.suffix.lstrip('.').lower()}"
        names.add(name)
        sources.append(_Source(index, name, path=path))
    return sources


def _phantom_sources(count: int, seed: int) -> list[_Source]:
    seeds = np.random.SeedSequence([seed, 1]).generate_state(count, dtype=np.uint32)
    return [
        _Source(i, f"phantom_{i:04d}", kind=PHANTOM_KINDS[i % len(PHANTOM_KINDS)], seed=int(seeds[i]))
        for i in range(count)
    ]


def _plan(count: int, test_fraction: float, seed: int) -> tuple[np.ndarray, int]:
    """The order in which sources are used (random from ``seed``) and how many go to test."""
    n_test = min(max(1, round(count * test_fraction)), count - 2) if test_fraction > 0 else 0
    if count - n_test < 2:
        raise CyclesemError(f"need at least {n_test + 2} source images (test, train clear, train blurry), got {count}")
    return np.random.default_rng([seed, 0]).permutation(count), n_test


def _group(rank: int, n_test: int) -> tuple[str, tuple[str, ...]]:
    """The split and roles of the ``rank``-th readable source: test first, then
    train sources alternate between clear and blurry (disjoint halves)."""
    if rank < n_test:
        return "test", ("blurry", "clear")
    return "train", ("clear",) if (rank - n_test) % 2 == 0 else ("blurry",)


def _header(recipe: Recipe, seed, size, test_fraction, source_dir, n_phantoms) -> dict:
    sources = {"folder": os.fspath(source_dir)} if source_dir is not None else {"phantoms": n_phantoms}
    return {
        "cyclesem_version": __version__,
        "seed": int(seed),
        "size": size,
        "test_fraction": test_fraction,
        "sources": sources,
        "recipe": to_dict(recipe),
        "images": [],
        "skipped": [],
    }


def _write_sources(temp, sources, n_test, recipe, seed, size, manifest, on_skip, progress) -> None:
    """Degrade and write every readable source, in the given order."""
    readable = 0
    for source in tqdm(sources, desc="synth", unit="source", disable=not progress):
        try:
            image, note = _load(source, size)
        except CyclesemError as exc:
            problem = exc.problem
            manifest["skipped"].append({"source": source.path.name, "problem": problem})
            if on_skip is not None:
                on_skip(os.fspath(source.path), problem)
            continue
        split, roles = _group(readable, n_test)
        readable += 1
        ys, xs = tile_positions(image.shape[0], size), tile_positions(image.shape[1], size)
        for tile_index, (y, x) in enumerate((y, x) for y in ys for x in xs):
            tile = image[y : y + size, x : x + size]
            name = source.name if len(ys) * len(xs) == 1 else f"{source.name}_y{y:04d}_x{x:04d}"
            place = source.describe() | note | {"tile": {"y": y, "x": x, "height": tile.shape[0], "width": tile.shape[1]}}
            rng = np.random.default_rng([seed, 2, source.index, tile_index])
            entries = _write_tile(temp, name, tile, split, roles, recipe, rng)
            manifest["images"].extend(entry | place for entry in entries)


def _load(source: _Source, size: int) -> tuple[np.ndarray, dict]:
    """The source's clear image in [0, 1] and a note for the manifest."""
    if source.path is None:
        return make_phantom(source.kind, size, source.seed), {}
    content = np.asarray(read_image(source.path).content, np.float32)
    if content.size == 0 or not np.isfinite(content).all():
        raise CyclesemError("image is empty or holds non-finite values", source.path)
    low, high = float(content.min()), float(content.max())
    if low >= 0.0 and high <= 1.0:
        return content, {}
    scaled = (content - low) / max(high - low, 1e-12)  # float files outside [0, 1]
    return scaled.astype(np.float32), {"rescaled_from": [low, high]}


def _write_tile(temp: Path, name: str, tile, split, roles, recipe, rng) -> list[dict]:
    entries = []
    if "blurry" in roles:
        params = draw(recipe, rng)
        file = f"{split}/blurry/{name}.tif"
        write_image(temp / file, degrade(tile, params, rng), dtype="uint16")
        entry = {"file": file, "split": split, "role": "blurry", "params": params.to_dict()}
        if split == "test":
            psf_file = f"test/psf/{name}.npy"
            (temp / "test" / "psf").mkdir(parents=True, exist_ok=True)
            np.save(temp / psf_file, params.psf())
            entry["psf"] = psf_file
            if params.varying_kind != "none":
                entry["blur_map"] = _save_blur_map(temp, name, params.blur_map(tile.shape))
        entries.append(entry)
    if "clear" in roles:
        file = f"{split}/clear/{name}.tif"
        write_image(temp / file, tile, dtype="uint16")
        entries.append({"file": file, "split": split, "role": "clear"})
    return entries


def _save_blur_map(temp: Path, name: str, widths: np.ndarray) -> str:
    file = f"test/blurmap/{name}.npy"
    (temp / "test" / "blurmap").mkdir(parents=True, exist_ok=True)
    np.save(temp / file, widths)
    return file


def _check_roles(images: list[dict], with_test: bool, out_dir: Path) -> None:
    """Every folder of the layout must hold images (test ones only when there is a test split)."""
    present = {(entry["split"], entry["role"]) for entry in images}
    wanted = [r for r in ROLES if r[0] == "train" or with_test]
    missing = [f"{split}/{role}" for split, role in wanted if (split, role) not in present]
    if missing:
        raise CyclesemError(f"no readable source left for {', '.join(missing)}", out_dir)
