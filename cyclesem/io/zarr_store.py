"""Zarr and OME-Zarr arrays: finding the image, describing it, creating the output.

A Zarr input is either a plain array (2-D, or N-D whose last two axes are y
and x: a volume or time series enhanced plane by plane) or an OME-Zarr image
group (NGFF 0.4 on Zarr v2, 0.5 on Zarr v3), whose ``multiscales`` metadata
names the full-resolution array (``datasets[0]``), its axes and its pixel
sizes (``coordinateTransformations``). The output is created in the input's
Zarr format with the input's attributes copied unchanged (axes, units, pixel
sizes, ``omero`` display settings), so viewers read it as they read the input;
lower-resolution levels are rebuilt from the enhanced full resolution
(:func:`write_lower_levels`).

Samples follow :mod:`cyclesem.io`'s contract: integer arrays are scaled by
their dtype's maximum into [0, 1] (:func:`to_unit`) and back with rounding and
clipping (:func:`from_unit`); float arrays keep their values. Imports zarr
only when a store is opened.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cyclesem.errors import CyclesemError

__all__ = ["ZarrImage", "is_zarr", "open_zarr", "create_output", "describe_zarr", "to_unit", "from_unit"]

_MARKERS = (".zarray", ".zgroup", "zarr.json")


def is_zarr(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a Zarr store (a folder holding Zarr v2 or v3 metadata)."""
    path = Path(path)
    return path.is_dir() and any((path / marker).is_file() for marker in _MARKERS)


@dataclass(frozen=True)
class ZarrImage:
    """The image of a Zarr store.

    Attributes
    ----------
    path : pathlib.Path
        The store.
    array : zarr.Array
        The full-resolution array; its last two axes are y and x.
    level : str or None
        Its path in an OME-Zarr group (None for a plain array).
    attrs : dict
        The group's attributes (OME-Zarr) or the array's (plain array).
    multiscales : dict or None
        The first ``multiscales`` entry of an OME-Zarr image.
    """

    path: Path
    array: Any = field(repr=False)
    level: str | None
    attrs: dict
    multiscales: dict | None

    @property
    def zarr_format(self) -> int:
        """2 or 3."""
        return int(self.array.metadata.zarr_format)

    @property
    def axes(self) -> list[str]:
        """Axis names (OME-Zarr axes, Zarr v3 dimension names, or ``z``/``y``/``x`` style defaults)."""
        if self.multiscales and self.multiscales.get("axes"):
            return [a["name"] if isinstance(a, dict) else str(a) for a in self.multiscales["axes"]]
        names = getattr(self.array.metadata, "dimension_names", None)
        if names and all(names):
            return list(names)
        return list("tczyx"[-self.array.ndim :]) if self.array.ndim <= 5 else [f"dim{k}" for k in range(self.array.ndim)]

    def pixel_sizes(self) -> list[tuple[float, str]]:
        """``(size, unit)`` of each axis at full resolution ("" unit when none is given)."""
        scale = [1.0] * self.array.ndim
        for transform in _transforms(self.multiscales, 0):
            if transform.get("type") == "scale":
                scale = [float(v) for v in transform["scale"]]
        units = [""] * self.array.ndim
        if self.multiscales:
            units = [a.get("unit", "") if isinstance(a, dict) else "" for a in self.multiscales.get("axes", [])]
        return list(zip(scale, units))


def open_zarr(path: str | os.PathLike) -> ZarrImage:
    """Open a Zarr array or OME-Zarr image for reading.

    Raises
    ------
    CyclesemError
        If it is not a Zarr store, holds no image, or its image has fewer
        than two axes or a non-numeric dtype.
    """
    path = Path(path)
    try:
        import zarr
    except ImportError:
        raise CyclesemError("zarr is not installed: pip install 'cyclesem[distributed]'", path) from None
    if not is_zarr(path):
        raise CyclesemError("not a Zarr store (no .zarray, .zgroup or zarr.json)", path)
    try:
        node = zarr.open(str(path), mode="r")
    except Exception as exc:  # noqa: BLE001 - zarr raises many kinds on damaged stores
        raise CyclesemError(f"cannot open the Zarr store ({' '.join(str(exc).split())[:200]})", path) from None
    if isinstance(node, zarr.Array):
        image = ZarrImage(path, node, None, dict(node.attrs), None)
    else:
        attrs = dict(node.attrs)
        multiscales = _multiscales(attrs)
        if not multiscales or not multiscales.get("datasets"):
            raise CyclesemError("a Zarr group without OME-Zarr multiscales metadata; give the array's path", path)
        level = str(multiscales["datasets"][0]["path"])
        image = ZarrImage(path, node[level], level, attrs, multiscales)
    if image.array.ndim < 2 or np.dtype(image.array.dtype).kind not in "uif":
        raise CyclesemError(f"expected a numeric array of 2 or more axes, got {image.array.dtype} {image.array.shape}", path)
    return image


def _multiscales(attrs: dict) -> dict | None:
    """The first multiscales entry (NGFF 0.4 at the top level, 0.5 under ``ome``)."""
    holder = attrs.get("ome") if isinstance(attrs.get("ome"), dict) else attrs
    entries = holder.get("multiscales")
    return entries[0] if isinstance(entries, list) and entries else None


def _transforms(multiscales: dict | None, level: int) -> list[dict]:
    if not multiscales:
        return []
    return list(multiscales["datasets"][level].get("coordinateTransformations", []))


