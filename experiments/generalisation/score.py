"""Score the leave-one-source-out outputs of :mod:`experiments.generalisation.loso`, per source.

    .venv/bin/python -m experiments.generalisation.score RESULTS [--methods unpaired,sem-deblur,...]
        [--variants as_is,grey,selective,grey_selective] [--margin 16]

For every method folder ``RESULTS/METHOD/fold_g`` and every held-out pair of source ``g``:

- **PSNR / SSIM** of the restored blurry image against its sharp partner, registered by the
  blurry input's sub-pixel shift (as ``cyclesem compare --register``), ``--margin`` px left
  out at every border (16, as the issue's check);
- **in focus**: PSNR of the restored in-focus image against that image itself (what the
  restorer does to an image with nothing to restore);
- **grey levels**: the output's large-scale contrast over the input's
  (:func:`cyclesem.restore.grey_levels.large_scale_contrast`).

Post-processing variants are applied to the saved outputs: ``as_is``; ``grey``
(:func:`cyclesem.restore.grey_levels.keep_grey_levels`); ``selective``
(:func:`cyclesem.restore.selective.restore_where_blurry`: the output kept only where the
input's defocus map says blurred); ``grey_selective`` (both). The ``input`` row is the
blurry image itself. Writes ``RESULTS/scores.csv`` (one row per image and variant) and
prints, per method and variant, the mean over each source's pairs, their mean ± sd over
the seven sources, and the gain over the input per source (min .. max).
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import ndimage


VARIANTS = ("as_is", "grey", "selective", "grey_selective")
COLUMNS = ("method", "variant", "fold", "image", "psnr", "ssim", "infocus_psnr", "contrast_ratio")


def post_process(variant: str, restored: np.ndarray, image: np.ndarray, defocus=None) -> np.ndarray:
    """``restored`` (a restoration of ``image``) after the post-processing ``variant``.

    ``defocus``: a callable giving ``image``'s defocus map (cached by the caller).
    """
    from cyclesem.restore.grey_levels import keep_grey_levels
    from cyclesem.restore.selective import restore_where_blurry

    if variant in ("grey", "grey_selective"):
        restored = keep_grey_levels(restored, image)
    if variant in ("selective", "grey_selective"):
        restored = restore_where_blurry(image, lambda _: restored, defocus=defocus() if defocus else None).image
    return np.asarray(restored, np.float32)


def cached_defocus(cache: Path, image: np.ndarray):
    """A callable giving ``image``'s defocus map, computed once and kept in ``cache`` (a pickle)."""
    import pickle

    def load():
        if cache.exists():
            return pickle.loads(cache.read_bytes())
        from cyclesem.restore.selective import defocus_map

        made = defocus_map(image)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(made))
        return made

    return load


def psnr(reference: np.ndarray, image: np.ndarray) -> float:
    """PSNR (dB, range 1) of ``image`` against ``reference``."""
    error = float(np.mean((np.asarray(reference, np.float64) - np.asarray(image, np.float64)) ** 2))
    return float("inf") if error == 0 else 10.0 * np.log10(1.0 / error)


def score_image(sharp, blurry, restored, margin: int) -> dict:
    """Registered PSNR / SSIM of ``restored`` against ``sharp`` inside ``margin``, by ``blurry``'s shift."""
    from cyclesem.data.registration import estimate_shift
    from cyclesem.evaluate.metrics import score_pair

    shift = estimate_shift(sharp, blurry)
    inner = (slice(margin, -margin or None),) * 2
    moved = ndimage.shift(np.clip(restored, 0, 1).astype(np.float64), shift, order=3, mode="nearest")
    scores = score_pair(sharp[inner], moved[inner].astype(np.float32))
    return {"psnr": scores["psnr"], "ssim": scores["ssim"]}


def rows_of_fold(method: str, fold: Path, tests: Path, variants, margin: int, cache: Path):
    """Score rows of one method's fold (``tests``: the fold's ``test/{blurry,sharp}`` links; ``cache``: defocus maps)."""
    from cyclesem.io import read_image
    from cyclesem.restore.grey_levels import large_scale_contrast

    held_out = int(fold.name.split("_")[1])
    for path in sorted((fold / "blurry").glob("*.npy")):
        blurry = read_image(tests / "blurry" / f"{path.stem}.png").content
        sharp = read_image(tests / "sharp" / f"{path.stem}.png").content
        restored, restored_sharp = np.load(path), np.load(fold / "sharp" / path.name)
        if method == "input":
            variants_here, restored, restored_sharp = ("as_is",), blurry, sharp
        else:
            variants_here = variants
        for variant in variants_here:
            output = (post_process(variant, restored, blurry, cached_defocus(cache / "blurry" / path.stem, blurry))
                      if method != "input" else blurry)
            in_focus = (post_process(variant, restored_sharp, sharp, cached_defocus(cache / "sharp" / path.stem, sharp))
                        if method != "input" else sharp)
            yield {"method": method, "variant": variant, "fold": held_out, "image": path.stem,
                   **score_image(sharp, blurry, output, margin), "infocus_psnr": psnr(sharp, in_focus),
                   "contrast_ratio": large_scale_contrast(output) / large_scale_contrast(blurry)}


