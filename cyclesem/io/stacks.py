"""Multi-page TIFF stacks (FIB-SEM and serial-section series) read and written page by page.

:func:`cyclesem.io.read_image` reads single images; a stack of several
full-resolution pages is handled here, one page in memory at a time. Every
page is a grey 2-D image with its own info bar (found on that page) and its
own tags. :func:`rewrite_stack` writes transformed pages in the input's byte
order and sample type, each with its own descriptive tags copied byte for
byte (description, vendor metadata, resolution, software, date and any
other tag that does not describe the pixel layout), atomically
(:func:`cyclesem.io.outputs.write_atomic`). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.io.image import FORMAT_OF_SUFFIX, ImageInfo
from cyclesem.io.infobar import find_info_bar
from cyclesem.io.outputs import write_atomic
from cyclesem.io.vendor import VENDOR_OF_TAG, vendor_metadata
from cyclesem.io.zarr_store import to_unit

__all__ = ["is_stack", "rewrite_stack", "stack_info"]

# tags that describe the stored pixels (written anew) or that the writer sets from arguments
_LAYOUT_TAGS = {254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280, 281, 284, 317, 320, 322,
                323, 324, 325, 330, 338, 339, 340, 341, 347, 530, 531, 532}
_WRITER_TAGS = {270, 282, 283, 296, 305, 306}


def _pages(tif) -> list:
    return [page for page in tif.pages if not getattr(page, "is_reduced", False)]


def is_stack(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a TIFF of more than one full-resolution page (False for anything else)."""
    import tifffile

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            if fh.read(4) not in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
                return False
        with tifffile.TiffFile(path) as tif:
            return len(_pages(tif)) > 1
    except Exception:  # noqa: BLE001 - not a readable TIFF: read_image will say why
        return False


def _page_pixels(page, path: Path, index: int) -> np.ndarray:
    raw = page.asarray()
    if raw.ndim != 2 or raw.dtype.kind not in "uif":
        raise CyclesemError(f"page {index} is not a grey 2-D image ({raw.dtype} {raw.shape})", path)
    return raw


def _raw_tags(tif, page) -> list[tuple]:
    """The page's descriptive tags as tifffile ``extratags``, values copied byte for byte."""
    tags = []
    for tag in page.tags.values():
        if tag.code in _LAYOUT_TAGS or tag.code in _WRITER_TAGS:
            continue
        tif.filehandle.seek(tag.valueoffset)
        tags.append((tag.code, int(tag.dtype), tag.count, tif.filehandle.read(tag.valuebytecount), True))
    return tags


def _writer_options(page) -> dict:
    tags = page.tags
    value = lambda code: tags[code].value if code in tags else None  # noqa: E731
    options = {"software": value(305) or False, "description": value(270), "datetime": value(306)}
    if 282 in tags and 283 in tags:
        options["resolution"] = (value(282), value(283))
        options["resolutionunit"] = value(296) if 296 in tags else 1
    return options


def rewrite_stack(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    transform: Callable[[np.ndarray], np.ndarray],
) -> Path:
    """Write ``transform(page)`` for every page of a TIFF stack to ``output_path``, atomically.

    Parameters
    ----------
    input_path, output_path : str or os.PathLike
        The stack, and where its transformed copy goes (a TIFF name).
    transform : callable
        A page's raw samples (2-D, stored dtype) to the new samples, same
        shape and dtype.

    Raises
    ------
    CyclesemError
        If a page is not a grey 2-D image, the file cannot be read, or the
        output is not named as a TIFF.
    """
    import tifffile

    input_path, output_path = Path(input_path), Path(output_path)
    if FORMAT_OF_SUFFIX.get(output_path.suffix.lower()) != "tiff":
        raise CyclesemError("a TIFF stack is written as TIFF; give a .tif output", output_path)
    with tifffile.TiffFile(input_path) as tif:
        pages = _pages(tif)

        def write(temporary: Path) -> None:
            with tifffile.TiffWriter(temporary, byteorder=tif.byteorder, bigtiff=tif.is_bigtiff) as writer:
                for index, page in enumerate(pages):
                    frame = transform(_page_pixels(page, input_path, index))
                    writer.write(frame, photometric="minisblack", metadata=None,
                                 extratags=_raw_tags(tif, page), **_writer_options(page))

        write_atomic(output_path, write)
    return output_path


def stack_info(path: str | os.PathLike) -> list[ImageInfo]:
    """One :class:`cyclesem.io.ImageInfo` per page (path ``FILE [page K]``), a page in memory at a time.

    Physical fields (pixel size, beam voltage...) come from the vendor tags
    of the first page, which tifffile parses; each page's own vendor tags are
    listed.
    """
    import tifffile

    path = Path(path)
    with tifffile.TiffFile(path) as tif:
        first = vendor_metadata(tif, _FileBytes(tif.filehandle))
        physical = {k: first[k] for k in ("pixel_size", "beam_voltage", "dwell_time", "working_distance") if k in first}
        infos = []
        for index, page in enumerate(_pages(tif)):
            raw = _page_pixels(page, path, index)
            tags = tuple(t[:4] for t in _raw_tags(tif, page) if t[0] in VENDOR_OF_TAG)
            infos.append(ImageInfo(
                path=f"{path} [page {index}]", format="tiff", dtype=str(raw.dtype),
                bit_depth=int(page.bitspersample), value_range=(float(raw.min()), float(raw.max())),
                shape=tuple(int(n) for n in raw.shape), info_bar_rows=find_info_bar(to_unit(raw)),
                vendor=VENDOR_OF_TAG[tags[0][0]] if tags else None, vendor_tags=tags, **physical,
            ))
    return infos


class _FileBytes:
    """``data[start:stop]`` read from an open file, for :func:`vendor_metadata` without the whole file."""

    def __init__(self, handle):
        self.handle = handle

    def __getitem__(self, span: slice) -> bytes:
        self.handle.seek(span.start)
        return self.handle.read(span.stop - span.start)
