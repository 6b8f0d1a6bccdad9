"""How far the support limit of a chunk (with its halo) is from the limit of the whole image.

Zarr mosaics are enhanced chunk by chunk (:mod:`cyclesem.restore.chunked`); a run with
``enhance.limit_to_support`` then limits each chunk by the spectrum of that chunk and its
halo. On one real defocused frame, with the network's output of the whole image held fixed
(so only the limit differs): the largest and RMS difference between the chunk-wise and the
whole-image limit, what the limit itself changes, and the mean step across chunk borders in
both results.

    python -m experiments.pretrained.support_chunks sem-deblur --chunk 256
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cyclesem.io import read_image
from cyclesem.restore.chunked import overlap_depth
from cyclesem.restore.support import limit_to_support
from cyclesem.restore.tiling import TileSpec


def chunkwise_limit(restored: np.ndarray, image: np.ndarray, chunk: int, depth: int) -> np.ndarray:
    """:func:`limit_to_support` applied to each ``chunk`` x ``chunk`` block with ``depth`` px of halo."""
    out = np.empty_like(restored)
    rows, cols = image.shape
    for top in range(0, rows, chunk):
        for left in range(0, cols, chunk):
            r0, c0 = max(0, top - depth), max(0, left - depth)
            r1, c1 = min(rows, top + chunk + depth), min(cols, left + chunk + depth)
            limited = limit_to_support(restored[r0:r1, c0:c1], image[r0:r1, c0:c1])
            out[top : top + chunk, left : left + chunk] = limited[top - r0 : top - r0 + chunk, left - c0 : left - c0 + chunk]
    return out


def border_step(image: np.ndarray, chunk: int) -> float:
    """Mean absolute step between the columns either side of each chunk border."""
    return float(np.mean([np.abs(image[:, k] - image[:, k - 1]).mean() for k in range(chunk, image.shape[1], chunk)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="packaged model name or run folder")
    parser.add_argument("--image", type=Path, default=Path("../shared/data/midnet-defocus/blur/1-1_s001.png"))
    parser.add_argument("--chunk", type=int, default=256)
    args = parser.parse_args()
    from cyclesem.restore.runs import load_run

    image = read_image(args.image).content
    restored = load_run(args.model).with_support_limit(False).enhance(image)
    whole = limit_to_support(restored, image)
    chunked = chunkwise_limit(restored, image, args.chunk, overlap_depth(TileSpec()))
    difference = chunked - whole
    print(f"{args.image.name} {image.shape}, chunks of {args.chunk} px, halo {overlap_depth(TileSpec())} px")
    print(f"chunk-wise against whole-image limit: max {np.abs(difference).max():.4f}, "
          f"RMS {np.sqrt(np.mean(difference ** 2)):.4f}; the limit itself changes RMS "
          f"{np.sqrt(np.mean((whole - restored) ** 2)):.4f}")
    print(f"mean step across chunk borders: chunk-wise {border_step(chunked, args.chunk):.4f}, "
          f"whole image {border_step(whole, args.chunk):.4f}")


if __name__ == "__main__":
    main()
