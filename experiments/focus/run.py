"""Defocus maps and restoring only where blurred, on the spatially_varying benchmark.

1. ``cyclesem synth --recipe spatially_varying`` from real sharp SEM images
   (a tilt or a checkerboard of patches, added Gaussian width 0 in focus,
   2.5 to 4 px at the most blurred; light shot noise; 8 bits);
2. per test image: the map of the blurry image against the true local width
   (the ``test/blurmap`` the benchmark saved), at every pixel;
3. a restorer applied everywhere ("plain") and through
   :func:`cyclesem.restore.selective.restore_where_blurry`; PSNR and SSIM
   (scikit-image's SSIM map, the same defaults as ``cyclesem.metrics.ssim``)
   on the in-focus part (true width 0) and on the blurred part (true width
   at least 2 px); the share of in-focus pixels changed by more than one
   8-bit grey level, and the largest change of those at least 32 px from the
   blurred part.

Usage::

    python experiments/focus/run.py --out experiments/results/focus \
        --source ../shared/data/sem-clear/nanowires ../shared/data/sem-clear/superalloy
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage.metrics import structural_similarity

from cyclesem.restore import classical
from cyclesem.restore.defocus import defocus_map
from cyclesem.io import read_image
from cyclesem.restore.selective import restore_where_blurry
from synth.benchmark import make_benchmark
from cyclesem.restore.classical.psf import gaussian_psf

BLURRED_FROM = 2.0  # px of true added width: the "blurred part"
MARGIN = 32  # px: in-focus pixels at least this far from any blurred one (the map is coarse and smooth)


def restorers(params: dict) -> dict:
    """Restorers of one test image: blind (no PSF) and Wiener (balance 0.01) with the blurred part's true PSF."""
    psf = gaussian_psf(params["varying_blurred"])
    return {
        "blind": lambda image: classical.blind_deconvolution(image)[0],
        "wiener_true_max": lambda image: classical.wiener(image, psf, balance=1e-2),
    }


def part_scores(clear, image, mask) -> dict:
    """PSNR and mean SSIM over ``mask`` (SSIM map of the whole image, 3-px border left out)."""
    if not mask.any():
        return {"psnr": float("nan"), "ssim": float("nan")}
    mse = float(np.mean((clear[mask] - image[mask]) ** 2))
    _, ssim_map = structural_similarity(clear, image, data_range=1.0, full=True)
    inner = np.zeros_like(mask)
    inner[3:-3, 3:-3] = True
    return {"psnr": 10 * np.log10(1.0 / max(mse, 1e-12)), "ssim": float(ssim_map[mask & inner].mean())}


def evaluate_image(bench: Path, entry: dict) -> dict:
    blurry = read_image(bench / entry["file"]).content.astype(np.float64)
    clear = read_image(bench / entry["file"].replace("/blurry/", "/clear/")).content.astype(np.float64)
    truth = np.load(bench / entry["blur_map"]).astype(np.float64)
    start = time.perf_counter()
    defocus = defocus_map(blurry)
    map_seconds = time.perf_counter() - start
    estimate = defocus.full().astype(np.float64)
    sharp_mask, blurred_mask = truth == 0, truth >= BLURRED_FROM
    parts = (("in_focus", sharp_mask), ("blurred", blurred_mask))
    far = sharp_mask & (ndimage.distance_transform_edt(sharp_mask) >= MARGIN)
    row = {
        "identity": {part: part_scores(clear, blurry, m) for part, m in parts},
        "image": Path(entry["file"]).stem, "kind": entry["params"]["varying_kind"],
        "blurred_px": entry["params"]["varying_blurred"], "verdict": defocus.summary()["verdict"],
        "map_seconds": map_seconds, "truth": truth[::8, ::8].ravel(), "estimate": estimate[::8, ::8].ravel(),
    }
    for name, restore in restorers(entry["params"]).items():
        plain = np.asarray(restore(blurry.astype(np.float32)), np.float64)
        selective = restore_where_blurry(blurry, lambda image: plain.astype(np.float32), defocus=defocus)
        out = selective.image.astype(np.float64)
        row[name] = {
            "plain": {part: part_scores(clear, plain, m) for part, m in parts},
            "where_blurry": {part: part_scores(clear, out, m) for part, m in parts},
            "in_focus_changed_over_1_grey": float(np.mean(np.abs(out - blurry)[sharp_mask] * 255 > 1.0)) if sharp_mask.any() else 0.0,
            "in_focus_far_max_change_grey": float(np.abs(out - blurry)[far].max() * 255) if far.any() else 0.0,
            "weight_zero_identical": bool(np.array_equal(out[selective.weight == 0], blurry[selective.weight == 0])),
        }
    return row


def summarise(rows: list[dict]) -> dict:
    truth = np.concatenate([r["truth"] for r in rows])
    estimate = np.concatenate([r["estimate"] for r in rows])
    floor = {}
    summary = {
        "images": len(rows),
        "map_mae_px_vs_added_width": float(np.mean(np.abs(estimate - truth))),
        "map_correlation": float(np.corrcoef(estimate, truth)[0, 1]),
        "map_mae_px_blurred_part": float(np.mean(np.abs(estimate - truth)[truth >= BLURRED_FROM])),
        "map_mean_px_in_focus_part": float(np.mean(estimate[truth == 0])),
        "verdicts": {v: sum(r["verdict"] == v for r in rows) for v in sorted({r["verdict"] for r in rows})},
        "map_seconds_mean": float(np.mean([r["map_seconds"] for r in rows])),
    }
    for name in restorers({"varying_blurred": 1.0}):
        floor[name] = {
            mode: {part: {k: float(np.nanmean([r[name][mode][part][k] for r in rows])) for k in ("psnr", "ssim")}
                   for part in ("in_focus", "blurred")}
            for mode in ("plain", "where_blurry")
        }
        floor[name]["in_focus_changed_over_1_grey"] = float(np.mean([r[name]["in_focus_changed_over_1_grey"] for r in rows]))
        floor[name]["in_focus_far_max_change_grey"] = max(r[name]["in_focus_far_max_change_grey"] for r in rows)
        floor[name]["weight_zero_identical_all"] = all(r[name]["weight_zero_identical"] for r in rows)
    summary["restorers"] = floor
    summary["identity"] = {
        part: {k: float(np.nanmean([r["identity"][part][k] for r in rows])) for k in ("psnr", "ssim")}
        for part in ("in_focus", "blurred")
    }
    return summary


def gather_sources(folders: list[str], out: Path) -> Path:
    """One flat folder of links to the images of ``folders`` (make_benchmark reads one folder)."""
    target = out / "sources"
    target.mkdir(exist_ok=True)
    for folder in folders:
        for path in sorted(Path(folder).iterdir()):
            link = target / f"{Path(folder).name}_{path.name}"
            if path.is_file() and not link.exists():
                link.symlink_to(path.resolve())
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, nargs="+", help="Folders of sharp images.")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    bench = out / "benchmark"
    start = time.perf_counter()
    if not bench.is_dir():
        sources = gather_sources(args.source, out)
        make_benchmark("spatially_varying", bench, seed=args.seed, source_dir=sources, size=args.size, test_fraction=0.5)
    manifest = json.loads((bench / "manifest.json").read_text())
    tests = [e for e in manifest["images"] if e["split"] == "test" and e["role"] == "blurry"]
    rows = []
    for entry in tests:
        rows.append(evaluate_image(bench, entry))
        print(rows[-1]["image"], rows[-1]["kind"], rows[-1]["verdict"], flush=True)
    summary = summarise(rows)
    summary["seconds"] = time.perf_counter() - start
    summary["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
