"""``summary.md`` of an experiment: its table, commands, wall times and machine."""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np

from cyclesem.io import list_images, read_image
from cyclesem.evaluate.metrics import no_reference_scores
from cyclesem.evaluate.report_data import LABELS, mean_scores, summarize

__all__ = ["machine_description", "summary_table", "write_summary"]

_DECIMALS = {"psnr": 2, "ssim": 3}


def machine_description() -> dict:
    """CPU model, core count, OS, Python and TensorFlow versions, load average now."""
    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "unknown")
    try:
        tensorflow = metadata.version("tensorflow-cpu")
    except metadata.PackageNotFoundError:
        tensorflow = metadata.version("tensorflow")
    return {"cpu": model, "cores": os.cpu_count(), "os": platform.platform(), "python": platform.python_version(),
            "tensorflow": tensorflow, "gpu": _gpus() or "none", "load_average_1min": round(os.getloadavg()[0], 2)}


def _gpus() -> str:
    """``nvidia-smi -L``'s list of GPUs, or an empty string."""
    if shutil.which("nvidia-smi") is None:
        return ""
    listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False)
    return "; ".join(listing.stdout.split("\n")).strip("; ")


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def _cell(column: str, mean: float, std: float) -> str:
    if column in _DECIMALS:
        decimals = _DECIMALS[column]
    else:  # three significant digits
        decimals = max(0, 2 - math.floor(math.log10(abs(mean)))) if mean else 3
    return f"{mean:.{decimals}f} ± {std:.{decimals}f}" if math.isfinite(mean) else "n/a"


def summary_table(rows: list[dict], methods: list[str], columns: tuple[str, ...], reference: dict) -> str:
    """Markdown table: mean ± std per method and column, then the gain over the input (identity)."""
    summary = summarize(rows, methods)
    base = next((row for row in summary if row.method == "identity"), None)
    gains = [c for c in ("psnr", "ssim") if c in columns] if base else []
    head = [LABELS[c] for c in columns] + [f"Δ{LABELS[c].split()[0]} vs input" for c in gains]
    lines = ["| method | n | " + " | ".join(head) + " |", "|---|---:|" + "---:|" * len(head)]
    for row in summary:
        cells = [_cell(c, row.mean[c], row.std[c]) for c in columns]
        cells += [f"{row.mean[c] - base.mean[c]:+.{_DECIMALS[c]}f}" for c in gains]
        lines.append(f"| {row.method} | {row.count} | " + " | ".join(cells) + " |")
    if reference:
        cells = [f"{reference[c]:.3g}" if c in reference else "" for c in columns] + [""] * len(gains)
        lines.append("| *clear (reference)* | | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def paired_lines(rows: list[dict], runs: list[str]) -> list[str]:
    """Per-image PSNR and SSIM differences of the first run against each other run."""
    scores = {(row["image"], row["method"]): row for row in rows}
    images = sorted({row["image"] for row in rows})
    lines = []
    for other in runs[1:]:
        for column in ("psnr", "ssim"):
            both = [(scores[(i, runs[0])][column], scores[(i, other)][column]) for i in images
                    if (i, runs[0]) in scores and (i, other) in scores]
            if not both:
                continue
            diffs = np.array([a - b for a, b in both])
            lines.append(f"- {LABELS[column]}, `{runs[0]}` minus `{other}` per image: mean {diffs.mean():+.4f}, "
                         f"std {diffs.std():.4f}, `{runs[0]}` higher on {(diffs > 0).sum()} of {diffs.size} images")
    return lines


def _read_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [{k: (v if k in ("image", "method") else float(v or "nan")) for k, v in row.items()}
                for row in csv.DictReader(fh)]


def _clear_reference(benchmark: Path) -> dict:
    """Mean no-reference scores of the clear test images (what AG, CON, SF should approach)."""
    return mean_scores([no_reference_scores(read_image(p).pixels) for p in list_images(benchmark / "test" / "clear")])


def _benchmark_counts(benchmark: Path) -> str:
    images = json.loads((benchmark / "manifest.json").read_text(encoding="utf-8"))["images"]
    counts = {}
    for entry in images:
        key = f"{entry['split']}/{entry['role']}"
        counts[key] = counts.get(key, 0) + 1
    sources = len({entry["source"] for entry in images})
    return ", ".join(f"{n} {key}" for key, n in sorted(counts.items())) + f" tiles from {sources} source images"


def _timing_lines(record: dict) -> list[str]:
    lines = []
    for key, entry in record["log"].items():
        load = f"load average {entry['load_before']} -> {entry['load_after']}" if "load_before" in entry else ""
        reused = f", reused from `{entry['reused_from']}`" if "reused_from" in entry else ""
        lines.append(f"- {key}: {entry['seconds']:.0f} s wall ({load}{reused}): `{entry['command']}`")
    return lines


def write_summary(experiment, record: dict, out: Path) -> Path:
    """Write ``out/summary.md`` from ``out/compare/metrics.csv`` and ``record``; returns its path."""
    rows = _read_rows(out / "compare" / "metrics.csv")
    methods = [*experiment.methods, *experiment.runs]
    spec, train = experiment.benchmark, experiment.training
    machine = record["machine"]
    parts = [
        f"# {experiment.description or record['config']}", "",
        f"Config `{record['config']}`; command `{' '.join(record['argv'])}`.", "",
        f"Benchmark: recipe `{spec.recipe}`, seed {spec.seed}, size {spec.size}, "
        f"sources {', '.join(spec.sources)}: {_benchmark_counts(out / 'benchmark')}.", "",
        f"CycleGAN: preset `{train.preset}`, {train.steps} steps, crop {train.crop}, batch {train.batch}, "
        f"seed {train.seed}; runs: " + "; ".join(f"`{n}` ({', '.join(o) or 'default losses'})"
                                                for n, o in experiment.runs.items()) + ".", "",
        summary_table(rows, methods, experiment.columns, _clear_reference(out / "benchmark")), "",
        *(["## Paired differences between the runs", "", *paired_lines(rows, list(experiment.runs)), ""]
          if len(experiment.runs) > 1 else []),
        "## Wall times", "", *_timing_lines(record), "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['os']}, Python {machine['python']}, "
        f"TensorFlow {machine['tensorflow']}, GPU: {machine['gpu']}; shared with other jobs "
        "(load averages above).", "",
    ]
    path = out / "summary.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
