"""A comparison report's data model: its rows, summaries, example crops and the rules for "best".

:func:`summarize` (mean and spread per method), :func:`best_methods` (highest
PSNR and SSIM, lowest seconds, and for the no-reference measures AG, CON, SF
and focus the value closest to the clear images' own, since noise and ringing
raise them too), :func:`start_example` (the most detailed crop of an image and
its panels, with their defocus maps), :class:`ReportContext` (everything a
report shows) and the number formats and legends both views use. The files are
written by :mod:`~cyclesem.evaluate.report` (``metrics.csv``, ``report.md``)
and :mod:`~cyclesem.evaluate.report_html` (``report.html``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from cyclesem.evaluate.metrics import FULL_REFERENCE, METRICS

__all__ = [
    "BLURRY_LABEL",
    "CLEAR_LABEL",
    "COLUMNS",
    "CSV_FIELDS",
    "DEFOCUS_LEGEND",
    "Example",
    "LABELS",
    "LEGEND",
    "ReportContext",
    "SummaryRow",
    "ZOOM_FRACTION",
    "best_methods",
    "cell_text",
    "format_number",
    "mean_scores",
    "start_example",
    "summarize",
]

COLUMNS = METRICS + ("seconds",)
LABELS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "ag": "AG", "con": "CON", "sf": "SF", "focus": "focus", "seconds": "seconds"}
CSV_FIELDS = ("image", "method") + COLUMNS
_CROP, ZOOM_FRACTION = 256, 4
BLURRY_LABEL, CLEAR_LABEL = "blurry input", "clear"


@dataclass(frozen=True)
class SummaryRow:
    """Mean and standard deviation of each column over one method's images."""

    method: str
    count: int
    mean: dict
    std: dict


@dataclass
class Example:
    """Crops of one image for the side-by-side view: blurry, each method, clear; and their defocus maps."""

    name: str
    crop: tuple[slice, slice]
    zoom: tuple[slice, slice]
    levels: tuple[float, float]
    panels: list = field(default_factory=list)  # (label, crop, caption)
    maps: dict = field(default_factory=dict)  # label -> DefocusMap of the whole image (absent: no map)

    def add(self, label: str, image: np.ndarray, scores: dict | None = None) -> None:
        """Add a panel and its defocus map; the ``identity`` method's scores go to the blurry input's caption."""
        caption = f"PSNR {scores['psnr']:.2f} dB\nSSIM {scores['ssim']:.3f}" if scores else ""
        if label == "identity":
            self.panels = [(name, crop, caption if name == BLURRY_LABEL else old) for name, crop, old in self.panels]
            return
        self.panels.append((label, np.array(image[self.crop], np.float32), caption))
        defocus = _defocus(image)
        if defocus is not None:
            self.maps[label] = defocus


def _defocus(image: np.ndarray):
    """The image's defocus map (:func:`cyclesem.restore.defocus.defocus_map`), None when it has none."""
    from cyclesem.restore.defocus import defocus_map

    try:
        defocus = defocus_map(np.asarray(image, np.float32))
    except ValueError:  # too small or not finite: the report goes on without this map
        return None
    return defocus if np.isfinite(defocus.widths).any() else None


@dataclass(frozen=True)
class ReportContext:
    """Everything a report shows."""

    title: str
    summary: list
    reference: dict
    rows: list
    examples: list
    failures: list
    notes: list
    provenance: dict


# --------------------------------------------------------------------------- numbers


def summarize(rows: list[dict], methods: list[str]) -> list[SummaryRow]:
    """Mean and spread (population std) per method, in the order of ``methods``."""
    summary = []
    for method in methods:
        mine = [row for row in rows if row["method"] == method]
        if not mine:
            continue
        values = {c: np.array([row[c] for row in mine], dtype=np.float64) for c in COLUMNS}
        summary.append(
            SummaryRow(
                method,
                len(mine),
                {c: _finite_mean(v) for c, v in values.items()},
                {c: float(np.std(v[np.isfinite(v)])) if np.isfinite(v).any() else math.nan for c, v in values.items()},
            )
        )
    return summary


def _finite_mean(values: np.ndarray) -> float:
    """Mean of the finite values (an identical pair's PSNR is inf); inf if all are inf."""
    finite = values[np.isfinite(values)]
    if finite.size:
        return float(finite.mean())
    return float(values[0]) if values.size else math.nan


