"""Reading and writing SEM image files.

:func:`read_image` decodes TIFF (tifffile), PNG, JPEG and BMP (OpenCV) by their
content, never by their extension, into a :class:`SemImage`: float32 pixels, an
:class:`ImageInfo` with what the file says about itself (format, dtype, bit
depth, vendor metadata) and the instrument's info bar, found by
:func:`cyclesem.infobar.find_info_bar`. :func:`write_image` writes processed
pixels back the way the original was stored, with the info bar and the vendor
metadata tags put back unchanged, atomically and never over an existing file
unless asked. :func:`list_images` expands folders into image files.

Every problem with a file is a :class:`~cyclesem.errors.CyclesemError` naming
the file and the problem in one line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.infobar import find_info_bar
from cyclesem.vendor import vendor_metadata

__all__ = ["ImageInfo", "SemImage", "read_image", "write_image", "list_images", "IMAGE_SUFFIXES"]

FORMAT_OF_SUFFIX = {".tif": "tiff", ".tiff": "tiff", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".bmp": "bmp"}
IMAGE_SUFFIXES = tuple(FORMAT_OF_SUFFIX)
# dtypes each format can hold; the first is the default for a new image
FORMAT_DTYPES = {
    "tiff": ("uint16", "uint8", "float32", "float64", "float16", "int8", "int16", "uint32", "int32"),
    "png": ("uint16", "uint8"),
    "jpeg": ("uint8",),
    "bmp": ("uint8",),
}
MAGIC = (
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),
    (b"MM\x00+", "tiff"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"BM", "bmp"),
)
GREY_TOLERANCE = 0.02  # channels closer than this (share of the range) are grey
COLOUR_SHARE = 0.02  # share of coloured pixels (overlays) a grey image may hold
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, for overlay pixels


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

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (vendor tags by their codes only)."""
        out = dataclasses.asdict(self)
        out["value_range"] = list(self.value_range)
        out["shape"] = list(self.shape)
        out["vendor_tags"] = [tag[0] for tag in self.vendor_tags]
        return out


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
    """

    pixels: np.ndarray
    info: ImageInfo
    info_bar_raw: np.ndarray

    @property
    def content(self) -> np.ndarray:
        """The micrograph: the rows above the info bar (a view of ``pixels``)."""
        return self.pixels[: self.pixels.shape[0] - self.info.info_bar_rows]

    @property
    def info_bar(self) -> np.ndarray:
        """The info bar's rows as float32 (empty when there is no bar)."""
        return self.pixels[self.pixels.shape[0] - self.info.info_bar_rows :]


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
    return SemImage(pixels=pixels, info=info, info_bar_raw=bar_raw)


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
                raise CyclesemError(f"multi-page TIFF ({len(pages)} images); stacks are not supported", path)
            page = tif.pages.first
            if page.photometric == tifffile.PHOTOMETRIC.PALETTE:
                raise CyclesemError("palette (indexed colour) TIFF is not supported", path)
            raw = _tiff_samples(page)
            meta = vendor_metadata(tif, data)
            meta["bit_depth"] = page.bitspersample
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
    with _opencv_silenced(cv2):
        raw = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise CyclesemError(f"cannot decode {kind.upper()} (damaged or unsupported variant)", path)
    if raw.ndim == 3 and raw.shape[2] in (3, 4):
        raw = raw[..., [2, 1, 0, 3][: raw.shape[2]]]  # BGR(A) -> RGB(A)
    return raw


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
    spread = colour.max(axis=2).astype(np.float64) - colour.min(axis=2)
    scale = _dtype_scale(colour.dtype) if colour.dtype.kind in "ui" else max(float(np.ptp(colour)), 1e-12)
    coloured = spread > GREY_TOLERANCE * scale
    if coloured.mean() > COLOUR_SHARE:
        raise CyclesemError(
            f"real colour image ({coloured.mean():.0%} of pixels are coloured); SEM images are grey", path
        )
    grey = colour.astype(np.float64) @ LUMA
    if colour.dtype.kind in "ui":
        grey = np.round(grey)
    return grey.astype(colour.dtype), channels


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


