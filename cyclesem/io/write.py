"""Writing processed pixels back the way the original file was stored.

:func:`write_image` keeps the original's format, sample type, vendor metadata
tags and info bar (put back unchanged below the new pixels), writes atomically
(:func:`cyclesem.io.outputs.write_atomic`) and never over an existing file
unless asked.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.io.image import FORMAT_DTYPES, FORMAT_OF_SUFFIX, IMAGE_SUFFIXES, ColourLayout, SemImage
from cyclesem.io.outputs import write_atomic

__all__ = ["write_image"]


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
        A grey-looking RGB(A) original is written as RGB(A) again: the grey in
        every colour channel, its alpha, and its coloured overlay pixels put
        back where they were (when the frame keeps the original's size).
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
        image format, the format cannot hold the dtype, or ``content`` holds
        NaN or infinity (never written as zeros).
    """
    path = Path(path)
    kind = _output_format(path)
    out_dtype = _output_dtype(kind, like, dtype, path)
    content = np.asarray(content)
    if content.dtype.kind in "fc" and not np.isfinite(content).all():
        raise CyclesemError("the result holds non-finite values (NaN or infinity); nothing was written "
                            "(was the network trained to NaN losses?)", path)
    frame = _assemble_frame(content, like, out_dtype)
    if like is not None and like.colour is not None:
        frame = _in_colour(frame, like.colour, np.dtype(like.info.dtype), tuple(like.info.shape))
    tags = like.info.vendor_tags if like is not None and kind == "tiff" else ()
    layout = dict(like.info.tiff_layout) if like is not None and kind == "tiff" else {}
    if path.is_dir():
        raise CyclesemError("is a folder; give an output file name", path)
    if path.exists() and not overwrite:
        raise CyclesemError("exists (use --overwrite)", path)
    def encode(temporary: Path) -> None:
        with open(temporary, "x+b") as handle:
            _encode(frame, kind, tags, path, handle, layout)

    write_atomic(path, encode)
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


def _in_colour(frame: np.ndarray, layout: ColourLayout, source_dtype: np.dtype, source_shape: tuple) -> np.ndarray:
    """The grey ``frame`` as RGB(A): grey in each colour channel, ``layout``'s alpha and overlay pixels."""
    out = np.empty((*frame.shape, layout.channels), frame.dtype)
    out[..., :3] = frame[..., np.newaxis]
    if layout.alpha is not None:
        out[..., 3] = _rescaled(np.array([[layout.alpha]]), source_dtype, frame.dtype)[0, 0]
    if layout.index.size and frame.shape == source_shape:
        out.reshape(-1, layout.channels)[layout.index, :3] = _rescaled(layout.values, source_dtype, frame.dtype)
    return out


def _rescaled(samples: np.ndarray, source: np.dtype, target: np.dtype) -> np.ndarray:
    """Raw samples of dtype ``source`` as ``target`` samples of the same brightness."""
    if source == target:
        return samples
    values = samples.astype(np.float64)
    if source.kind in "ui":
        values /= np.iinfo(source).max
    return _from_float(values, target)


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
        scaled = np.round(pixels[rows].astype(np.float64) * info.max)
        out[rows] = np.clip(scaled, info.min, info.max)
    return out


def _encode(frame: np.ndarray, kind: str, tags, path: Path, handle, layout: dict | None = None) -> None:
    """Write the file's bytes to ``handle``; the same pixels always give the same bytes."""
    if kind == "tiff":
        import tifffile

        # tifffile appends a NUL to ASCII values: such tags go as UNDEFINED (7), then get their type back
        as_is = {code for code, tiff_dtype, _, raw in tags if tiff_dtype == 2 and not raw.endswith(b"\0")}
        extratags = [(code, 7 if code in as_is else tiff_dtype, count, raw, True)
                     for code, tiff_dtype, count, raw in tags]
        photometric = "rgb" if frame.ndim == 3 else "minisblack"
        extra = {"extrasamples": ["unassalpha"]} if frame.ndim == 3 and frame.shape[2] == 4 else {}
        layout = dict(layout or {})
        try:
            tifffile.imwrite(handle, frame, photometric=photometric, metadata=None, software=False, extratags=extratags,
                             **extra, **layout)
        except (ImportError, ValueError, RuntimeError, NotImplementedError):
            if "compression" not in layout:
                raise
            # the codec of the original's compression is not installed (imagecodecs): write uncompressed
            layout.pop("compression"), layout.pop("predictor", None)
            handle.seek(0)
            handle.truncate()
            tifffile.imwrite(handle, frame, photometric=photometric, metadata=None, software=False, extratags=extratags,
                             **extra, **layout)
        _restore_ascii_types(handle, as_is)
        return
    import cv2

    suffix = {"png": ".png", "jpeg": ".jpg", "bmp": ".bmp"}[kind]
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if kind == "jpeg" else []
    if frame.ndim == 3:  # RGB(A) -> OpenCV's BGR(A)
        frame = frame[..., [2, 1, 0, 3][: frame.shape[2]]]
    ok, encoded = cv2.imencode(suffix, frame, params)
    if not ok:
        raise CyclesemError(f"could not encode the image as {kind.upper()}", path)
    handle.write(encoded.data)



def _restore_ascii_types(handle, codes: set[int]) -> None:
    """Set the first IFD's entries of ``codes`` back to type ASCII (2), so vendor tags keep their bytes."""
    if not codes:
        return
    handle.seek(0)
    head = handle.read(8)
    order = "<" if head[:2] == b"II" else ">"
    if struct.unpack(order + "H", head[2:4])[0] != 42:
        return  # BigTIFF: the tags keep type UNDEFINED
    offset = struct.unpack(order + "I", head[4:8])[0]
    handle.seek(offset)
    count = struct.unpack(order + "H", handle.read(2))[0]
    entries = handle.read(12 * count)
    for index in range(count):
        code, tiff_dtype = struct.unpack_from(order + "HH", entries, 12 * index)
        if code in codes and tiff_dtype == 7:
            handle.seek(offset + 2 + 12 * index + 2)
            handle.write(struct.pack(order + "H", 2))
