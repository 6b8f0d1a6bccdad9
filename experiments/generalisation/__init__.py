"""Generalisation to source images nobody tuned on: leave-one-source-out over the real defocus pairs."""
