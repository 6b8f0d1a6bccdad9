"""Enhancement with onnxruntime: no TensorFlow, no Keras.

:func:`load_onnx` opens an ONNX file written by ``cyclesem export``,
:func:`load_package` a bioimage.io package zip holding one; the
:class:`OnnxNetwork` they return is an :class:`~cyclesem.restore.enhancer.Enhancer`
like a run: the same tiling, normalisation and bounded memory
(:func:`cyclesem.restore.runs.enhance_tiled`). onnxruntime's CUDA provider is used
when it is available, the CPU otherwise. :func:`cyclesem.restore.enhancer.load_network`
opens any of these or a run folder.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.restore.network_info import NetworkInfo
from cyclesem.restore.runs import after_network_description, enhance_tiled
from cyclesem.restore.tiling import TileSpec

__all__ = ["OnnxNetwork", "load_onnx", "load_package", "providers"]

_HINT = "onnxruntime is not installed: pip install 'cyclesem[onnx]' (or 'cyclesem[onnx-gpu]')"
_PREFERRED = ("CUDAExecutionProvider", "CPUExecutionProvider")


@dataclass(frozen=True)
class OnnxNetwork:
    """An exported enhancement network run by onnxruntime.

    Build with :func:`load_onnx`, :func:`load_package` or :func:`cyclesem.restore.enhancer.load_network`.

    Attributes
    ----------
    path : pathlib.Path
        The ONNX file or package it came from.
    info : NetworkInfo
        Kind, normalisation and origin, from the file's metadata.
    session : onnxruntime.InferenceSession
        The session running the graph.
    """

    path: Path
    info: NetworkInfo
    session: Any = field(repr=False)

    @property
    def name(self) -> str:
        """The exported network's name (its run's or pretrained model's)."""
        return self.info.name

    @property
    def kind(self) -> str:
        """``"cyclegan"``, ``"midnet"`` or ``"nafnet"``."""
        return self.info.kind

    @property
    def provider(self) -> str:
        """The onnxruntime execution provider in use (CUDA or CPU)."""
        return self.session.get_providers()[0]

    def forward(self, tiles: np.ndarray) -> np.ndarray:
        """float32 ``(n, h, w)`` normalised tiles through the network."""
        feed = {self.session.get_inputs()[0].name: np.ascontiguousarray(tiles[..., np.newaxis], np.float32)}
        return np.asarray(self.session.run(None, feed)[0], np.float32)[..., 0]

    def enhance(
        self,
        image: np.ndarray,
        *,
        tile: TileSpec | None = None,
        progress: Callable[[int, int], object] | None = None,
        params=None,
    ) -> np.ndarray:
        """Enhance a 2-D image exactly as :meth:`cyclesem.restore.runs.Run.enhance` does."""
        return enhance_tiled(image, self.info.normalizer, self.forward, tile=tile, progress=progress, params=params,
                             limit_to_support=self.limit_to_support, keep_grey_levels=self.keep_grey_levels)

    @property
    def limit_to_support(self) -> bool:
        """Whether outputs are filtered to the detail their input supports (from the file's metadata)."""
        return self.info.limit_to_support

    def with_support_limit(self, limit: bool) -> OnnxNetwork:
        """This network with :attr:`limit_to_support` set to ``limit``."""
        return replace(self, info=replace(self.info, limit_to_support=bool(limit)))

    @property
    def keep_grey_levels(self) -> bool:
        """Whether outputs get their input's grey levels (from the file's metadata)."""
        return self.info.keep_grey_levels

    def with_grey_levels(self, keep: bool) -> OnnxNetwork:
        """This network with :attr:`keep_grey_levels` set to ``keep``."""
        return replace(self, info=replace(self.info, keep_grey_levels=bool(keep)))

    @property
    def normalizer(self):
        """The normalisation the network was trained with (as :attr:`Run.normalizer`)."""
        return self.info.normalizer

    def describe(self) -> str:
        """One line for reports: file, kind, origin and runtime."""
        origin = f" ({self.info.source})" if self.info.source else ""
        after = after_network_description(self.limit_to_support, self.keep_grey_levels)
        return f"{self.path.name}: {self.kind} network {self.name}{origin}, onnxruntime {self.provider}{after}"


def providers() -> list[str]:
    """onnxruntime execution providers cyclesem uses here, best first (CUDA when present)."""
    ort = _require_onnxruntime()
    available = set(ort.get_available_providers())
    return [name for name in _PREFERRED if name in available] or ["CPUExecutionProvider"]


def load_onnx(path: str | os.PathLike) -> OnnxNetwork:
    """Open an ONNX file written by ``cyclesem export --format onnx``.

    Raises
    ------
    CyclesemError
        If the file is missing or not ONNX, lacks cyclesem's metadata, or
        onnxruntime is not installed.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CyclesemError(f"cannot read ({exc.strerror or exc})", path) from None
    return _network(data, path)


def load_package(path: str | os.PathLike) -> OnnxNetwork:
    """Open the ONNX weights of a bioimage.io package zip written by ``cyclesem export``."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = [name for name in archive.namelist() if name.endswith(".onnx")]
            if "rdf.yaml" not in archive.namelist() or len(names) != 1:
                raise CyclesemError("not a bioimage.io package with one ONNX weights file", path)
            data = archive.read(names[0])
    except (OSError, zipfile.BadZipFile) as exc:
        raise CyclesemError(f"cannot read the package ({exc})", path) from None
    return _network(data, path)


def _network(data: bytes, path: Path) -> OnnxNetwork:
    ort = _require_onnxruntime()
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    # idle worker threads sleep instead of spinning: spinning threads slow down a busy (shared) CPU
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    try:
        session = ort.InferenceSession(data, sess_options=options, providers=providers())
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise CyclesemError(f"not a loadable ONNX model ({' '.join(str(exc).split())[:200]})", path) from None
    info = NetworkInfo.from_metadata(session.get_modelmeta().custom_metadata_map, path)
    return OnnxNetwork(path, info, session)


def _require_onnxruntime():
    try:
        import onnxruntime
    except ImportError:
        raise CyclesemError(_HINT) from None
    return onnxruntime
