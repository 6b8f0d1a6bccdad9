"""Reading SEM image files.

:func:`read_image` decodes TIFF (tifffile), PNG, JPEG and BMP (OpenCV) by their
content, never by their extension, into a :class:`SemImage`: float32 pixels, an
:class:`ImageInfo` with what the file says about itself (format, dtype, bit
depth, vendor metadata) and the instrument's info bar, found by
:func:`cyclesem.io.infobar.find_info_bar`.

Every problem with a file is a :class:`~cyclesem.errors.CyclesemError` naming
the file and the problem in one line.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.io.image import ColourLayout, ImageInfo, SemImage
from cyclesem.io.infobar import find_info_bar
from cyclesem.io.vendor import vendor_metadata

__all__ = ["read_image"]

MAGIC = (
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),
    (b"MM\x00+", "tiff"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"BM", "bmp"),
)
MAX_PIXELS_VARIABLE = "CV_IO_MAX_IMAGE_PIXELS"  # OpenCV's limit on decoded pixels (default 2**30)
GREY_TOLERANCE = 0.02  # channels closer than this (share of the range) are grey
COLOUR_SHARE = 0.02  # share of coloured pixels (overlays) a grey image may hold
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, for overlay pixels


def read_image(path: str | os.PathLike) -> SemImage:
    """Read an SEM image file (TIFF, PNG, JPEG or BMP, recognised by content).

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    SemImage
        float32 pixels, file information, vendor metadata and the info bar.

    Raises
    ------
    CyclesemError
        If the file is missing, a folder, empty, truncated, damaged, of an
        unsupported type, in real colour, or a multi-page stack.
    """
    path = Path(path)
    data = _read_bytes(path)
    kind = _sniff_format(data, path)
    if kind == "tiff":
        raw, meta = _decode_tiff(data, path)
    else:
        raw, meta = _decode_opencv(data, kind, path), {}
    del data  # the encoded bytes are not needed past decoding (bounded memory for huge files)
    if raw.dtype.kind not in "uifb":
        raise CyclesemError(f"unsupported sample type {raw.dtype}", path)
    grey, channels = _to_grey(raw, path)
    colour = _colour_layout(raw) if channels in (3, 4) else None
    del raw
    pixels = _to_float(grey)
    rows = find_info_bar(pixels, hint_rows=meta.pop("info_bar_hint", None))
    info = ImageInfo(
        path=str(path),
        format=kind,
        dtype=str(grey.dtype),
        bit_depth=int(meta.pop("bit_depth", grey.dtype.itemsize * 8)),
        value_range=_value_range(grey),
        shape=tuple(int(n) for n in grey.shape),
        channels=channels,
        info_bar_rows=rows,
        **meta,
    )
    bar_raw = grey[grey.shape[0] - rows :].copy()
    return SemImage(pixels=pixels, info=info, info_bar_raw=bar_raw, colour=colour)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise CyclesemError("file not found", path)
    if path.is_dir():
        raise CyclesemError("is a folder, not an image file", path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CyclesemError(f"cannot read file ({exc.strerror or exc})", path) from None
    if not data:
        raise CyclesemError("empty file (0 bytes)", path)
    return data


def _sniff_format(data: bytes, path: Path) -> str:
    """The image format from the file's first bytes (magic numbers)."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    raise CyclesemError("not a supported image: the content is not TIFF, PNG, JPEG or BMP", path)


def _decode_tiff(data: bytes, path: Path) -> tuple[np.ndarray, dict[str, Any]]:
    """Decode a single-page TIFF; return samples and metadata fields."""
    import tifffile

    try:
        with tifffile.TiffFile(io.BytesIO(data)) as tif:
            pages = [p for p in tif.pages if not getattr(p, "is_reduced", False)]
            if len(pages) > 1:
                raise CyclesemError(f"multi-page TIFF ({len(pages)} images); a stack is read page by page "
                                    "(cyclesem.io.stacks)", path)
            page = tif.pages.first
            if page.photometric == tifffile.PHOTOMETRIC.PALETTE:
                raise CyclesemError("palette (indexed colour) TIFF is not supported", path)
            raw = _tiff_samples(page)
            meta = vendor_metadata(tif, data)
            meta["bit_depth"] = page.bitspersample
            meta["tiff_layout"] = _tiff_layout(page)
    except CyclesemError:
        raise
    except Exception as exc:  # noqa: BLE001 - tifffile raises many kinds on damaged files
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        raise CyclesemError(f"cannot decode TIFF (truncated or damaged: {detail})", path) from None
    if raw is None:  # a compression tifffile needs imagecodecs for (LZW...): OpenCV's libtiff
        raw = _decode_opencv(data, "tiff", path)
    if raw.ndim not in (2, 3):
        raise CyclesemError(f"TIFF holds a {raw.ndim}-D array; only single 2-D images are supported", path)
    return raw, meta


def _tiff_layout(page) -> tuple[tuple[str, Any], ...]:
    """Resolution (rationals), its unit, the subfile type, compression and predictor, to write them back."""
    tags = page.tags
    layout = []
    if 282 in tags and 283 in tags:
        layout.append(("resolution", (tuple(tags[282].value), tuple(tags[283].value))))
    if 296 in tags:
        layout.append(("resolutionunit", int(tags[296].value)))
    if 254 in tags:
        layout.append(("subfiletype", int(tags[254].value)))
    if int(page.compression) != 1:  # LZW, Deflate...: written back the same way (needs imagecodecs)
        layout.append(("compression", int(page.compression)))
        if int(page.predictor) != 1:
            layout.append(("predictor", int(page.predictor)))
    return tuple(layout)


