"""`cyclesem info`: describe SEM image files."""

from __future__ import annotations

import json
import math

import click

from cyclesem.cli._common import report_failures
from cyclesem.errors import CyclesemError

SI_PREFIXES = ((1e-12, "p"), (1e-9, "n"), (1e-6, "µ"), (1e-3, "m"), (1.0, ""), (1e3, "k"), (1e6, "M"))
VENDOR_NAMES = {"fei": "FEI/Thermo Fisher", "zeiss": "Zeiss"}


@click.command("info")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list instead of text.")
def command(files, as_json):
    """Describe SEM image files: format, bit depth, pixel size, info bar.

    FILES may be image files, folders (their .tif .tiff .png .jpg .jpeg .bmp
    files), run folders or Zarr / OME-Zarr stores; a multi-page TIFF is
    described page by page. A file that cannot be read is reported at the end,
    one line each, and the exit status is non-zero; the other files are still
    described.
    """
    from cyclesem.io import list_images
    from cyclesem.io.zarr_store import is_zarr

    failures: list[tuple[str, str]] = []
    paths = []
    from cyclesem.io.run_folder import is_run_dir

    runs = [item for item in files if is_run_dir(item)]
    for run in runs:
        click.echo("\n".join(describe_run(run)))
    for item in files:
        if item in runs:
            continue
        try:
            paths.extend([item] if is_zarr(item) else list_images([item]))
        except CyclesemError as exc:
            failures.append((exc.path or item, exc.problem))
    not_listed = len(failures)
    described = []
    for path in paths:
        try:
            entries, lines = _describe_path(path)
        except CyclesemError as exc:
            failures.append((str(path), exc.problem))
            continue
        described.extend(entries)
        if not as_json:
            click.echo("\n".join(lines))
    if as_json:
        click.echo(json.dumps(described, indent=2))
    report_failures(failures, len(paths) + not_listed)


def _describe_path(path) -> tuple[list[dict], list[str]]:
    """JSON entries and text lines for an image, a TIFF stack (one per page) or a Zarr store."""
    from cyclesem.io import read_image
    from cyclesem.io.stacks import is_stack, stack_info
    from cyclesem.io.zarr_store import describe_zarr, is_zarr

    if is_zarr(path):
        lines = describe_zarr(path)
        return [{"path": str(path), "zarr": [line.strip() for line in lines[1:]]}], lines
    infos = stack_info(path) if is_stack(path) else [read_image(path).info]
    lines = [f"{path}: TIFF stack of {len(infos)} pages"] if len(infos) > 1 else []
    for info in infos:
        lines.extend(describe(info))
    return [info.to_dict() for info in infos], lines


def describe_run(folder) -> list[str]:
    """Human-readable lines for a run folder: its kind and steps, and the degradation it fitted."""
    from pathlib import Path

    from cyclesem.io.run_folder import CONFIG_FILE, DEGRADATION_FILE, read_json, read_state

    folder = Path(folder)
    config, state = read_json(folder / CONFIG_FILE), read_state(folder)
    model = config.get("model", {}) if isinstance(config.get("model"), dict) else {}
    lines = [f"{folder}: run of kind {config.get('kind')}, preset {config.get('preset')}, "
             f"step {state.get('step')} of {state.get('steps')}"
             + (f", degradation {model['degradation']}, restorer {model.get('restorer')}"
                if "degradation" in model else "")]
    if (folder / DEGRADATION_FILE).is_file():
        physical = model.get("physical") if isinstance(model.get("physical"), dict) else {}
        lines += describe_degradation(read_json(folder / DEGRADATION_FILE), physical.get("gain_offset", "frame"))
    return lines


_GAIN_OFFSET_WORDS = {"frame": "the blurry folder's frame, applied to both sides of the restorer's pairs",
                      "nuisance": "a nuisance of the fit, not applied to the restorer's pairs"}


def describe_degradation(fitted: dict, gain_offset: str = "frame") -> list[str]:
    """Lines for a fitted degradation (``degradation.json``); ``gain_offset``: ``model.physical.gain_offset``."""
    psf, veil, noise, gain = fitted["psf"], fitted["veil"], fitted["noise"], fitted["intensity"]
    weights = psf["weights"]
    shape = f"Gaussian {psf['sigma_major_px']:.2f} x {psf['sigma_minor_px']:.2f} px at {psf['angle_deg']:.0f} deg"
    if weights["gaussian"] < 1.0:  # a mixture (a Gaussian-only PSF has weights 1, 0, 0)
        shape += (f" ({100 * weights['gaussian']:.0f} %), Lorentzian tail {psf['tail_width_px']:.1f} px "
                  f"({100 * weights['lorentzian_tail']:.0f} %), defocus disc {psf['disc_radius_px']:.1f} px "
                  f"({100 * weights['disc']:.0f} %)")
    return [
        f"  PSF: {shape}; equivalent sigma {psf['equivalent_sigma_px']:.2f} px; "
        f"width spread (log) {fitted['psf_spread']['log_sigma']:.2f}",
        (f"  veil: transmission {veil['transmission']:.2f} +- {veil['variation']:.2f}, level {veil['level']:.2f}; "
         f"gain {gain['gain']:.3f}, offset {gain['offset']:+.3f} ({_GAIN_OFFSET_WORDS.get(gain_offset, gain_offset)})"
         if veil.get("fitted", True)
         else "  veil, gain and offset: not fitted (model.physical.fit_intensity is off)"),
        f"  noise: shot {noise['shot']:.2e} (variance per unit signal), read sigma {noise['read_sigma']:.4f}",
    ]


def describe(info) -> list[str]:
    """Human-readable lines for an :class:`cyclesem.io.ImageInfo`.

    Parameters
    ----------
    info : cyclesem.io.ImageInfo
        What :func:`cyclesem.io.read_image` found.

    Returns
    -------
    list of str
        The file name, then one indented line per property.
    """
    height, width = info.shape
    stored = f", stored as {info.channels} channels, read as grey" if info.channels > 1 else ""
    rows = info.info_bar_rows
    fields = [
        ("format", f"{info.format.upper()}, {info.dtype}, {info.bit_depth}-bit{stored}"),
        ("shape", f"{height} x {width} (height x width)"),
        ("pixel size", format_quantity(info.pixel_size, "m")),
        ("beam voltage", format_quantity(info.beam_voltage, "V")),
    ]
    if info.dwell_time is not None:
        fields.append(("dwell time", format_quantity(info.dwell_time, "s")))
    if info.working_distance is not None:
        fields.append(("working distance", format_quantity(info.working_distance, "m")))
    if info.vendor is not None:
        fields.append(("metadata", VENDOR_NAMES.get(info.vendor, info.vendor)))
    bar = f"{rows} rows at the bottom (micrograph {height - rows} x {width})" if rows else "no info bar"
    fields.append(("info bar", bar))
    return [info.path] + [f"  {label + ':':<18}{value}" for label, value in fields]


def format_quantity(value: float | None, unit: str) -> str:
    """``5.828e-09, 'm'`` -> ``'5.83 nm'``; ``None`` -> ``'unknown'``.

    Parameters
    ----------
    value : float or None
        The quantity in SI base units.
    unit : str
        The SI unit symbol.

    Returns
    -------
    str
        Three significant digits with the SI prefix that keeps them in [1, 1000).
    """
    if value is None or not math.isfinite(value):
        return "unknown"
    factor, prefix = SI_PREFIXES[0]
    for candidate, name in SI_PREFIXES:
        if abs(value) >= candidate * 0.9995:
            factor, prefix = candidate, name
    return f"{value / factor:.3g} {prefix}{unit}"
