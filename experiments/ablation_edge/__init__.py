"""Experiment package (run its modules with python -m experiments.ablation_edge.<module>)."""
