"""`cyclesem synth`: generate a benchmark with ground truth."""

from __future__ import annotations

import json
from collections import Counter

import click

from cyclesem.cli._common import report_failures
from cyclesem.errors import CyclesemError

PACKAGED_RECIPES = ("demo", "fog", "gaussian", "hybrid", "sem_noise", "spatially_varying")  # synth/recipes/*.toml


@click.command("synth")
@click.option(
    "--recipe",
    required=True,
    metavar="NAME|FILE",
    help=f"Degradation recipe: a packaged name ({', '.join(PACKAGED_RECIPES)}) or a TOML file.",
)
@click.option("--source", type=click.Path(), metavar="DIR", help="Folder of clear images to degrade.")
@click.option("--phantoms", type=int, metavar="N", help="Make N procedural phantoms instead of reading images.")
@click.option("--out", required=True, type=click.Path(), metavar="DIR", help="Benchmark folder to make.")
@click.option("--seed", required=True, type=int, help="Fixes the split, phantoms and every drawn parameter.")
@click.option("--size", default=256, show_default=True, metavar="PX", help="Tile side; larger images are tiled.")
@click.option("--test-fraction", default=0.2, show_default=True, metavar="F", help="Share of sources for testing.")
@click.option("--overwrite", is_flag=True, help="Replace an existing benchmark folder.")
def command(recipe, source, phantoms, out, seed, size, test_fraction, overwrite):
    """Generate a benchmark: phantoms or real images, degraded by a recipe.

    Writes OUT/train/{blurry,clear} (unpaired: from disjoint source images),
    OUT/test/{blurry,clear} (paired by file name), OUT/test/psf/<name>.npy (the
    true PSF of each test image; OUT/test/blurmap/<name>.npy its true local blur
    width when the recipe has a [varying] blur) and OUT/manifest.json (recipe, seed, and every
    drawn parameter). Same inputs and seed give identical files. An unreadable
    source image is skipped and reported at the end (exit status 1).
    """
    if (source is None) == (phantoms is None):
        raise CyclesemError("give either --source DIR or --phantoms N")
    from synth.benchmark import make_benchmark
    from synth.recipes import load_recipe

    skipped: list[tuple[str, str]] = []
    out_dir = make_benchmark(
        load_recipe(recipe),
        out,
        seed=seed,
        source_dir=source,
        n_phantoms=phantoms,
        size=size,
        test_fraction=test_fraction,
        overwrite=overwrite,
        on_skip=lambda path, problem: skipped.append((path, problem)),
    )
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    counts = Counter(f"{e['split']}/{e['role']}" for e in manifest["images"])
    sources = {e["source"] for e in manifest["images"]}
    summary = ", ".join(f"{counts[k]} {k}" for k in ("train/blurry", "train/clear", "test/blurry", "test/clear"))
    click.echo(f"{out_dir}: {summary} from {len(sources)} sources ({manifest['recipe']['name']} recipe)")
    report_failures(skipped, len(sources) + len(skipped))
