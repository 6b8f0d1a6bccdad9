"""Keras networks, written with ``keras.ops`` only (portable to JAX).

Importing this package registers every custom layer, so exported ``.keras``
files load with ``safe_mode=True``:

- :mod:`cyclesem.nets.layers`: shared layers (reflect padding, cropping,
  bounded residual, instance normalisation with moving statistics).
- :mod:`cyclesem.nets.generator`, :mod:`cyclesem.nets.discriminator`: CycleGAN.
- :mod:`cyclesem.nets.midnet`: MIDNet / NAFNet.
- :mod:`cyclesem.nets.ensemble`: a network averaged over the flips of its input.
"""

from cyclesem.nets import layers  # noqa: F401 - registers the shared layers
from cyclesem.nets import midnet  # noqa: F401 - registers MIDNet's layers
from cyclesem.nets import ensemble  # noqa: F401 - registers the self-ensemble's layer
from cyclesem.nets.discriminator import build_discriminator
from cyclesem.nets.generator import build_generator

__all__ = ["build_discriminator", "build_generator"]
