"""Saving an image layer as an SEM file, with the info bar and metadata of the file it came from.

A layer read by this plugin (or enhanced from one) remembers its source file
in ``metadata["cyclesem"]``. Saving it then writes what ``cyclesem enhance``
writes: the layer's pixels above the source's info bar, put back unchanged,
in the source's dtype and with its vendor tags (:func:`cyclesem.write_image`
with ``like=``); a stack is rewritten page by page, every page keeping its
own tags (:func:`cyclesem.io.stacks.rewrite_stack`). Any other 2-D layer is
written as a new image (16-bit TIFF or PNG), a defocus map as a float32 TIFF of
its widths in pixels. Values are in the library's
units (1.0 is the file dtype's maximum); only the conversion to integers
clips. Files are written atomically and replaced when they exist (napari's
save dialog asks first). A problem gives a one-line error notification.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cyclesem.napari_plugin import _library as library

__all__ = ["write_image_layer"]


def write_image_layer(path: str, data, attributes: dict) -> list[str]:
    """The npe2 writer hook for one image layer; the paths written (none after a problem).

    Parameters
    ----------
    path : str
        Where to write (``.tif``, ``.tiff`` or ``.png``).
    data : array_like
        The layer's data: 2-D, or 3-D for a layer read from a stack.
    attributes : dict
        The layer's attributes; ``attributes["metadata"]["cyclesem"]["source"]``
        names the file whose info bar and tags are put back.
    """
    try:
        return [str(_write(Path(path), data, attributes.get("metadata") or {}))]
    except library.CyclesemError as exc:
        from napari.utils.notifications import show_error

        show_error(library.one_line(exc, path))
        return []


def _write(path: Path, data, metadata: dict) -> Path:
    origin = metadata.get("cyclesem") or {}
    source, layout = origin.get("source"), origin.get("layout")
    pixels = np.asarray(data, np.float32)
    if layout == "stack" and source:
        return _write_stack(path, pixels, Path(source))
    if pixels.ndim != 2:
        raise library.CyclesemError(f"expected a 2-D image layer, got shape {pixels.shape}")
    if layout == "map":
        return library.write_image(path, pixels, dtype="float32", overwrite=True)
    like = library.read_image(source) if layout == "image" and source else None
    if like is not None and like.content.shape != pixels.shape:
        raise library.CyclesemError(f"the layer is {_size(pixels.shape)} but the image of its source {source} "
                                    f"is {_size(like.content.shape)}: its info bar does not fit a cropped or resized layer")
    return library.write_image(path, pixels, like=like, overwrite=True)


def _write_stack(path: Path, pages: np.ndarray, source: Path) -> Path:
    """Every page of ``source`` with its rows above the bars replaced by the layer's page."""
    count = iter(range(len(pages)))

    def replace(raw: np.ndarray) -> np.ndarray:
        index = next(count, None)
        if index is None or raw.shape[1] != pages.shape[2]:
            raise library.CyclesemError(f"the layer ({pages.shape[0]} pages of {_size(pages.shape[1:])}) "
                                        f"does not match the stack it came from", source)
        frame = raw.copy()
        frame[: pages.shape[1]] = library.from_unit(pages[index], raw.dtype)
        return frame

    if pages.ndim != 3:
        raise library.CyclesemError(f"expected the 3-D layer of a stack, got shape {pages.shape}")
    written = library.rewrite_stack(source, path, replace)
    if next(count, None) is not None:
        os.remove(written)
        raise library.CyclesemError(f"the layer has {pages.shape[0]} pages, more than the stack it came from",
                                    source)
    return written


def _size(shape) -> str:
    return " x ".join(str(n) for n in shape[::-1]) + " px"