def create_output(source: ZarrImage, path: str | os.PathLike, chunks: tuple[int, ...]):
    """Create the output store at ``path`` shaped like ``source``; its full-resolution array.

    The store has ``source``'s Zarr format, dtype and attributes (and, for
    OME-Zarr, its group layout with the same dataset paths).
    """
    import zarr

    array = source.array
    options: dict[str, Any] = {"shape": array.shape, "chunks": chunks, "dtype": array.dtype, "fill_value": 0}
    names = getattr(array.metadata, "dimension_names", None)
    if source.zarr_format == 3 and names:
        options["dimension_names"] = names
    if source.level is None:
        out = zarr.create_array(str(path), zarr_format=source.zarr_format, **options)
        out.attrs.update(source.attrs)
        return out
    group = zarr.open_group(str(path), mode="w", zarr_format=source.zarr_format)
    group.attrs.update(source.attrs)
    out = group.create_array(source.level, **options)
    out.attrs.update(dict(array.attrs))
    return out


def write_lower_levels(source: ZarrImage, out_path: str | os.PathLike, compute) -> int:
    """Rebuild an OME-Zarr image's lower levels from its enhanced full resolution.

    Each level is the block mean of the full resolution over the integer
    factor between the two levels' pixel sizes, cropped (or edge-padded) to
    the input level's shape. ``compute(dask_array, zarr_array)`` stores one.

    Returns
    -------
    int
        Levels written (0 for a plain array or a single-level image).
    """
    import dask.array as da
    import zarr

    if source.multiscales is None:
        return 0
    group = zarr.open_group(str(out_path), mode="r+")
    full = da.from_zarr(group[source.level])
    base = _scale(source.multiscales, 0, full.ndim)
    written = 0
    for k, dataset in enumerate(source.multiscales["datasets"][1:], start=1):
        level_in = zarr.open_array(str(source.path / dataset["path"]), mode="r")
        factors = {axis: max(1, int(round(s / b))) for axis, (s, b) in
                   enumerate(zip(_scale(source.multiscales, k, full.ndim), base))}
        aligned = full.rechunk(tuple(c * factors[axis] for axis, c in enumerate(level_in.chunks)))
        reduced = da.coarsen(np.mean, to_unit(aligned), factors, trim_excess=True)
        reduced = _fit(reduced, level_in.shape)
        target = group.create_array(str(dataset["path"]), shape=level_in.shape, chunks=level_in.chunks,
                                    dtype=level_in.dtype, fill_value=0)
        target.attrs.update(dict(level_in.attrs))
        compute(reduced.map_blocks(from_unit, np.dtype(level_in.dtype), dtype=level_in.dtype), target)
        written += 1
    return written


def _scale(multiscales: dict, level: int, ndim: int) -> list[float]:
    for transform in _transforms(multiscales, level):
        if transform.get("type") == "scale":
            return [float(v) for v in transform["scale"]]
    return [float(2**level) if axis >= ndim - 2 else 1.0 for axis in range(ndim)]


def _fit(array, shape: tuple[int, ...]):
    """``array`` cropped or edge-padded to ``shape``."""
    import dask.array as da

    array = array[tuple(slice(0, n) for n in shape)]
    pad = [(0, n - m) for n, m in zip(shape, array.shape)]
    return da.pad(array, pad, mode="edge") if any(p for _, p in pad) else array


def to_unit(samples):
    """Integer samples scaled by their dtype's maximum into float32 [0, 1]; floats as float32."""
    dtype = np.dtype(samples.dtype)
    if dtype.kind in "ui":
        return samples.astype(np.float32) / np.float32(np.iinfo(dtype).max)
    return samples.astype(np.float32)


def from_unit(pixels: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float pixels back to ``dtype``: rounded and clipped for integers, kept for floats."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return pixels.astype(dtype)
    info = np.iinfo(dtype)
    scaled = np.round(np.nan_to_num(np.asarray(pixels, np.float64)) * info.max)
    return np.clip(scaled, info.min, info.max).astype(dtype)


def describe_zarr(path: str | os.PathLike) -> list[str]:
    """Lines for ``cyclesem info``: the store, then one indented line per property."""
    image = open_zarr(path)
    array = image.array
    kind = f"Zarr v{image.zarr_format}"
    if image.multiscales is not None:
        version = image.multiscales.get("version") or (image.attrs.get("ome") or {}).get("version", "?")
        kind = f"OME-Zarr {version} ({kind}), {len(image.multiscales['datasets'])} resolution level(s)"
    axes = image.axes
    sizes = [f"{s:g} {u}".strip() for (s, u), name in zip(image.pixel_sizes(), axes) if name in ("y", "x")]
    planes = int(np.prod(array.shape[:-2], dtype=np.int64))
    fields = [
        ("format", f"{kind}, {array.dtype}"),
        ("shape", f"{' x '.join(map(str, array.shape))} ({' x '.join(axes)})"),
        ("chunks", " x ".join(map(str, array.chunks))),
        ("planes", f"{planes} of {array.shape[-2]} x {array.shape[-1]}, enhanced one by one"),
    ]
    if image.multiscales is not None:
        fields.append(("pixel size", " x ".join(sizes) + " (y x)"))
    return [str(image.path)] + [f"  {label + ':':<18}{value}" for label, value in fields]
