"""Peers side by side: classical and CAREamics restorers on cyclesem's real splits (issue 25).

Optional extra ``peers`` (bm3d, careamics, torch CPU); cyclesem itself never imports them.

    python -m experiments.peers.run --task deblur --out /work/runs/peers
    python -m experiments.peers.run --task denoise --out /work/runs/peers
    python -m experiments.peers.table /work/runs/peers

See docs/results/peers.md.
"""
