"""The Defocus map widget: where an image layer is out of focus, as ``cyclesem focus`` measures it.

The map is the local blur width in pixels (the standard deviation of a
Gaussian probe) on a grid of cells, smoothed and drawn at the image's size
(:func:`cyclesem.napari_plugin._library.defocus_map`); it is added as a layer
over its image, with the same scale, in the ``magma`` colormap from 0 to
twice the sharp limit (2.5 px, above which ``cyclesem focus`` counts an area
as blurred), blended additively so the image shows through. The verdict and
the median width are shown below the button and kept in the map layer's
metadata. A stack gets one map per page. It runs in a worker thread.
"""

from __future__ import annotations

import napari
import numpy as np
from magicgui.widgets import SpinBox

from cyclesem.napari_plugin import _layers
from cyclesem.napari_plugin import _library as library
from cyclesem.napari_plugin._widget import LayerWidget

__all__ = ["DefocusWidget"]


class DefocusWidget(LayerWidget):
    """Dock widget: add the defocus map of an image layer.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        The viewer whose image layers it lists and where maps are added.
    """

    def __init__(self, viewer: napari.viewer.Viewer):
        self.cell = SpinBox(label="cell (px, 0: auto)", value=0, min=0, max=512, step=8)
        super().__init__(viewer, "Map defocus", [self.cell])

    def start(self) -> None:
        """Measure the chosen layer in a worker thread (the button's action)."""
        layer = self.layer.value
        try:
            if layer is None:
                raise library.CyclesemError("no image layer to map: open an image first")
            frames = _layers.frames_of(layer)
        except library.CyclesemError as exc:
            self.fail(exc.one_line())
            return
        cell = self.cell.value or None
        if cell is not None and cell < 16:
            self.fail(f"cell must be 0 (auto) or at least 16 px, got {cell}")
            return
        self.run(lambda: [library.defocus_map(frame, cell) for frame in frames],
                 lambda maps: self._add(layer, maps), f"mapping {layer.name} ...")

    def _add(self, layer, maps: list) -> None:
        widths = np.stack([found.full() for found in maps])
        summaries = [found.summary() for found in maps]
        note = {"layout": "map", "defocus": summaries[0] if len(maps) == 1 else summaries}
        attributes = _layers.result_attributes(layer, f"{layer.name} defocus (px)", note)
        self.viewer.add_image(widths[0] if np.ndim(layer.data) == 2 else widths, colormap="magma",
                              contrast_limits=(0.0, 2 * library.SHARP_WIDTH), blending="additive",
                              opacity=0.6, **attributes)
        first = summaries[0]
        self.status.value = f"{first['verdict']}: median blur {first['median_px']:.2f} px" + (
            f" (page 1 of {len(maps)})" if len(maps) > 1 else "")
