"""Per-source summary of a ``cyclesem compare`` on midnet-defocus pairs: PSNR / SSIM by method.

For each method and each source image (``G`` in ``G-1_sNNN``): the mean over its crops; then,
over the sources, the mean and the spread (standard deviation) of those means, and the gain over
the input (``identity``) per source (min .. max). A markdown table on stdout.

    python -m experiments.pretrained.per_source RESULTS/metrics.csv
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from cyclesem.data.pairs import source_group


def per_source(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """``{method: {source: array of (psnr, ssim) rows}}`` from ``metrics.csv``."""
    table: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row.get("psnr") not in (None, ""):
                group = source_group(Path(row["image"]).stem)
                table[row["method"]][group].append((float(row["psnr"]), float(row["ssim"])))
    return {m: {g: np.array(v) for g, v in groups.items()} for m, groups in table.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("metrics", type=Path)
    args = parser.parse_args()
    table = per_source(args.metrics)
    base = {g: v.mean(0) for g, v in table.get("identity", {}).items()}
    sources = sorted(base or next(iter(table.values())))
    print("| method | " + " | ".join(f"source {g}" for g in sources)
          + " | mean ± sd over sources | gain over input, min .. max |")
    print("|---|" + "---:|" * (len(sources) + 2))
    for method, groups in table.items():
        means = np.array([groups[g].mean(0) for g in sources])
        cells = [f"{m[0]:.2f} / {m[1]:.3f}" for m in means]
        gain = means[:, 0] - np.array([base[g][0] for g in sources]) if base else np.zeros(len(sources))
        print(f"| {method} | " + " | ".join(cells) + f" | {means[:, 0].mean():.2f} ± {means[:, 0].std():.2f} / "
              f"{means[:, 1].mean():.3f} ± {means[:, 1].std():.3f} | {gain.min():+.2f} .. {gain.max():+.2f} dB |")


if __name__ == "__main__":
    main()
