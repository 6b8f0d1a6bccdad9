"""The one place that imports TensorFlow for the library.

TensorFlow comes from one of the install extras, ``cyclesem[cpu]`` or
``cyclesem[gpu]`` (never both: ``tensorflow`` and ``tensorflow-cpu`` install the
same module). Without either, commands that need it fail with a clear message.
"""

from __future__ import annotations

import contextlib
import os
import sys

from cyclesem.errors import CyclesemError

_HINT = (
    "TensorFlow is not installed: install cyclesem with one runtime extra, "
    "pip install 'cyclesem[cpu]' (CPU) or 'cyclesem[gpu]' (NVIDIA GPU, Linux)"
)


def require_tensorflow():
    """Import and return :mod:`tensorflow`, or raise a one-line CyclesemError.

    Quietens TensorFlow's C++ start-up logging unless the user set it.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with _native_stderr_silenced():
            import tensorflow as tf
    except ImportError:
        raise CyclesemError(_HINT) from None
    return tf


@contextlib.contextmanager
def _native_stderr_silenced():
    """Hide what native code writes to file descriptor 2 (TensorFlow's start-up banner).

    TensorFlow's C++ libraries log oneDNN and CPU-feature notes at import,
    before ``TF_CPP_MIN_LOG_LEVEL`` is read. Python exceptions are unaffected.
    """
    try:
        sys.stderr.flush()
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a captured or replaced stderr
        yield
        return
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def require_keras():
    """Import and return :mod:`keras` (Keras 3), or raise a one-line CyclesemError."""
    require_tensorflow()
    try:
        import keras
    except ImportError:
        raise CyclesemError(_HINT) from None
    return keras
