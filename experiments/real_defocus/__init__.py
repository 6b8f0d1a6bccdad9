"""Experiment package (run its modules with python -m experiments.real_defocus.<module>)."""
