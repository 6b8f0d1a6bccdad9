"""Experiments and benchmarks, importable as a package.

Run each one as a module from the project root (no ``sys.path`` changes), e.g.
``.venv/bin/python -m experiments.synthetic.run --config experiments/synthetic/hybrid.toml``.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The project folder (``experiments/`` is inside it); commands run from here."""
