"""The one place that imports TensorFlow for the library.

TensorFlow comes from one of the install extras, ``cyclesem[cpu]`` or
``cyclesem[gpu]`` (never both: ``tensorflow`` and ``tensorflow-cpu`` install the
same module). Without either, commands that need it fail with a clear message.
"""

from __future__ import annotations

import os

from cyclesem.errors import CyclesemError

_HINT = (
    "TensorFlow is not installed: install cyclesem with one runtime extra, "
    "pip install 'cyclesem[cpu]' (CPU) or 'cyclesem[gpu]' (NVIDIA GPU, Linux)"
)


def require_tensorflow():
    """Import and return :mod:`tensorflow`, or raise a one-line CyclesemError.

    Quietens TensorFlow's C++ start-up logging unless the user set it.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError:
        raise CyclesemError(_HINT) from None
    return tf


def require_keras():
    """Import and return :mod:`keras` (Keras 3), or raise a one-line CyclesemError."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
    except ImportError:
        raise CyclesemError(_HINT) from None
    return keras
