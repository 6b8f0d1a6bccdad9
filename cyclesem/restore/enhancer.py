"""What enhances an image: the :class:`Enhancer` protocol, and opening one.

Everything cyclesem enhances with is an :class:`Enhancer`: a trained run
(:class:`cyclesem.restore.runs.Run`), an exported ONNX network
(:class:`cyclesem.restore.onnx_runtime.OnnxNetwork`), either of them acting only
where the image is blurred (:class:`cyclesem.restore.selective.SelectiveRestorer`)
and a plain function (:class:`FunctionRestorer`, e.g. a classical method). The
file and batch functions of :mod:`cyclesem.restore.enhance` take any of them.
:func:`load_network` opens a run folder, a packaged model's name, an ONNX file
or a bioimage.io package.

Examples
--------
>>> from cyclesem.restore.enhancer import Enhancer, load_network
>>> network = load_network("sem-deblur")                    # doctest: +SKIP
>>> isinstance(network, Enhancer)                           # doctest: +SKIP
True
>>> sharp = network.enhance(image)                          # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.restore.tiling import TileSpec

__all__ = ["Enhancer", "FunctionRestorer", "Progress", "load_network"]

Progress = Callable[[int, int], object]
"""Called as ``progress(finished, total)`` as the tiles of one image finish."""


@runtime_checkable
class Enhancer(Protocol):
    """Anything that enhances a 2-D image and says in one line what it is.

    ``isinstance(obj, Enhancer)`` checks that both methods exist.
    """

    def enhance(self, image: np.ndarray, *, tile: TileSpec | None = None,
                progress: Progress | None = None) -> np.ndarray:
        """Enhance a 2-D float image in file units.

        Parameters
        ----------
        image : numpy.ndarray
            2-D image (as :attr:`cyclesem.io.SemImage.content`).
        tile : TileSpec, optional
            Tiling, for networks (functions see the whole image).
        progress : callable, optional
            ``progress(finished, total)`` as tiles finish.

        Returns
        -------
        numpy.ndarray
            float32, the shape and units of ``image``.
        """
        ...

    def describe(self) -> str:
        """One line for reports and logs: what enhances, and how."""
        ...


class FunctionRestorer:
    """A plain ``image -> restored`` function as an :class:`Enhancer`.

    The whole image goes to the function at once (``tile`` and ``progress`` are ignored).

    Parameters
    ----------
    name : str
        Named by :meth:`describe`.
    function : callable
        ``function(image) -> restored``, the same shape.
    details : str
        Its settings, for :meth:`describe`.
    """

    def __init__(self, name: str, function: Callable[[np.ndarray], np.ndarray], details: str = ""):
        self.name, self.function, self.details = name, function, details

    def enhance(self, image: np.ndarray, *, tile=None, progress=None) -> np.ndarray:
        """``function(image)`` as float32."""
        return np.asarray(self.function(np.asarray(image, np.float32)), np.float32)

    def describe(self) -> str:
        """Name and details, for reports."""
        return f"{self.name}: {self.details}" if self.details else self.name


def load_network(source: str | os.PathLike) -> Enhancer:
    """Open a run folder, an ONNX file or a bioimage.io package for enhancement.

    Parameters
    ----------
    source : str or os.PathLike
        A run folder (needs TensorFlow), a ``.onnx`` file or a package
        ``.zip`` (need onnxruntime only).

    Returns
    -------
    Enhancer
        A :class:`cyclesem.restore.runs.Run` or a
        :class:`cyclesem.restore.onnx_runtime.OnnxNetwork`.

    Raises
    ------
    CyclesemError
        If ``source`` is another kind of file, or does not load.
    """
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix in (".onnx", ".zip"):
        from cyclesem.restore.onnx_runtime import load_onnx, load_package

        return load_onnx(path) if suffix == ".onnx" else load_package(path)
    if path.is_file():
        raise CyclesemError("expected a run folder, an .onnx file or a bioimage.io package .zip", path)
    from cyclesem.restore.runs import load_run

    return load_run(path)
