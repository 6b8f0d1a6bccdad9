"""cyclesem: sharpen blurry scanning electron microscope images.

The public front is four functions::

    import cyclesem

    image = cyclesem.read_image("field.tif")              # a SemImage: pixels, info bar, metadata
    run = cyclesem.load_run("runs/cyclegan")              # a trained run folder
    sharp = cyclesem.enhance_image(run, image.content)    # tiled, in the input's units
    cyclesem.write_image("field_sharp.tif", sharp, like=image)  # same format, metadata, info bar

They are imported on first use, so ``import cyclesem`` stays cheap: TensorFlow
is imported only when a run's network is loaded. Everything else lives in the
subpackages (``cyclesem.io``, ``cyclesem.config``, ``cyclesem.data``,
``cyclesem.nets``, ``cyclesem.models``, ``cyclesem.train``,
``cyclesem.restore``, ``cyclesem.evaluate``, ``cyclesem.cli``).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

__all__ = ["enhance_image", "load_run", "read_image", "write_image", "__version__"]

_PUBLIC = {
    "load_run": "cyclesem.restore.runs",
    "read_image": "cyclesem.io",
    "write_image": "cyclesem.io",
    "enhance_image": "cyclesem.restore.enhance",
}


def __getattr__(name: str):
    """Import a public function on first use (PEP 562)."""
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cyclesem' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
