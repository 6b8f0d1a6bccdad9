"""The one place that imports TensorFlow (and picks the Keras backend) for the library.

Keras 3 runs on the backend ``KERAS_BACKEND`` names (TensorFlow by default);
under ``jax`` (or ``torch``) nothing here imports TensorFlow.

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


def keras_backend() -> str:
    """The Keras backend this process uses (``"tensorflow"``, ``"jax"``, ...), without importing Keras.

    Keras fixes its backend when it is first imported, from ``KERAS_BACKEND``
    (else ``~/.keras/keras.json``, else TensorFlow).
    """
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    name = os.environ.get("KERAS_BACKEND")
    if not name:
        import json
        from pathlib import Path

        config = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "keras.json"
        try:
            name = json.loads(config.read_text()).get("backend")
        except (OSError, ValueError, AttributeError):
            name = None
    return name or "tensorflow"


def jit_compile(xla: bool, eager: bool) -> bool:
    """Whether ``compile(jit_compile=...)`` compiles the step with XLA.

    Under TensorFlow only when ``xla`` asks (the graph runs without it); under
    JAX always unless ``eager`` (a JAX step not compiled runs op by op).
    """
    return bool(xla or (keras_backend() == "jax" and not eager))


def mixed_precision_policy(enabled: bool) -> str | None:
    """The Keras dtype policy of ``runtime.mixed_precision``; ``None`` (float32) when it is off.

    ``"mixed_float16"`` under TensorFlow (``compile`` wraps the optimizer in a
    loss-scale optimizer); ``"mixed_bfloat16"`` under every other backend (JAX):
    bfloat16 has float32's range, so no loss scaling, and GPUs from NVIDIA's
    Ampere generation on (and TPUs) compute it natively. Either way the
    networks keep their last layers in float32.
    """
    if not enabled:
        return None
    return "mixed_float16" if keras_backend() == "tensorflow" else "mixed_bfloat16"


def require_keras():
    """Import and return :mod:`keras` (Keras 3), or raise a one-line CyclesemError.

    Under the TensorFlow backend TensorFlow is imported first (quietly); under
    another backend it is not imported at all.
    """
    if keras_backend() == "tensorflow":
        require_tensorflow()
    try:
        import keras
    except ImportError:
        raise CyclesemError("Keras 3 is not installed: pip install keras") from None
    return keras
