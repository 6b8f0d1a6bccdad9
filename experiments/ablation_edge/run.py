"""The edge-loss ablation: ``experiments/synthetic/run.py`` with ``hybrid.toml`` of this folder.

    .venv/bin/python experiments/ablation_edge/run.py --out experiments/results/ablation_edge

Trains the CycleGAN twice on the hybrid benchmark (default losses, then
``--set loss.edge=0 --set loss.ssim=0``), same seeds and steps, and compares
both with the blurry input; takes every option of the synthetic runner.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "synthetic"))

from run import main  # noqa: E402

if __name__ == "__main__":
    main(default_config=HERE / "hybrid.toml")
