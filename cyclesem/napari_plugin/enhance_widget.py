"""The Enhance widget: restore an image layer as ``cyclesem enhance`` does, without blocking the viewer.

Choose the layer (the selected image layer by default) and what restores it:
a packaged model (``sem-deblur``, ``sem-denoise``), a classical method that
needs no PSF (``blind``, ``unsharp``), a run folder of ``cyclesem train``, or
an ONNX file / bioimage.io package zip of ``cyclesem export``. The network is
loaded and run in a worker thread, tile by tile (``--tile``'s default, 512 px)
with a progress bar over the tiles; the result is added as a new layer with the
source layer's scale and metadata, so saving it writes what ``cyclesem enhance``
writes. The restorer is loaded as the CLI loads it
(:func:`cyclesem.napari_plugin._library.load_enhancer`) and runs with the
model's own settings (its support limit and any post-processing its run
config holds); the last one loaded is kept for the next run. A 3-D layer (a
stack) is enhanced page by page. Problems show as one-line error notifications.
"""

from __future__ import annotations

from pathlib import Path

import napari
import numpy as np
from magicgui.widgets import ComboBox, FileEdit, ProgressBar, SpinBox

from cyclesem.napari_plugin import _background, _layers
from cyclesem.napari_plugin import _library as library
from cyclesem.napari_plugin._widget import LayerWidget

__all__ = ["EnhanceWidget", "RUN_FOLDER", "NETWORK_FILE"]

RUN_FOLDER = "run folder ..."
NETWORK_FILE = "ONNX file or package zip ..."


class EnhanceWidget(LayerWidget):
    """Dock widget: enhance an image layer with a model, run folder, ONNX / zip file or classical method.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        The viewer whose image layers it lists and where results are added.
    """

    def __init__(self, viewer: napari.viewer.Viewer):
        self.method = ComboBox(label="restore with", choices=[*library.enhancer_names(), RUN_FOLDER, NETWORK_FILE])
        self.path = FileEdit(label="path", mode="d", visible=False)
        self.tile = SpinBox(label="tile (px)", value=library.DEFAULT_TILE, min=64, max=8192, step=16)
        self.progress = ProgressBar(label="tiles", value=0, max=1)
        super().__init__(viewer, "Enhance", [self.method, self.path, self.tile], below=(self.progress,))
        self.method.changed.connect(self._show_path)
        self.relay = _background.ProgressRelay()
        self.relay.advanced.connect(self._advance)
        self._loaded: tuple[str, object] | None = None

    def _show_path(self, choice: str) -> None:
        self.path.visible = choice in (RUN_FOLDER, NETWORK_FILE)
        self.path.mode = "d" if choice == RUN_FOLDER else "r"
        self.path.filter = "*.onnx *.zip" if choice == NETWORK_FILE else None

    def source(self) -> str:
        """What :func:`~cyclesem.napari_plugin._library.load_enhancer` loads: a name or a path."""
        choice = self.method.value
        if choice not in (RUN_FOLDER, NETWORK_FILE):
            return choice
        path = Path(self.path.value)
        if str(self.path.value) in ("", ".") or not path.exists():
            raise library.CyclesemError(f"choose an existing {'folder' if choice == RUN_FOLDER else 'file'}",
                                        None if str(path) in ("", ".") else path)
        return str(path)

    def start(self) -> None:
        """Enhance the chosen layer in a worker thread (the button's action)."""
        layer = self.layer.value
        try:
            if layer is None:
                raise library.CyclesemError("no image layer to enhance: open an image first")
            source, frames, tile = self.source(), _layers.frames_of(layer), library.tile_spec(self.tile.value)
        except library.CyclesemError as exc:
            self.fail(exc.one_line())
            return
        cached = self._loaded[1] if self._loaded and self._loaded[0] == source else None
        self.progress.value = 0
        self.run(lambda: _enhance(source, cached, frames, tile, self.relay),
                 lambda result: self._add(layer, source, result), f"enhancing {layer.name} ...")

    def _advance(self, finished: int, total: int) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = min(self.progress.value + finished, self.progress.max)

    def _add(self, layer, source: str, result: tuple) -> None:
        enhanced, enhancer = result
        self._loaded = (source, enhancer)
        self.progress.value = self.progress.max
        described = enhancer.describe()
        data = enhanced[0] if np.ndim(layer.data) == 2 else enhanced
        name = f"{layer.name} [{Path(source).name}]"
        self.viewer.add_image(data, **_layers.result_attributes(layer, name, {"enhanced_with": described}))
        self.status.value = f"done: {described}"
        self.status.tooltip = described


def _enhance(source: str, cached, frames: np.ndarray, tile, progress) -> tuple[np.ndarray, object]:
    """Worker side: load (unless ``cached``) and enhance every frame; ``(frames out, enhancer)``."""
    enhancer = cached if cached is not None else library.load_enhancer(source)
    count = len(frames)
    per_page = lambda finished, total: progress(finished, total * count)  # noqa: E731
    enhanced = np.stack([enhancer.enhance(frame, tile=tile, progress=per_page) for frame in frames])
    return enhanced.astype(np.float32, copy=False), enhancer

