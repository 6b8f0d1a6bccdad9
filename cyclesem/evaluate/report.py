"""Comparison reports: summaries, ``metrics.csv``, ``report.md`` (``report.html``: :mod:`~cyclesem.evaluate.report_html`).

Best per column: highest PSNR and SSIM, lowest seconds, and for the
no-reference measures (AG, CON, SF, focus) the value closest to the clear
images' own, since noise and ringing raise them too.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

from cyclesem.evaluate.metrics import FULL_REFERENCE, METRICS

__all__ = [
    "COLUMNS",
    "SummaryRow",
    "Example",
    "ReportContext",
    "summarize",
    "mean_scores",
    "best_methods",
    "markdown_table",
    "start_example",
    "defocus_line",
    "write_csv",
    "write_markdown",
    "write_html",
]

COLUMNS = METRICS + ("seconds",)
LABELS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "ag": "AG", "con": "CON", "sf": "SF", "focus": "focus", "seconds": "seconds"}
CSV_FIELDS = ("image", "method") + COLUMNS
_CROP, ZOOM_FRACTION, _ZOOM_COLOUR = 256, 4, (0, 140, 255)  # BGR orange
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
    """The image's defocus map (:func:`cyclesem.evaluate.defocus.defocus_map`), None when it has none."""
    from cyclesem.evaluate.defocus import defocus_map

    try:
        defocus = defocus_map(np.asarray(image, np.float32))
    except ValueError:  # too small or not finite: the report goes on without this map
        return None
    return defocus if np.isfinite(defocus.widths).any() else None


def defocus_line(example: Example) -> str:
    """One line: each panel's median blur width and verdict (``report.md``)."""
    parts = []
    for label, _, _ in example.panels:
        if label in example.maps:
            summary = example.maps[label].summary()
            parts.append(f"{label} {summary['median_px']:.2f} px ({summary['verdict']})")
    return f"{example.name}: " + ", ".join(parts) if parts else ""


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


def markdown_table(summary: list[SummaryRow], reference: dict) -> str:
    """Summary table in Markdown: mean ± std per method, best per column in bold."""
    best = best_methods(summary, reference)
    lines = ["| method | n | " + " | ".join(LABELS[c] for c in COLUMNS) + " |", "|---|---:|" + "---:|" * len(COLUMNS)]
    for row in summary:
        cells = [f"**{cell_text(row, c)}**" if best.get(c) == row.method else cell_text(row, c) for c in COLUMNS]
        lines.append(f"| {row.method} | {row.count} | " + " | ".join(cells) + " |")
    if reference:
        cells = [format_number(c, reference[c]) if c in reference else "" for c in COLUMNS]
        lines.append("| *clear (reference)* | | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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


def panel_png(image: np.ndarray, example: Example) -> bytes:
    """The crop (zoom window outlined) above the zoomed detail, as PNG bytes."""
    low, high = example.levels
    grey = np.clip((image - low) / (high - low), 0.0, 1.0)  # display only; the data are not clipped
    grey = (grey * 255.0 + 0.5).astype(np.uint8)
    overview = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    rows, cols = example.zoom
    cv2.rectangle(overview, (cols.start, rows.start), (cols.stop - 1, rows.stop - 1), _ZOOM_COLOUR, 2)
    detail = grey[example.zoom]
    scale = max(1, overview.shape[1] // max(detail.shape[1], 1))
    zoomed = cv2.cvtColor(np.kron(detail, np.ones((scale, scale), np.uint8)), cv2.COLOR_GRAY2BGR)
    zoomed = zoomed[:, : overview.shape[1]]
    gap = np.full((4, overview.shape[1], 3), 255, np.uint8)
    zoomed = np.pad(zoomed, ((0, 0), (0, overview.shape[1] - zoomed.shape[1]), (0, 0)), constant_values=255)
    return _encode_png(np.vstack([overview, gap, zoomed]))


def _encode_png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("could not encode a PNG")
    return data.tobytes()


# ---------------------------------------------------------------------------- files


def write_csv(rows: list[dict], path: Path) -> None:
    """One row per image and method; numbers at full precision."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def write_markdown(context: ReportContext, path: Path) -> None:
    """The summary table, notes, failures and how the comparison was made."""
    parts = [f"# {context.title}", "", markdown_table(context.summary, context.reference), "", LEGEND, ""]
    parts += [f"- Note: {note}" for note in context.notes]
    parts += [f"- Failed: {what}: {why}" for what, why in context.failures]
    lines = [line for line in map(defocus_line, context.examples) if line]
    if lines:
        parts += ["", "## Defocus maps", "", DEFOCUS_LEGEND, ""] + [f"- {line}" for line in lines]
    parts += ["", "## How this was made", ""]
    parts += [f"- {key}: {_plain(value)}" for key, value in context.provenance.items()]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _plain(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


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


from cyclesem.evaluate.report_html import write_html  # noqa: E402 - the page uses this module's tables
