"""Markdown tables of a peers run: ``python -m experiments.peers.table DIR``.

deblur: per method, mean ± sd over the held-out sources of the per-source mean PSNR /
SSIM (sd with ddof=0 over the sources), the per-source PSNR gain over the input
(min..max), and the per-source PSNR. denoise: mean ± sd over the test images and per
image. Then the per-fold fits (training wall seconds, steps, chosen settings).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from experiments.peers.common import read_csv

ORDER = ["input", "blind", "rl", "tv", "bm3d", "care", "n2v", "sem-denoise", "sem-deblur", "unpaired-default"]


def _methods(rows) -> list[str]:
    present = {r["method"] for r in rows}
    return [m for m in ORDER if m in present] + sorted(present - set(ORDER))


def per_source(rows, task: str = "deblur") -> dict[str, dict[str, tuple[float, float, int]]]:
    """``table[method][fold] = (mean PSNR, mean SSIM, images)`` over the images of that fold."""
    groups = defaultdict(list)
    for r in rows:
        if r["task"] == task:
            groups[(r["method"], r["fold"])].append((float(r["psnr"]), float(r["ssim"])))
    table: dict[str, dict[str, tuple[float, float, int]]] = defaultdict(dict)
    for (method, fold), values in groups.items():
        v = np.array(values)
        table[method][fold] = (float(v[:, 0].mean()), float(v[:, 1].mean()), len(v))
    return table


def _fold_key(fold: str):
    return (0, int(fold)) if fold.isdigit() else (1, fold)


def deblur_tables(rows) -> str:
    table = per_source(rows, "deblur")
    if not table:
        return ""
    methods = _methods([r for r in rows if r["task"] == "deblur"])
    folds = sorted({f for m in table.values() for f in m}, key=_fold_key)
    base = table.get("input", {})
    lines = ["### Deblur, leave-one-source-out (midnet-defocus)", "",
             "| method | sources | PSNR (dB) mean ± sd | SSIM mean ± sd | PSNR gain over input, min..max (dB) |",
             "|---|---:|---:|---:|---:|"]
    for m in methods:
        done = sorted(table[m], key=_fold_key)
        p = np.array([table[m][f][0] for f in done])
        s = np.array([table[m][f][1] for f in done])
        gains = [table[m][f][0] - base[f][0] for f in done if f in base]
        gain = f"{min(gains):+.2f}..{max(gains):+.2f}" if gains else "-"
        lines.append(f"| {m} | {len(done)} | {p.mean():.2f} ± {p.std():.2f} | {s.mean():.3f} ± {s.std():.3f} | {gain} |")
    lines += ["", "Per-source mean PSNR (dB) / SSIM, each source held out:", "",
              "| method | " + " | ".join(folds) + " |", "|---|" + "---:|" * len(folds)]
    for m in methods:
        cells = [f"{table[m][f][0]:.2f} / {table[m][f][1]:.3f}" if f in table[m] else "-" for f in folds]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def denoise_tables(rows) -> str:
    rows = [r for r in rows if r["task"] == "denoise"]
    if not rows:
        return ""
    methods = _methods(rows)
    images = sorted({r["image"] for r in rows})
    by = {(r["method"], r["image"]): (float(r["psnr"]), float(r["ssim"])) for r in rows}
    folds = sorted({r["fold"] for r in rows})
    lines = [f"### Denoise, sem-denoise pairs {', '.join(folds)} (tuned / trained on 001-016)", "",
             "| method | images | PSNR (dB) mean ± sd | SSIM mean ± sd |", "|---|---:|---:|---:|"]
    for m in methods:
        v = np.array([by[(m, i)] for i in images if (m, i) in by])
        lines.append(f"| {m} | {len(v)} | {v[:, 0].mean():.2f} ± {v[:, 0].std():.2f} | "
                     f"{v[:, 1].mean():.3f} ± {v[:, 1].std():.3f} |")
    lines += ["", "Per image PSNR (dB) / SSIM:", "", "| method | " + " | ".join(images) + " |",
              "|---|" + "---:|" * len(images)]
    for m in methods:
        cells = [f"{by[(m, i)][0]:.2f} / {by[(m, i)][1]:.3f}" if (m, i) in by else "-" for i in images]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def fit_tables(fits) -> str:
    if not fits:
        return ""
    lines = ["### Fits per fold", "", "| task | fold | method | train s | steps | epochs | detail |",
             "|---|---|---|---:|---:|---:|---|"]
    for f in sorted(fits, key=lambda f: (f["task"], f["method"], _fold_key(f["fold"]))):
        seconds = f"{float(f['seconds']):.1f}" if f["seconds"] else ""
        lines.append(f"| {f['task']} | {f['fold']} | {f['method']} | {seconds} | {f['steps']} | {f['epochs']} | "
                     f"{f['detail']} |")
    return "\n".join(lines)


def render(out: Path) -> str:
    rows = read_csv(Path(out) / "results.csv")
    if not rows:
        raise SystemExit(f"no results in {Path(out) / 'results.csv'}")
    parts = [deblur_tables(rows), denoise_tables(rows), fit_tables(read_csv(Path(out) / "fits.csv"))]
    return "\n\n".join(p for p in parts if p) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder given to experiments.peers.run --out")
    args = parser.parse_args(argv)
    print(render(args.out), end="")


if __name__ == "__main__":
    main()
