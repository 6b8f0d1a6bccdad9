"""Opening SEM files in napari: the micrograph above the info bar, at its pixel size, with its metadata.

Each file becomes one image layer:

- a TIFF, PNG, JPEG or BMP (:func:`cyclesem.read_image`): the rows above the
  instrument's info bar, float32 in the library's units (integer files scaled
  by their dtype's maximum into [0, 1]);
- a multi-page TIFF stack: a 3-D layer ``(page, y, x)``, every page cut to the
  rows above the tallest info bar of the stack;
- a Zarr array or OME-Zarr image: its full-resolution array, read lazily.

The pixel size becomes the layer's ``scale`` in nanometres (``units`` nm);
a file without one keeps a scale of 1 px. The layer's ``metadata`` holds
every field of :class:`cyclesem.io.ImageInfo` (``pixel_size`` in metres, as
the library keeps it) and, under ``"cyclesem"``, the source file and its
layout, which the writer (:mod:`cyclesem.napari_plugin.writer`) uses to put
the info bar and tags back. A file that does not read gives a one-line error
notification and no layer.
"""

from __future__ import annotations

import os
from pathlib import Path

from cyclesem.napari_plugin import _library as library

__all__ = ["get_reader", "read_layers", "NM_PER_UNIT"]

SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".bmp")
NM_PER_METRE = 1e9
NM_PER_UNIT = {"nanometer": 1.0, "nm": 1.0, "micrometer": 1e3, "um": 1e3, "µm": 1e3, "millimeter": 1e6,
               "mm": 1e6, "meter": 1e9, "m": 1e9, "angstrom": 0.1}


def get_reader(path: str | list[str]):
    """The npe2 reader hook: :func:`read_layers` for one SEM file or Zarr store, else None."""
    if isinstance(path, list):
        return None if len(path) != 1 else get_reader(path[0])
    path = Path(path)
    if path.suffix.lower() in SUFFIXES and path.is_file():
        return read_layers
    return read_layers if library.is_zarr(path) else None


def read_layers(path: str | os.PathLike | list) -> list[tuple]:
    """Layer data tuples for ``path`` (napari's ``[(data, attributes, "image")]``).

    A file that does not read gives an error notification and napari's
    "no layers" answer ``[(None,)]`` instead of an exception.
    """
    path = Path(path[0] if isinstance(path, list) else path)
    try:
        return [_read(path)]
    except library.CyclesemError as exc:
        from napari.utils.notifications import show_error

        show_error(library.one_line(exc, path))
        return [(None,)]


def _read(path: Path) -> tuple:
    if library.is_zarr(path):
        return _zarr_layer(path)
    if library.is_stack(path):
        return _stack_layer(path)
    image = library.read_image(path)
    attributes = _attributes(path, image.info, "image")
    return image.content, attributes, "image"


def _stack_layer(path: Path) -> tuple:
    frames, infos = library.read_stack(path)
    rows = frames.shape[1] - max(info.info_bar_rows for info in infos)
    attributes = _attributes(path, infos[0], "stack")
    attributes["metadata"]["pages"] = [info.to_dict() for info in infos]
    attributes["scale"] = (1.0, *attributes["scale"])
    attributes["units"] = ("pixel", *attributes["units"])
    attributes["axis_labels"] = ("page", "y", "x")
    return frames[:, :rows], attributes, "image"


def _attributes(path: Path, info, layout: str) -> dict:
    """Name, nm scale and metadata of a layer read from ``path``."""
    size = info.pixel_size
    scale = (size * NM_PER_METRE,) * 2 if size else (1.0, 1.0)
    metadata = {**info.to_dict(), "cyclesem": {"source": str(path), "layout": layout}}
    return {"name": path.stem, "scale": scale, "units": ("nm", "nm") if size else ("pixel", "pixel"),
            "metadata": metadata}


def _zarr_layer(path: Path) -> tuple:
    image = library.open_zarr(path)
    sizes = image.pixel_sizes()
    scale = [size * NM_PER_UNIT.get(unit, 1.0) for size, unit in sizes]
    units = ["nm" if unit in NM_PER_UNIT else "pixel" for _, unit in sizes]
    metadata = {"axes": image.axes, "pixel_sizes": [list(item) for item in sizes], "attrs": image.attrs,
                "cyclesem": {"source": str(path), "layout": "zarr"}}
    attributes = {"name": path.stem, "scale": scale, "units": units, "axis_labels": image.axes, "metadata": metadata}
    return image.array, attributes, "image"
