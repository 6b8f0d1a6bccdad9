"""SEM images in memory and the image files cyclesem knows.

:class:`SemImage` (float32 pixels, an :class:`ImageInfo`, the info bar's raw
rows) is what :func:`cyclesem.io.read_image` returns and
:func:`cyclesem.io.write_image` takes as ``like``. :func:`list_images` expands
folders into image files.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from cyclesem.errors import CyclesemError

__all__ = ["ColourLayout", "FORMAT_DTYPES", "FORMAT_OF_SUFFIX", "IMAGE_SUFFIXES", "ImageInfo", "SemImage",
           "list_images"]

FORMAT_OF_SUFFIX = {".tif": "tiff", ".tiff": "tiff", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".bmp": "bmp"}
IMAGE_SUFFIXES = tuple(FORMAT_OF_SUFFIX)
# dtypes each format can hold; the first is the default for a new image
FORMAT_DTYPES = {
    "tiff": ("uint16", "uint8", "float32", "float64", "float16", "int8", "int16", "uint32", "int32"),
    "png": ("uint16", "uint8"),
    "jpeg": ("uint8",),
    "bmp": ("uint8",),
}


@dataclass(frozen=True)
class ImageInfo:
    """What an image file says about itself.

    Attributes
    ----------
    path : str
        The file read.
    format : str
        ``'tiff'``, ``'png'``, ``'jpeg'`` or ``'bmp'`` (from the content).
    dtype : str
        The stored sample type (``'uint8'``, ``'uint16'``, ``'float32'``...).
    bit_depth : int
        Bits per sample as stored (12 for a 12-bit TIFF held in uint16).
    value_range : tuple of float
        Minimum and maximum of the raw samples.
    shape : tuple of int
        (height, width) of the whole frame, info bar included.
    channels : int
        Channels in the file (3 for an RGB file that is really grey).
    pixel_size : float or None
        Metres per pixel, from vendor metadata.
    beam_voltage : float or None
        Accelerating voltage in volts.
    dwell_time : float or None
        Dwell time per pixel in seconds.
    working_distance : float or None
        Working distance in metres.
    vendor : str or None
        ``'fei'`` (FEI/Thermo) or ``'zeiss'`` when their metadata tag is present.
    info_bar_rows : int
        Rows at the bottom that form the instrument's info bar (0 if none).
    vendor_tags : tuple
        The vendor TIFF tags as ``(code, tiff_dtype, count, raw_bytes)``, so that
        TIFF output can carry them unchanged.
    """

    path: str
    format: str
    dtype: str
    bit_depth: int
    value_range: tuple[float, float]
    shape: tuple[int, int]
    channels: int = 1
    pixel_size: float | None = None
    beam_voltage: float | None = None
    dwell_time: float | None = None
    working_distance: float | None = None
    vendor: str | None = None
    info_bar_rows: int = 0
    vendor_tags: tuple[tuple[int, int, int, bytes], ...] = field(default=(), repr=False)
    tiff_layout: tuple[tuple[str, Any], ...] = field(default=(), repr=False)  # resolution, unit, subfile type

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (vendor tags by their codes only)."""
        out = dataclasses.asdict(self)
        out["value_range"] = list(self.value_range)
        out["shape"] = list(self.shape)
        out["vendor_tags"] = [tag[0] for tag in self.vendor_tags]
        out["tiff_layout"] = {key: value for key, value in self.tiff_layout}
        return out


@dataclass(frozen=True, eq=False)
class ColourLayout:
    """How a grey-looking RGB(A) file stores its grey, so it can be written back in colour.

    Instruments (FEI/Thermo) save grey micrographs as RGB with equal channels
    and draw overlays (frame lines, markers) in colour on top: the few
    coloured pixels are kept here, raw, and put back over the written grey.

    Attributes
    ----------
    channels : int
        3 (RGB) or 4 (RGBA).
    alpha : int or float or None
        The constant alpha sample of an RGBA file (None for RGB).
    index : ndarray of int64, shape (n,)
        Flat indices (row-major over the whole frame) of the coloured pixels.
    values : ndarray, shape (n, 3)
        Their RGB samples, in the file's dtype.
    """

    channels: int
    alpha: int | float | None
    index: np.ndarray
    values: np.ndarray


@dataclass(frozen=True, eq=False)
class SemImage:
    """An SEM image in memory.

    Attributes
    ----------
    pixels : ndarray of float32, shape (H, W)
        The whole frame. Integer files are scaled by their dtype's maximum
        (uint8 / 255, uint16 / 65535); float files keep their values.
    info : ImageInfo
        What the file says about itself, ``info.info_bar_rows`` included.
    info_bar_raw : ndarray, shape (info_bar_rows, W)
        The info bar's rows in the file's own dtype, written back unchanged.
    colour : ColourLayout or None
        For a grey-looking RGB(A) file: its channels and coloured overlay
        pixels, so the output is RGB(A) again with the overlay kept.
    """

    pixels: np.ndarray
    info: ImageInfo
    info_bar_raw: np.ndarray
    colour: ColourLayout | None = None

    @property
    def content(self) -> np.ndarray:
        """The micrograph: the rows above the info bar (a view of ``pixels``)."""
        return self.pixels[: self.pixels.shape[0] - self.info.info_bar_rows]

    @property
    def info_bar(self) -> np.ndarray:
        """The info bar's rows as float32 (empty when there is no bar)."""
        return self.pixels[self.pixels.shape[0] - self.info.info_bar_rows :]



def list_images(inputs: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files and folders into image files.

    Parameters
    ----------
    inputs : str, os.PathLike, or iterable of them
        Files (kept whatever their extension) and folders (expanded to their
        image files: .tif .tiff .png .jpg .jpeg .bmp, any case, sorted by name;
        hidden files skipped; not recursive).

    Returns
    -------
    list of Path
        Each file once, in the order given.

    Raises
    ------
    CyclesemError
        If an input does not exist or a folder holds no image files.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if _is_image_name(p) and p.is_file())
            if not files:
                raise CyclesemError(f"folder holds no image files ({' '.join(IMAGE_SUFFIXES)})", path)
            found.extend(files)
        elif path.exists():
            found.append(path)
        else:
            raise CyclesemError("file not found", path)
    return list(dict.fromkeys(found))


def _is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")
