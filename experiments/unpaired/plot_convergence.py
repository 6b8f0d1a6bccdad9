"""Draw test PSNR against training step from convergence CSVs (``experiments.unpaired.convergence``).

    python -m experiments.unpaired.plot_convergence --curve LABEL=CSV [--curve ...] \\
        [--point LABEL=STEP,PSNR ...] [--line LABEL=PSNR ...] --title TITLE --out PNG

``--curve`` draws a CSV's ``step, psnr`` rows; ``--point`` a single measured
run (end points of runs trained without kept checkpoints); ``--line`` a
horizontal reference (the blurry input, a classical method).
"""

from __future__ import annotations

import argparse
import csv


def _pairs(texts: list[str]) -> list[tuple[str, str]]:
    return [tuple(text.split("=", 1)) for text in texts]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curve", action="append", default=[], help="LABEL=CSV")
    parser.add_argument("--point", action="append", default=[], help="LABEL=STEP,PSNR")
    parser.add_argument("--line", action="append", default=[], help="LABEL=PSNR")
    parser.add_argument("--title", default="PSNR against step")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5.6, 3.4), dpi=110)
    for label, path in _pairs(args.curve):
        with open(path, newline="") as stream:
            rows = list(csv.DictReader(stream))
        axes.plot([int(r["step"]) for r in rows], [float(r["psnr"]) for r in rows], "o-", label=label)
    for marker, (label, text) in zip("s^vD", _pairs(args.point)):
        step, psnr = (float(v) for v in text.split(","))
        axes.plot([step], [psnr], marker, markersize=8, label=label)
    for style, (label, text) in zip((":", "--", "-."), _pairs(args.line)):
        axes.axhline(float(text), linestyle=style, color="grey" if style == ":" else "red",
                     label=f"{label} {float(text):.2f}")
    axes.set_xlabel("training step")
    axes.set_ylabel("test PSNR (dB)")
    axes.set_title(args.title, fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    figure.savefig(args.out)


if __name__ == "__main__":
    main()
