"""Pictures of a defocus map: the image beside its local blur width, with a colour bar.

Used by ``cyclesem focus --out`` and by the comparison report. matplotlib is
imported inside the function (only when a picture is made).
"""

from __future__ import annotations

import io

import numpy as np

from cyclesem.restore.defocus import SHARP_WIDTH, DefocusMap

__all__ = ["colour_bar_png", "defocus_png", "map_crop_png", "WIDTH_RANGE"]

WIDTH_RANGE = (0.0, 8.0)
"""px: the colour scale of every map, so that maps compare at a glance."""


def defocus_png(image: np.ndarray, defocus: DefocusMap, title: str = "", *, dpi: int = 100) -> bytes:
    """PNG bytes: ``image`` in grey beside its map in colour (same size), a colour bar in px.

    Parameters
    ----------
    image : numpy.ndarray
        The 2-D image the map was made from.
    defocus : DefocusMap
        Its map (:func:`cyclesem.restore.defocus.defocus_map`).
    title : str
        Shown above, after the verdict.
    dpi : int
        Resolution of the figure; panels are about 4 inches wide.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: only when a picture is made
    from matplotlib.figure import Figure

    height, width = image.shape
    figure = Figure(figsize=(8.6, 4.0 * height / max(width, 1) + 0.8), dpi=dpi)
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    low, high = np.percentile(image, (0.5, 99.5))
    left.imshow(image, cmap="gray", vmin=low, vmax=max(high, low + 1e-6), interpolation="nearest")
    shown = right.imshow(defocus.full(), cmap="viridis", vmin=WIDTH_RANGE[0], vmax=WIDTH_RANGE[1])
    right.contour(defocus.full(), levels=[SHARP_WIDTH], colors="white", linewidths=0.8)
    for axes in (left, right):
        axes.set_xticks([])
        axes.set_yticks([])
    summary = defocus.summary()
    right.set_title(f"blur width, median {summary['median_px']:.2f} px", fontsize=9)
    bar = figure.colorbar(shown, ax=right, fraction=0.046, pad=0.02)
    bar.set_label(f"Gaussian sigma (px); white line: {SHARP_WIDTH:g} px")
    figure.suptitle(f"{summary['verdict']}  {title}".strip(), fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _coloured(widths: np.ndarray) -> np.ndarray:
    """uint8 BGR picture of blur widths on the fixed :data:`WIDTH_RANGE` scale (viridis; NaN grey)."""
    from matplotlib import colormaps  # lazy: only when a picture is made

    low, high = WIDTH_RANGE
    scaled = np.clip((np.nan_to_num(widths, nan=low) - low) / (high - low), 0.0, 1.0)
    rgb = (colormaps["viridis"](scaled)[..., :3] * 255.0 + 0.5).astype(np.uint8)
    rgb[~np.isfinite(widths)] = 128
    return np.ascontiguousarray(rgb[..., ::-1])


def _png(bgr: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".png", bgr)
    if not ok:
        raise ValueError("could not encode a PNG")
    return data.tobytes()


def map_crop_png(defocus: DefocusMap, crop: tuple[slice, slice]) -> bytes:
    """PNG bytes: the map over ``crop`` of its image, coloured on the fixed scale, where it exceeds
    :data:`~cyclesem.restore.defocus.SHARP_WIDTH` outlined in white."""
    widths = defocus.full()[crop]
    picture = _coloured(widths)
    blurred = (np.nan_to_num(widths) > SHARP_WIDTH).astype(np.uint8)
    edge = blurred ^ np.pad(blurred, 1, mode="edge")[1:-1, 2:] | blurred ^ np.pad(blurred, 1, mode="edge")[2:, 1:-1]
    picture[edge.astype(bool)] = 255
    return _png(picture)


def colour_bar_png(width: int = 256, height: int = 14) -> bytes:
    """PNG bytes: the colour scale of :func:`map_crop_png`, :data:`WIDTH_RANGE` from left to right."""
    ramp = np.linspace(WIDTH_RANGE[0], WIDTH_RANGE[1], width, dtype=np.float32)
    return _png(_coloured(np.repeat(ramp[np.newaxis], height, axis=0)))
