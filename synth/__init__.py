"""synth: SEM degradation models, procedural phantoms and benchmark generation.

Pure numpy/scipy: importing :mod:`synth` never imports TensorFlow.
"""
