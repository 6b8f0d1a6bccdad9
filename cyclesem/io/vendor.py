"""Instrument metadata in SEM TIFFs: FEI/Thermo and Zeiss tags.

tifffile parses the tags (``TiffFile.fei_metadata``, ``TiffFile.sem_metadata``);
this module picks the physical fields cyclesem reports, in SI units (pixel size
and working distance in metres, beam voltage in volts, dwell time in seconds),
and keeps the raw tags so :func:`cyclesem.io.write_image` can put them back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["vendor_metadata", "VENDOR_OF_TAG"]

VENDOR_OF_TAG = {34680: "fei", 34682: "fei", 34118: "zeiss"}  # FEI_SFEG, FEI_HELIOS, CZ_SEM
ZEISS_KEYS = {
    "pixel_size": ("ap_image_pixel_size", "ap_pixel_size"),
    "beam_voltage": ("ap_actualkv", "ap_manualkv"),
    "dwell_time": ("dp_dwell_time",),
    "working_distance": ("ap_wd",),
}
SI_FACTORS = {"pm": 1e-12, "nm": 1e-9, "um": 1e-6, "mm": 1e-3, "m": 1.0, "V": 1.0, "kV": 1e3,
              "ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def vendor_metadata(tif, data: bytes) -> dict[str, Any]:
    """Vendor tags of ``tif`` (raw, for writing back) and the physical fields they hold.

    Parameters
    ----------
    tif : tifffile.TiffFile
        The open file.
    data : bytes
        The file's bytes (the raw tag values are sliced from them).

    Returns
    -------
    dict
        ``vendor_tags``, ``vendor`` and the physical fields; empty without vendor tags.
    """
    page = tif.pages.first
    tags = tuple(
        (tag.code, int(tag.dtype), tag.count, data[tag.valueoffset : tag.valueoffset + tag.valuebytecount])
        for tag in page.tags.values()
        if tag.code in VENDOR_OF_TAG
    )
    if not tags:
        return {}
    meta: dict[str, Any] = {"vendor_tags": tags, "vendor": VENDOR_OF_TAG[tags[0][0]]}
    try:
        if tif.is_fei:
            meta.update(_fei_fields(tif.fei_metadata or {}, page.imagelength))
        elif tif.is_sem:
            meta.update(_zeiss_fields(tif.sem_metadata or {}))
    except Exception:  # noqa: BLE001 - unreadable metadata leaves the image usable
        pass
    return meta


def _fei_fields(metadata: dict, height: int) -> dict[str, Any]:
    """Physical fields of FEI/Thermo metadata (SI units) and the info bar hint."""
    names = ("Scan", "Beam", "Stage", "EScan", "EBeam", "Image")
    scan, beam, stage, escan, ebeam, image = (metadata.get(name) or {} for name in names)
    fields: dict[str, Any] = {
        "pixel_size": _positive(scan.get("PixelWidth"), escan.get("PixelWidth")),
        "beam_voltage": _positive(beam.get("HV"), ebeam.get("HV")),
        "dwell_time": _positive(scan.get("Dwelltime"), escan.get("Dwell")),
        "working_distance": _positive(stage.get("WorkingDistance"), ebeam.get("WD")),
    }
    resolution_y = _positive(image.get("ResolutionY"))
    if resolution_y and 0 < height - resolution_y < height:
        fields["info_bar_hint"] = int(height - resolution_y)
    return fields


def _zeiss_fields(metadata: dict) -> dict[str, Any]:
    """Physical fields of Zeiss CZ_SEM metadata, entries ``(name, value, unit)``."""
    fields: dict[str, Any] = {}
    for name, keys in ZEISS_KEYS.items():
        values = [_si_value(metadata.get(key)) for key in keys]
        fields[name] = _positive(*values)
    return fields


def _si_value(entry) -> float | None:
    """``(name, 3.0, 'kV')`` -> 3000.0; None when the entry has no known unit."""
    if not isinstance(entry, tuple) or len(entry) < 3:
        return None
    unit = str(entry[2]).replace("\u00b5", "u").replace("\u03bc", "u")
    factor = SI_FACTORS.get(unit)
    value = _positive(entry[1])
    return None if factor is None or value is None else value * factor


def _positive(*values) -> float | None:
    """The first value that is a positive finite number, as float."""
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if np.isfinite(number) and number > 0:
            return number
    return None
