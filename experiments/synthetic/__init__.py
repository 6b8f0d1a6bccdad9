"""Experiment package (run its modules with python -m experiments.synthetic.<module>)."""
