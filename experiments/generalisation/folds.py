"""Leave-one-source-out folds of the real defocus pairs, as folders of symbolic links.

The 84 pairs of ``midnet-defocus`` are crops of seven source images (``G`` in
``G-1_sNNN.png``). Fold ``g`` holds source ``g`` out for scoring and trains on the
other six:

- supervised: the pairs of all six (``train/blurry``, ``train/sharp``);
- unpaired: the blurry images of three of them and the sharp images of the other
  three (``unpaired/blurry``, ``unpaired/clear``), alternating in source order, so
  the two unpaired folders never show the same field;
- ``test/blurry``, ``test/sharp``: the pairs of source ``g``.

Images are never copied.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SOURCES = tuple(range(1, 8))


def source_of(name: str) -> int:
    """The source image number of a pair's file name (``3-1_s012.png`` -> 3)."""
    return int(name.split("-")[0])


def fold_sources(held_out: int) -> dict[str, tuple[int, ...]]:
    """Which sources play which role when ``held_out`` is scored."""
    others = tuple(s for s in SOURCES if s != held_out)
    return {"train": others, "unpaired_blurry": others[0::2], "unpaired_clear": others[1::2], "test": (held_out,)}


def link_fold(data: Path, work: Path, held_out: int) -> Path:
    """Write fold ``held_out``'s folders of links under ``work`` (replacing earlier ones); returns ``work``."""
    roles = fold_sources(held_out)
    layout = {("train", "blurry"): ("train", "blur"), ("train", "sharp"): ("train", "sharp"),
              ("unpaired", "blurry"): ("unpaired_blurry", "blur"), ("unpaired", "clear"): ("unpaired_clear", "sharp"),
              ("test", "blurry"): ("test", "blur"), ("test", "sharp"): ("test", "sharp")}
    for (group, side), (role, folder) in layout.items():
        target = work / group / side
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for image in sorted((data / folder).glob("*.png")):
            if source_of(image.name) in roles[role]:
                os.symlink(image.resolve(), target / image.name)
    return work
