"""The edge-loss ablation: ``python -m experiments.synthetic.run`` with ``hybrid.toml`` of this folder.

    .venv/bin/python -m experiments.ablation_edge.run --out experiments/results/ablation_edge

Trains the CycleGAN twice on the hybrid benchmark (default losses, then
``--set loss.edge=0 --set loss.ssim=0``), same seeds and steps, and compares
both with the blurry input; takes every option of the synthetic runner.
"""

from __future__ import annotations

from pathlib import Path

from experiments.synthetic.run import main

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    main(default_config=HERE / "hybrid.toml")
