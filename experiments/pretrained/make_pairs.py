"""Write the synthetic training pairs of a pretrained model (``sem-deblur`` or ``sem-denoise``).

Clean sources (MIT-licensed, from ``../shared/data``): ``sem-clear/nanowires``,
``sem-clear/superalloy`` and the clean halves of ``sem-denoise`` except the
held-out images (``HELD_OUT``), plus procedural phantoms (``synth.phantoms``).
Each pair is its own draw: a source image (``deblur``: a family of sources first, each a
quarter of the pairs, then an image of it; ``denoise``: any image, as the shipped model was
made), a scale (0.5-1x, area downsampling), a crop with a margin for the PSF, a degradation
from ``synth.wide`` (``draw_deblur`` or ``draw_denoise``); the sharp side is the clean crop
through the draw's in-focus probe (``wide.in_focus``), the blurry side that target degraded.
Pairs are 16-bit PNGs named ``NNNNN.png`` in ``OUT/{train,val}/{blurry,sharp}``,
a pure function of ``--seed``.

For ``denoise`` the real sem-denoise pairs go in beside the synthetic ones, registered
(the noisy frames are shifted by up to 4 px) and cut to their overlap: each training pair
(001-014) ``--real-copies`` times (links), each validation pair (015, 016) once; 017-020
stay out for evaluation.

    python -m experiments.pretrained.make_pairs deblur --out RESULTS/data/sem-deblur --train 4000 --val 64
    python -m experiments.pretrained.make_pairs denoise --out RESULTS/data/sem-denoise --train 1500 --val 32
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import cv2
import numpy as np

from cyclesem.io import read_image
from cyclesem.data.registration import align_pair
from synth import wide
from synth.phantoms import random_phantom

DATA = Path("../shared/data")  # relative to the project root, where the command runs
HELD_OUT = ("017", "018", "019", "020")  # sem-denoise images kept for evaluating sem-denoise
REAL_VAL = ("015", "016")  # sem-denoise pairs validating sem-denoise's training (not trained on)
DRAWS = {"deblur": wide.draw_deblur, "denoise": wide.draw_denoise}


def clean_sources(data: Path, phantoms: int, seed: int) -> dict[str, list[np.ndarray]]:
    """The clean images (content above any info bar, float32 [0, 1]) by family, with ``phantoms`` phantoms of 512 px.

    A ``deblur`` pair draws a family first, then an image of it: each family is a quarter
    of the pairs, however many images it holds (the 16 ``sem-denoise`` images are all bright
    spheres on a dark ground; drawn per image they and the phantoms made two thirds of the
    pairs, and networks learnt to turn any blurred ridge into a bright blob).
    """
    def read(paths):
        return [read_image(p).content.astype(np.float32) for p in paths]

    families = {
        "nanowires": read(sorted((data / "sem-clear" / "nanowires").glob("*.png"))),
        "superalloy": read(sorted((data / "sem-clear" / "superalloy").glob("*.tif"))),
        "spheres": read(p for p in sorted((data / "sem-denoise" / "clean").glob("*.tif")) if p.stem not in HELD_OUT),
        "phantoms": [random_phantom(512, seed * 1000 + i) for i in range(phantoms)],
    }
    return {name: images for name, images in families.items() if images}


def _crop(image: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    if min(image.shape) < size:
        pad = size - min(image.shape)
        image = np.pad(image, pad, mode="reflect")
    top = int(rng.integers(0, image.shape[0] - size + 1))
    left = int(rng.integers(0, image.shape[1] - size + 1))
    return image[top : top + size, left : left + size]


MIN_RANGE_RATIO = 0.4
"""Least (p99 - p1) of the degraded crop over that of the clean crop. Training normalises each pair
by the degraded image's percentiles: below this (a wide blur over sparse bright structures) the
peaks the blur erased cannot be inferred from the image. The bound selects pairs by content: at 0.7
(27 Nov-2 Dec) a blur wider than 7 px kept 66 % of the sphere crops, 34 % of the superalloy, 22 % of
the phantoms and none of the nanowires, so the heavily blurred pairs were mostly bright round
blobs, and networks drew bright blobs into every real defocused image. At 0.4: 94 %, 98 %, 98 %,
17 %. With the squared-error loss a pair whose detail is lost teaches the blurred image back, not a
contrast stretch. The real defocus pairs measure 0.75 (``experiments/README.md``, "Pretrained models")."""


MAX_MEAN_SHIFT = 0.25
"""Largest difference of the clean and degraded means, in units of the degraded image's
percentile range (what training normalises by): a larger shift cannot be told from the input."""


def _range(image: np.ndarray) -> float:
    low, high = np.percentile(image, (1.0, 99.0))
    return float(high - low)


def make_pair(families: dict[str, list[np.ndarray]], kind: str, size: int, rng: np.random.Generator):
    """One ``(blurry, sharp)`` pair of ``size`` px: draws until the contrast and mean tests pass (at most 50)."""
    for _ in range(50):
        degraded, clean = _draw_pair(families, kind, size, rng)
        low, high = np.percentile(degraded, (1.0, 99.0))
        shift = abs(float(np.mean(clean) - np.mean(degraded))) / max(float(high - low), 1e-6)
        clean_range = _range(clean)
        if clean_range > 0.05 and high - low >= MIN_RANGE_RATIO * clean_range and shift <= MAX_MEAN_SHIFT:
            break
    return degraded, clean


def _draw_pair(families: dict[str, list[np.ndarray]], kind: str, size: int, rng: np.random.Generator):
    params = DRAWS[kind](rng)
    margin = max(params.psf.shape) // 2 + 2 + math.ceil(4 * params.in_focus_sigma)
    if kind == "deblur":
        images = list(families.values())[int(rng.integers(len(families)))]
    else:
        images = [image for family in families.values() for image in family]
    image = images[int(rng.integers(len(images)))]
    scale = rng.uniform(0.5, 1.0)
    if scale < 0.98:
        shape = (max(8, round(image.shape[1] * scale)), max(8, round(image.shape[0] * scale)))
        image = cv2.resize(image, shape, interpolation=cv2.INTER_AREA)
    clean = wide.in_focus(np.clip(_crop(image, size + 2 * margin, rng), 0.0, 1.0), params)
    degraded = wide.apply(clean, params, rng)
    inner = (slice(margin, margin + size),) * 2
    return degraded[inner], clean[inner]


def write_pairs(out: Path, families, kind: str, count: int, size: int, seed: int) -> None:
    for side in ("blurry", "sharp"):
        (out / side).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        rng = np.random.default_rng([seed, index])
        for side, image in zip(("blurry", "sharp"), make_pair(families, kind, size, rng)):
            cv2.imwrite(str(out / side / f"{index:05d}.png"), np.rint(image * 65535).astype(np.uint16))


def write_real_pairs(out: Path, data: Path, copies: int) -> None:
    """Register the real sem-denoise pairs and write them into ``out/{train,val}``.

    Each training pair (not in ``HELD_OUT`` or ``REAL_VAL``) is written once and
    linked ``copies - 1`` more times, to weight it against the synthetic pairs;
    each validation pair once. The noisy image is shifted onto the clean one
    (sub-pixel) and both are cut to their overlap, so training needs no ``--register``.
    """
    for noisy_path in sorted((data / "sem-denoise" / "noisy").glob("*.tif")):
        if noisy_path.stem in HELD_OUT:
            continue
        clean, noisy, _ = align_pair(read_image(data / "sem-denoise" / "clean" / noisy_path.name).content,
                                     read_image(noisy_path).content)
        split, count = ("val", 1) if noisy_path.stem in REAL_VAL else ("train", copies)
        for side, image in (("blurry", noisy), ("sharp", clean)):
            first = out / split / side / f"real{noisy_path.stem}_0.png"
            cv2.imwrite(str(first), np.rint(np.clip(image, 0, 1) * 65535).astype(np.uint16))
            for copy in range(1, count):
                link = out / split / side / f"real{noisy_path.stem}_{copy}.png"
                link.unlink(missing_ok=True)
                link.symlink_to(first.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(DRAWS))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--val", type=int, default=64)
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--phantoms", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--real-copies", type=int, default=8,
                        help="denoise: links to each real training pair (weights real against synthetic)")
    args = parser.parse_args()
    families = clean_sources(args.data.resolve(), args.phantoms, args.seed)
    print("clean source images: " + ", ".join(f"{len(images)} {name}" for name, images in families.items()))
    write_pairs(args.out / "train", families, args.kind, args.train, args.size, args.seed)
    write_pairs(args.out / "val", families, args.kind, args.val, args.size, args.seed + 1)
    if args.kind == "denoise":
        write_real_pairs(args.out, args.data.resolve(), args.real_copies)
    print(f"wrote {args.train} + {args.val} pairs to {args.out}")


if __name__ == "__main__":
    main()