def write_image(
    path: str | os.PathLike,
    content: np.ndarray,
    like: SemImage | None = None,
    *,
    dtype: str | np.dtype | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``content`` as an image file, the way ``like`` was stored.

    Parameters
    ----------
    path : str or os.PathLike
        The output file; its extension chooses the format (.tif, .tiff, .png,
        .jpg, .jpeg, .bmp). Missing parent folders are made.
    content : ndarray, shape (H, W)
        float pixels of the micrograph (the part above the info bar), scaled as
        :attr:`SemImage.pixels` is.
    like : SemImage, optional
        The image ``content`` came from: its info bar is appended below
        unchanged, its dtype is used, and TIFF output keeps its vendor tags.
    dtype : str or numpy dtype, optional
        The stored sample type; defaults to ``like``'s, or for a new image to
        the format's default (uint16 for TIFF and PNG, uint8 for JPEG and BMP).
    overwrite : bool
        Replace an existing file; without it an existing file is an error.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    CyclesemError
        If the file exists (and not ``overwrite``), the extension is not an
        image format, or the format cannot hold the dtype.
    """
    path = Path(path)
    kind = _output_format(path)
    out_dtype = _output_dtype(kind, like, dtype, path)
    frame = _assemble_frame(np.asarray(content), like, out_dtype)
    tags = like.info.vendor_tags if like is not None and kind == "tiff" else ()
    if path.is_dir():
        raise CyclesemError("is a folder; give an output file name", path)
    if path.exists() and not overwrite:
        raise CyclesemError("exists (use --overwrite)", path)
    _write_atomically(path, lambda handle: _encode(frame, kind, tags, path, handle))
    return path


def _output_format(path: Path) -> str:
    kind = FORMAT_OF_SUFFIX.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(IMAGE_SUFFIXES)
        raise CyclesemError(f"unknown output image type '{path.suffix}' (use one of {known})", path)
    return kind


def _output_dtype(kind: str, like: SemImage | None, dtype, path: Path) -> np.dtype:
    if dtype is not None:
        chosen = np.dtype(dtype)
    elif like is not None:
        chosen = np.dtype(like.info.dtype)
    else:
        chosen = np.dtype(FORMAT_DTYPES[kind][0])
    if chosen.name not in FORMAT_DTYPES[kind]:
        allowed = ", ".join(FORMAT_DTYPES[kind])
        raise CyclesemError(f"{kind.upper()} cannot store {chosen.name} samples (it holds {allowed}); use .tif", path)
    return chosen


def _assemble_frame(content: np.ndarray, like: SemImage | None, out_dtype: np.dtype) -> np.ndarray:
    """``content`` in ``out_dtype`` with ``like``'s info bar rows below it (one allocation)."""
    if content.ndim != 2:
        raise ValueError(f"content must be 2-D (H, W), got shape {content.shape}")
    bar_rows = 0 if like is None else like.info.info_bar_rows
    frame = np.empty((content.shape[0] + bar_rows, content.shape[1]), out_dtype)
    _from_float(content, out_dtype, out=frame[: content.shape[0]])
    if bar_rows:
        bar = like.info_bar_raw
        if bar.shape[1] != content.shape[1]:
            raise ValueError(f"content width {content.shape[1]} differs from the info bar's {bar.shape[1]}")
        if bar.dtype == out_dtype:
            frame[content.shape[0]:] = bar
        else:
            _from_float(like.info_bar, out_dtype, out=frame[content.shape[0]:])
    return frame


_CHUNK_ROWS = 256  # rows converted at a time, so huge images need no full-size temporaries


def _from_float(pixels: np.ndarray, out_dtype: np.dtype, out: np.ndarray | None = None) -> np.ndarray:
    """float pixels to ``out_dtype``: rounded and clipped for integers, kept for floats.

    Converts ``_CHUNK_ROWS`` rows at a time into ``out`` (allocated if None).
    """
    out = np.empty(pixels.shape, out_dtype) if out is None else out
    for start in range(0, pixels.shape[0], _CHUNK_ROWS):
        rows = slice(start, start + _CHUNK_ROWS)
        if out_dtype.kind == "f":
            out[rows] = pixels[rows]
            continue
        info = np.iinfo(out_dtype)
        scaled = np.round(np.nan_to_num(pixels[rows].astype(np.float64)) * info.max)
        out[rows] = np.clip(scaled, info.min, info.max)
    return out


def _encode(frame: np.ndarray, kind: str, tags, path: Path, handle) -> None:
    """Write the file's bytes to ``handle``; the same pixels always give the same bytes."""
    if kind == "tiff":
        import tifffile

        extratags = [(code, tiff_dtype, count, raw, True) for code, tiff_dtype, count, raw in tags]
        tifffile.imwrite(handle, frame, photometric="minisblack", metadata=None, extratags=extratags)
        return
    import cv2

    suffix = {"png": ".png", "jpeg": ".jpg", "bmp": ".bmp"}[kind]
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if kind == "jpeg" else []
    ok, encoded = cv2.imencode(suffix, frame, params)
    if not ok:
        raise CyclesemError(f"could not encode the image as {kind.upper()}", path)
    handle.write(encoded.data)


def _write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(handle)`` on a temporary file beside ``path``, then rename it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CyclesemError(f"cannot make the output folder ({exc.strerror or exc})", path.parent) from None
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temp, "xb") as handle:
            write(handle)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise CyclesemError(f"cannot write file ({exc.strerror or exc})", path) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


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