def _per_source(rows: list[dict]) -> dict:
    """``{(method, variant): {source: mean of (psnr, ssim, infocus_psnr, contrast_ratio)}}`` and the in-focus minimum."""
    table = defaultdict(lambda: defaultdict(list))
    for row in rows:
        table[(row["method"], row["variant"])][int(row["fold"])].append(
            [float(row[key]) for key in ("psnr", "ssim", "infocus_psnr", "contrast_ratio")])
    return {key: {fold: (np.mean(values, 0), min(v[2] for v in values)) for fold, values in folds.items()}
            for key, folds in table.items()}


def summarise(rows: list[dict], reference: str = "blind") -> None:
    """Print the per-source table of ``rows`` (markdown); gains against the input and ``reference`` on the same sources."""
    table = _per_source(rows)
    base, other = table.get(("input", "as_is"), {}), table.get((reference, "as_is"), {})
    print(f"| method | variant | sources | PSNR | SSIM | gain over input, mean (min .. max) | sources below input "
          f"| {reference} on the same sources | in-focus PSNR, min | large-scale contrast / input |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (method, variant), folds in sorted(table.items()):
        sources = sorted(folds)
        means = np.array([folds[f][0] for f in sources])
        gains = np.array([means[i, 0] - base[f][0][0] for i, f in enumerate(sources)])
        ref = np.array([other[f][0] for f in sources if f in other])
        ref_text = f"{ref[:, 0].mean():.2f} / {ref[:, 1].mean():.3f}" if len(ref) == len(sources) else "-"
        print(f"| {method} | {variant} | {len(sources)} | {means[:, 0].mean():.2f} ± {means[:, 0].std():.2f} | "
              f"{means[:, 1].mean():.3f} ± {means[:, 1].std():.3f} | {gains.mean():+.2f} ({gains.min():+.2f} .. "
              f"{gains.max():+.2f}) | {int((gains < 0).sum())} | {ref_text} | "
              f"{min(folds[f][1] for f in sources):.1f} | {means[:, 3].min():.3f} .. {means[:, 3].max():.3f} |")


def print_sources(rows: list[dict], variant: str = "as_is") -> None:
    """Per-source PSNR / SSIM of every method in ``variant`` (and the input), markdown."""
    table = _per_source(rows)
    methods = sorted({m for m, v in table if v == variant})
    sources = sorted({f for folds in table.values() for f in folds})
    print("| source | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    for fold in sources:
        cells = [f"{table[(m, variant)][fold][0][0]:.2f} / {table[(m, variant)][fold][0][1]:.3f}"
                 if fold in table[(m, variant)] else "-" for m in methods]
        print(f"| {fold} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--methods", help="comma-separated method folders (default: all)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--margin", type=int, default=16)
    parser.add_argument("--table-only", action="store_true", help="summarise RESULTS/scores.csv again")
    args = parser.parse_args()
    if args.table_only:
        with open(args.results / "scores.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        summarise(rows)
        print()
        print_sources(rows, "as_is")
        print()
        print_sources(rows, "grey")
        return
    names = args.methods.split(",") if args.methods else sorted(
        p.name for p in args.results.iterdir() if p.is_dir() and p.name != "folds")
    done_folds = {fold.name: args.results / name / fold.name for name in names
                  for fold in sorted((args.results / name).glob("fold_*")) if (fold / "seconds.json").exists()}
    rows = []
    for name in ["input", *names]:
        for fold_name, first in sorted(done_folds.items()):
            fold = first if name == "input" else args.results / name / fold_name
            if (fold / "seconds.json").exists():
                tests = args.results / "folds" / fold_name / "test"
                rows.extend(rows_of_fold(name, fold, tests, args.variants.split(","), args.margin,
                                         args.results / "defocus"))
    with open(args.results / "scores.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    summarise(rows)
    print()
    print_sources(rows, "as_is")
    print()
    print_sources(rows, "grey")


if __name__ == "__main__":
    main()
