"""Image layers as the library's frames, and results back as layers beside their source.

The widgets work on float32 frames ``(pages, H, W)`` in the library's units
(integer data scaled by its dtype's maximum, as :func:`cyclesem.read_image`
does), and add each result with the source layer's scale, units, position and
metadata, so a result saves like its source (:mod:`cyclesem.napari_plugin.writer`).
"""

from __future__ import annotations

import numpy as np

from cyclesem.napari_plugin import _library as library

__all__ = ["frames_of", "image_layers", "layer_box", "result_attributes"]


def image_layers(viewer) -> list:
    """The viewer's image layers (the choices of a widget's layer box)."""
    from napari.layers import Image

    return [layer for layer in viewer.layers if isinstance(layer, Image)]


def layer_box(viewer):
    """A box of the viewer's image layers that follows them, and the selected one (the widgets' first row)."""
    from magicgui.widgets import ComboBox

    box = ComboBox(label="image", choices=lambda _box: [(layer.name, layer) for layer in image_layers(viewer)])
    for event in (viewer.layers.events.inserted, viewer.layers.events.removed, viewer.layers.events.reordered):
        event.connect(lambda _event: box.reset_choices())

    def select_active(_event=None) -> None:
        active = viewer.layers.selection.active
        if any(choice is active for choice in box.choices):
            box.value = active

    viewer.layers.selection.events.active.connect(select_active)
    select_active()
    return box


def frames_of(layer) -> np.ndarray:
    """float32 ``(pages, H, W)`` of a grey 2-D or 3-D image layer.

    Raises
    ------
    CyclesemError
        For an RGB layer, a multiscale one, or one of more than 3 axes.
    """
    if layer.rgb:
        raise library.CyclesemError(f"layer {layer.name!r} is RGB; cyclesem restores grey images")
    if layer.multiscale:
        raise library.CyclesemError(f"layer {layer.name!r} is multiscale; enhance the file with cyclesem enhance")
    data = np.asarray(layer.data)
    if data.ndim not in (2, 3) or min(data.shape[-2:]) < 1:
        raise library.CyclesemError(f"layer {layer.name!r} has shape {data.shape}; expected 2-D or a 3-D stack")
    frames = library.to_unit(data)
    return frames[np.newaxis] if frames.ndim == 2 else frames


def result_attributes(layer, name: str, note: dict) -> dict:
    """``add_image`` keywords for a result of ``layer``: its scale, units, position and metadata, plus ``note``."""
    metadata = dict(layer.metadata)
    metadata["cyclesem"] = {**(metadata.get("cyclesem") or {}), **note}
    return {"name": name, "scale": layer.scale, "translate": layer.translate, "units": layer.units,
            "axis_labels": layer.axis_labels, "metadata": metadata}
