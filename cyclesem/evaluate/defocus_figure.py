"""Pictures of a defocus map: the image beside its local blur width, with a colour bar.

Used by ``cyclesem focus --out`` and by the comparison report. matplotlib is
imported inside the function (only when a picture is made).
"""

from __future__ import annotations

import io

import numpy as np

from cyclesem.evaluate.defocus import SHARP_WIDTH, DefocusMap

__all__ = ["defocus_png", "WIDTH_RANGE"]

WIDTH_RANGE = (0.0, 8.0)
"""px: the colour scale of every map, so that maps compare at a glance."""


def defocus_png(image: np.ndarray, defocus: DefocusMap, title: str = "", *, dpi: int = 100) -> bytes:
    """PNG bytes: ``image`` in grey beside its map in colour (same size), a colour bar in px.

    Parameters
    ----------
    image : numpy.ndarray
        The 2-D image the map was made from.
    defocus : DefocusMap
        Its map (:func:`cyclesem.evaluate.defocus.defocus_map`).
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