def _tiff_samples(page) -> np.ndarray | None:
    """The page's samples, channels last; None when tifffile lacks the codec."""
    try:
        samples = page.asarray()
    except (KeyError, ValueError) as exc:
        if "imagecodecs" in str(exc):
            return None
        raise
    return np.moveaxis(samples, page.axes.index("S"), -1) if "S" in page.axes else samples


def _decode_opencv(data: bytes, kind: str, path: Path) -> np.ndarray:
    """Decode PNG, JPEG, BMP (or TIFF) bytes with OpenCV; colour comes back as RGB(A)."""
    import cv2

    if not _looks_complete(data, kind):
        raise CyclesemError(f"truncated {kind.upper()} file (its end is missing)", path)
    try:
        with _opencv_silenced(cv2):
            raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except (cv2.error, MemoryError) as exc:
        raise CyclesemError(_decode_failure(kind, exc), path) from None
    if raw is None:
        raise CyclesemError(f"cannot decode {kind.upper()} (damaged or unsupported variant)", path)
    if raw.ndim == 3 and raw.shape[2] in (3, 4):
        raw = raw[..., [2, 1, 0, 3][: raw.shape[2]]]  # BGR(A) -> RGB(A)
    return raw


def _decode_failure(kind: str, exc: BaseException) -> str:
    """One line for an OpenCV failure: an image above its pixel limit says how to raise it."""
    if isinstance(exc, MemoryError) or "CV_IO_MAX_IMAGE_PIXELS" in str(exc):
        return (f"image too large to decode ({kind.upper()} header claims more pixels than allowed; "
                f"set the environment variable {MAX_PIXELS_VARIABLE} to a larger number of pixels to raise the limit)")
    detail = " ".join(str(exc).split())[-120:]
    return f"cannot decode {kind.upper()} (damaged or unsupported variant: {detail})"


def _looks_complete(data: bytes, kind: str) -> bool:
    """Whether the file's end marker is present (OpenCV may decode partial data)."""
    if kind == "png":
        return b"IEND" in data[-64:]
    if kind == "jpeg":
        return b"\xff\xd9" in data.rstrip(b"\x00")[-64:]
    if kind == "bmp" and len(data) >= 14:
        declared = int.from_bytes(data[2:6], "little")
        return declared == 0 or len(data) >= declared
    return True


@contextlib.contextmanager
def _opencv_silenced(cv2):
    """Keep OpenCV's own warnings off stderr while decoding one file."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _to_grey(raw: np.ndarray, path: Path) -> tuple[np.ndarray, int]:
    """Reduce grey-looking RGB(A) or grey+alpha to one channel; refuse real colour."""
    if raw.ndim == 2:
        return raw, 1
    channels = raw.shape[2]
    if channels == 1:
        return raw[..., 0], 1
    if channels not in (2, 3, 4):
        raise CyclesemError(f"{channels} channels per pixel; expected a grey image", path)
    colour = raw[..., :1] if channels == 2 else raw[..., :3]
    alpha = raw[..., -1] if channels in (2, 4) else None
    if alpha is not None and alpha.min() != alpha.max():
        raise CyclesemError("the image has varying transparency (alpha); expected a grey image", path)
    if colour.shape[2] == 1:
        return colour[..., 0], channels
    coloured = _coloured(colour)
    if coloured.mean() > COLOUR_SHARE:
        raise CyclesemError(
            f"real colour image ({coloured.mean():.0%} of pixels are coloured); SEM images are grey", path
        )
    grey = colour.astype(np.float64) @ LUMA
    if colour.dtype.kind in "ui":
        grey = np.round(grey)
    return grey.astype(colour.dtype), channels


def _coloured(rgb: np.ndarray) -> np.ndarray:
    """Where the channels of an RGB array differ by more than :data:`GREY_TOLERANCE` of the range."""
    spread = rgb.max(axis=2).astype(np.float64) - rgb.min(axis=2)
    scale = _dtype_scale(rgb.dtype) if rgb.dtype.kind in "ui" else max(float(np.ptp(rgb)), 1e-12)
    return spread > GREY_TOLERANCE * scale


def _colour_layout(raw: np.ndarray) -> ColourLayout:
    """The channels, constant alpha and coloured (overlay) pixels of a grey-looking RGB(A) array."""
    rgb = raw[..., :3]
    coloured = np.flatnonzero(_coloured(rgb).ravel())
    alpha = raw.reshape(-1, raw.shape[2])[0, 3].item() if raw.shape[2] == 4 else None
    return ColourLayout(raw.shape[2], alpha, coloured.astype(np.int64), rgb.reshape(-1, 3)[coloured].copy())


def _dtype_scale(dtype: np.dtype) -> float:
    """The value an integer dtype's full scale maps to (its maximum)."""
    return float(np.iinfo(dtype).max)


def _to_float(grey: np.ndarray) -> np.ndarray:
    """float32 pixels: integers divided by their dtype's maximum, floats kept."""
    pixels = grey.astype(np.float32)
    if grey.dtype.kind in "ui":  # float32 division is exact enough to round back to the integers
        np.divide(pixels, np.float32(_dtype_scale(grey.dtype)), out=pixels)
    return pixels


def _value_range(grey: np.ndarray) -> tuple[float, float]:
    finite = grey[np.isfinite(grey)] if grey.dtype.kind == "f" else grey
    if finite.size == 0:
        return (float("nan"), float("nan"))
    return (float(finite.min()), float(finite.max()))