def mean_scores(scores: list[dict]) -> dict:
    """Mean of each key over a list of score dicts (empty dict for an empty list)."""
    return {key: float(np.mean([s[key] for s in scores])) for key in scores[0]} if scores else {}


def best_methods(summary: list[SummaryRow], reference: dict) -> dict[str, str]:
    """The best method per column (rules in the module notes)."""
    best = {}
    for column in COLUMNS:
        candidates = [(row.mean[column], row.method) for row in summary if math.isfinite(row.mean[column])]
        if not candidates:
            continue
        if column in FULL_REFERENCE:
            best[column] = max(candidates)[1]
        elif column == "seconds":  # the unchanged input costs nothing; it is no method to pick
            best[column] = min((c for c in candidates if c[1] != "identity"), default=min(candidates))[1]
        elif column in reference:
            best[column] = min((abs(v - reference[column]), m) for v, m in candidates)[1]
        else:
            best[column] = max(candidates)[1]
    return best


def _decimals(column: str, value: float) -> int:
    """Decimals to show: fixed for PSNR, SSIM and seconds, three significant digits otherwise."""
    fixed = {"psnr": 2, "ssim": 3, "seconds": 3}
    if column in fixed:
        return fixed[column]
    if not math.isfinite(value) or value == 0:
        return 3
    return max(0, 2 - math.floor(math.log10(abs(value))))


def format_number(column: str, value: float, decimals: int | None = None) -> str:
    if not math.isfinite(value):
        return "inf" if value > 0 else "n/a"
    decimals = _decimals(column, value) if decimals is None else decimals
    return f"{value:.{decimals}f}" if decimals <= 5 else f"{value:.2e}"


def cell_text(row: SummaryRow, column: str) -> str:
    """``mean ± std``, both with the mean's decimals (scientific notation below 0.001)."""
    decimals = _decimals(column, row.mean[column])
    return f"{format_number(column, row.mean[column], decimals)} ± {format_number(column, row.std[column], decimals)}"


# ------------------------------------------------------------------------- examples


def start_example(name: str, blurry: np.ndarray, clear: np.ndarray) -> Example:
    """Pick the most detailed crop of ``clear`` and a zoom window in it; add blurry and clear."""
    detail = _detail_map(clear)
    crop = _busiest_window(detail, min(_CROP, *clear.shape))
    inner = detail[crop]
    zoom_size = max(8, min(inner.shape) // ZOOM_FRACTION)
    zoom = _busiest_window(inner, zoom_size)
    part = clear[crop]
    low, high = np.percentile(part, [0.5, 99.5]) if part.size else (0.0, 1.0)
    example = Example(name, crop, zoom, (float(low), float(max(high, low + 1e-6))))
    example.add(BLURRY_LABEL, blurry)
    example.add(CLEAR_LABEL, clear)
    return example


def _detail_map(image: np.ndarray) -> np.ndarray:
    """Local gradient energy, smoothed: where an image has the most to show."""
    image = np.asarray(image, np.float32)
    energy = ndimage.sobel(image, axis=0) ** 2 + ndimage.sobel(image, axis=1) ** 2
    return ndimage.uniform_filter(energy, size=9)


def _busiest_window(detail: np.ndarray, size: int) -> tuple[slice, slice]:
    """The ``size`` x ``size`` window (clipped to the image) with the most detail."""
    height, width = detail.shape
    size_y, size_x = min(size, height), min(size, width)
    totals = ndimage.uniform_filter(detail, size=(size_y, size_x), mode="constant")
    half_y, half_x = size_y // 2, size_x // 2
    inner = totals[half_y : height - size_y + half_y + 1, half_x : width - size_x + half_x + 1]
    top, left = np.unravel_index(int(np.argmax(inner)), inner.shape)
    return slice(int(top), int(top) + size_y), slice(int(left), int(left) + size_x)


DEFOCUS_LEGEND = (
    "Median local blur width (Gaussian sigma, px) of the whole image, from the image alone "
    "(`cyclesem focus`; sharp SEM reads about 1 to 2.5 px, wider than 2.5 px counts as blurred). "
    "Limitation: wide blur reads too low (real defocus of about 11 px reads 3 to 4 px), so compare "
    "the maps of one image with each other rather than as absolute widths."
)
LEGEND = (
    "Mean ± standard deviation over the test images. Best per column in bold: highest PSNR "
    "and SSIM, fastest, and for AG, CON, SF and focus the value closest to the clear images' "
    "(last row), since noise and ringing raise them too."
)
