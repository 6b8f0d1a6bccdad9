"""cyclesem's own leave-one-source-out outputs, scored like the peers: ``python -m experiments.peers.cyclesem_rows LOSO DIR``.

``LOSO`` is the results folder of :mod:`experiments.generalisation.loso` (``METHOD/fold_g/blurry/NAME.npy``,
the network's output before the grey-level step); each method's outputs get the step its
product applies (:func:`cyclesem.restore.grey_levels.keep_grey_levels`, on for the unpaired
default and ``sem-deblur``) and are scored by :func:`experiments.peers.common.score`, so they
share one table with the peers (``python -m experiments.peers.table DIR``). Rows are written to
``DIR/results.csv`` per (fold, method), skipped when already there.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from experiments.peers.common import Results, load_deblur, score

METHODS = {"unpaired_default": "unpaired-default", "sem-deblur": "sem-deblur"}
"""LOSO results folder -> method name in the peers table."""


def rows_of(method: str, outputs: Path, pairs) -> list[dict]:
    """Score rows of ``outputs`` (one fold's ``blurry/*.npy``) for the pairs they restore."""
    from cyclesem.restore.grey_levels import keep_grey_levels

    rows = []
    for pair in pairs:
        restored = np.load(outputs / f"{Path(pair.name).stem}.npy")
        kept = keep_grey_levels(restored, pair.degraded)
        rows.append({"task": "deblur", "fold": pair.group, "method": method, "image": pair.name,
                     **score(pair, kept), "seconds": ""})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("loso", type=Path, help="results folder of experiments.generalisation.loso")
    parser.add_argument("out", type=Path, help="the peers' output folder")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args(argv)
    results, pairs = Results(args.out), load_deblur(args.data)
    for folder, method in METHODS.items():
        for fold in sorted({p.group for p in pairs}, key=int):
            outputs = args.loso / folder / f"fold_{fold}" / "blurry"
            if results.done("deblur", fold, method) or not outputs.is_dir():
                continue
            results.add(rows_of(method, outputs, [p for p in pairs if p.group == fold]))
            print(f"deblur fold {fold} {method}: scored", flush=True)


if __name__ == "__main__":
    main()
