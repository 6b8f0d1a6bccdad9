"""Speed of the degradation chain against the FFT floor, per packaged recipe.

The floor is one forward plus one inverse real FFT of the image
(``scipy.fft.rfft2`` + ``irfft2``), the least any FFT blur can cost. Each
repetition times the floor and then one degradation (parameters drawn from the
recipe, cycling through ``--draws`` sets), back to back, so both see the same
machine load. Reported: the median of the per-repetition ratios, the ratio of
the fastest times (the least disturbed by other work on the machine), and
megapixels per second from the median degradation time. Everything runs on
one thread (FFT ``workers`` and OpenCV) unless ``--workers`` says otherwise;
on one thread the clock is that thread's CPU time (``time.thread_time``), which
other processes on a shared machine barely disturb, else wall time.

Run from the repository root::

    .venv/bin/python -m experiments.bench_synth --size 1024 --repeats 20
"""

from __future__ import annotations

import argparse
import statistics
import time

import cv2
import numpy as np
from scipy import fft

from synth.degrade import degrade
from synth.phantoms import random_phantom
from synth.recipes import draw, load_recipe, recipe_names


def fft_floor(image: np.ndarray, workers: int) -> None:
    """One forward plus one inverse real FFT of ``image``."""
    fft.irfft2(fft.rfft2(image, workers=workers), s=image.shape, workers=workers)


def bench_recipe(name: str, image: np.ndarray, repeats: int, draws: int, workers: int, clock) -> dict:
    """Time the floor and the recipe's chain back to back; return the figures."""
    recipe = load_recipe(name)
    params = [draw(recipe, np.random.default_rng([7, i])) for i in range(draws)]
    for p in params:  # warm-up: caches, FFT plans
        degrade(image, p, np.random.default_rng(0), workers=workers)
    ratios, times, floors = [], [], []
    for rep in range(repeats):
        start = clock()
        fft_floor(image, workers)
        middle = clock()
        degrade(image, params[rep % draws], np.random.default_rng(rep), workers=workers)
        end = clock()
        ratios.append((end - middle) / (middle - start))
        times.append(end - middle)
        floors.append(middle - start)
    seconds = statistics.median(times)
    return {
        "recipe": name,
        "mpix_s": image.size / 1e6 / seconds,
        "ms": seconds * 1e3,
        "floor_ms": statistics.median(floors) * 1e3,
        "ratio": statistics.median(ratios),
        "ratio_fastest": min(times) / min(floors),
    }


def main() -> None:
    """Print one line per recipe: megapixels per second and the ratio to the floor."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024, help="image side (px)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--draws", type=int, default=5, help="parameter sets per recipe")
    parser.add_argument("--workers", type=int, default=1, help="FFT threads (and OpenCV's); -1: all")
    args = parser.parse_args()
    cv2.setNumThreads(-1 if args.workers < 0 else args.workers)  # -1: OpenCV default
    image = random_phantom(args.size, seed=0)
    clock = time.thread_time if args.workers == 1 else time.perf_counter
    print(f"image {args.size}x{args.size}, {args.repeats} repeats, workers={args.workers}, clock {clock.__name__}")
    print(f"{'recipe':<10} {'MP/s':>7} {'ms':>7} {'floor ms':>9} {'x floor (median)':>17} {'x floor (fastest)':>18}")
    for name in recipe_names():
        row = bench_recipe(name, image, args.repeats, args.draws, args.workers, clock)
        print(
            f"{row['recipe']:<10} {row['mpix_s']:7.1f} {row['ms']:7.1f} {row['floor_ms']:9.1f}"
            f" {row['ratio']:17.2f} {row['ratio_fastest']:18.2f}"
        )


if __name__ == "__main__":
    main()
