"""Peers side by side: classical and CAREamics restorers on cyclesem's real splits (issue 25).

Optional extra ``peers`` (bm3d, scikit-image); CAREamics runs from its own environment
(docs/results/peers.md). cyclesem itself never imports any of them.

    python -m experiments.peers.run --task deblur --out PEERS
    python -m experiments.peers.run --task denoise --out PEERS
    python -m experiments.peers.cyclesem_rows LOSO_RESULTS PEERS
    python -m experiments.peers.table PEERS

See docs/results/peers.md.
"""
