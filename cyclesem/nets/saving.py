"""Loading an exported network file (``.keras``) in safe mode, with cyclesem's layers registered.

Networks load with ``safe_mode=True`` only: a file holding arbitrary code (a
``Lambda`` layer, a wrapped TensorFlow SavedModel) is refused, never executed.
Keras is imported only when a file is loaded.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from cyclesem.errors import CyclesemError

__all__ = ["load_network_file"]

_UNSAFE = (
    "cannot load the network: the file holds Python code (a Lambda layer) and "
    "cyclesem never runs code from a model file"
)
_SAVED_MODEL = (
    "cannot load the network: it wraps a TensorFlow SavedModel (a TFSMLayer), whose graph could run "
    "any code, and cyclesem never runs code from a model file; save the Keras network itself "
    "(model.save('generator.keras')) or export it to ONNX"
)


def load_network_file(path: str | os.PathLike):
    """Load an exported network (``generator.keras``) in safe mode, with cyclesem's layers registered.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.keras`` file.

    Returns
    -------
    keras.Model

    Raises
    ------
    CyclesemError
        If the file is missing, not a ``.keras`` archive, holds code (a
        ``Lambda`` layer or a wrapped SavedModel) or does not load.
    """
    path = Path(path)
    from cyclesem.backend import require_keras

    keras = require_keras()
    import cyclesem.nets  # noqa: F401 - registers the custom layers for loading

    if not path.is_file():
        raise CyclesemError("the run has no exported network yet (training not finished?)", path)
    if not zipfile.is_zipfile(path):
        raise CyclesemError("cannot load the network: not a .keras file (not a zip archive)", path)
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - any failure means a broken or unsafe file
        message = " ".join(str(exc).split())
        if "TFSMLayer" in message:
            raise CyclesemError(_SAVED_MODEL, path) from None
        if "safe_mode" in message:
            raise CyclesemError(_UNSAFE, path) from None
        detail = message[:300] or type(exc).__name__
        raise CyclesemError(f"cannot load the network ({detail})", path) from None
