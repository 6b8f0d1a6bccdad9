"""cyclesem: sharpen blurry scanning electron microscope images.

Importing :mod:`cyclesem` is cheap: TensorFlow is imported only by the modules
that train or run networks.
"""

__version__ = "0.1.0"
