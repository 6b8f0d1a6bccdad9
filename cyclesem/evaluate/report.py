"""Comparison reports: ``metrics.csv``, ``report.md`` and a self-contained ``report.html``.

The HTML page works offline, opened from disk: CSS is inline and every image
(plots, side-by-side crops) is a base64 PNG data URI. Plots use matplotlib's
object API with the Agg canvas, imported only when a page is written.

Best per column: highest PSNR and SSIM, lowest seconds, and for the
no-reference measures (AG, CON, SF, focus) the value closest to the clear
images' own, since noise and ringing raise them too.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from scipy import ndimage

from cyclesem.metrics import FULL_REFERENCE, METRICS, NO_REFERENCE

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
    "write_csv",
    "write_markdown",
    "write_html",
]

COLUMNS = METRICS + ("seconds",)
LABELS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "ag": "AG", "con": "CON", "sf": "SF", "focus": "focus", "seconds": "seconds"}
CSV_FIELDS = ("image", "method") + COLUMNS
_CROP, _ZOOM_FRACTION, _ZOOM_COLOUR = 256, 4, (0, 140, 255)  # BGR orange
_BLURRY, _CLEAR = "blurry input", "clear"


@dataclass(frozen=True)
class SummaryRow:
    """Mean and standard deviation of each column over one method's images."""

    method: str
    count: int
    mean: dict
    std: dict


@dataclass
class Example:
    """Crops of one image for the side-by-side view: blurry, each method, clear."""

    name: str
    crop: tuple[slice, slice]
    zoom: tuple[slice, slice]
    levels: tuple[float, float]
    panels: list = field(default_factory=list)  # (label, crop, caption)

    def add(self, label: str, image: np.ndarray, scores: dict | None = None) -> None:
        """Add a panel; the ``identity`` method's scores go to the blurry input's caption."""
        caption = f"PSNR {scores['psnr']:.2f} dB\nSSIM {scores['ssim']:.3f}" if scores else ""
        if label == "identity":
            self.panels = [(name, crop, caption if name == _BLURRY else old) for name, crop, old in self.panels]
            return
        self.panels.append((label, np.array(image[self.crop], np.float32), caption))


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


def _number(column: str, value: float, decimals: int | None = None) -> str:
    if not math.isfinite(value):
        return "inf" if value > 0 else "n/a"
    decimals = _decimals(column, value) if decimals is None else decimals
    return f"{value:.{decimals}f}" if decimals <= 5 else f"{value:.2e}"


def _cell(row: SummaryRow, column: str) -> str:
    """``mean ± std``, both with the mean's decimals (scientific notation below 0.001)."""
    decimals = _decimals(column, row.mean[column])
    return f"{_number(column, row.mean[column], decimals)} ± {_number(column, row.std[column], decimals)}"


def markdown_table(summary: list[SummaryRow], reference: dict) -> str:
    """Summary table in Markdown: mean ± std per method, best per column in bold."""
    best = best_methods(summary, reference)
    lines = ["| method | n | " + " | ".join(LABELS[c] for c in COLUMNS) + " |", "|---|---:|" + "---:|" * len(COLUMNS)]
    for row in summary:
        cells = [f"**{_cell(row, c)}**" if best.get(c) == row.method else _cell(row, c) for c in COLUMNS]
        lines.append(f"| {row.method} | {row.count} | " + " | ".join(cells) + " |")
    if reference:
        cells = [_number(c, reference[c]) if c in reference else "" for c in COLUMNS]
        lines.append("| *clear (reference)* | | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ------------------------------------------------------------------------- examples


def start_example(name: str, blurry: np.ndarray, clear: np.ndarray) -> Example:
    """Pick the most detailed crop of ``clear`` and a zoom window in it; add blurry and clear."""
    detail = _detail_map(clear)
    crop = _busiest_window(detail, min(_CROP, *clear.shape))
    inner = detail[crop]
    zoom_size = max(8, min(inner.shape) // _ZOOM_FRACTION)
    zoom = _busiest_window(inner, zoom_size)
    part = clear[crop]
    low, high = np.percentile(part, [0.5, 99.5]) if part.size else (0.0, 1.0)
    example = Example(name, crop, zoom, (float(low), float(max(high, low + 1e-6))))
    example.add(_BLURRY, blurry)
    example.add(_CLEAR, clear)
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


def _panel_png(image: np.ndarray, example: Example) -> bytes:
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
    parts = [f"# {context.title}", "", markdown_table(context.summary, context.reference), "", _LEGEND, ""]
    parts += [f"- Note: {note}" for note in context.notes]
    parts += [f"- Failed: {what}: {why}" for what, why in context.failures]
    parts += ["", "## How this was made", ""]
    parts += [f"- {key}: {_plain(value)}" for key, value in context.provenance.items()]
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _plain(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


_LEGEND = (
    "Mean ± standard deviation over the test images. Best per column in bold: highest PSNR "
    "and SSIM, fastest, and for AG, CON, SF and focus the value closest to the clear images' "
    "(last row), since noise and ringing raise them too."
)


# ----------------------------------------------------------------------------- HTML


def write_html(context: ReportContext, path: Path) -> None:
    """One self-contained page: table, plots, side-by-side crops, glossary, provenance."""
    sections = [
        f"<h1>{_esc(context.title)}</h1>",
        f"<p class='meta'>{_esc(context.provenance.get('date', ''))}"
        f" · cyclesem {_esc(context.provenance.get('cyclesem', ''))}"
        f" · {len({r['image'] for r in context.rows})} images</p>",
        "<h2>Summary</h2>",
        _html_table(context.summary, context.reference),
        f"<p class='legend'>{_esc(_LEGEND)}</p>",
        _html_remarks(context.notes, context.failures),
        "<h2>Scores per image</h2><div class='plots'>" + "".join(_html_plots(context)) + "</div>",
        _html_examples(context.examples),
        "<h2>Measures</h2><ul class='glossary'>" + "".join(f"<li>{item}</li>" for item in _GLOSSARY) + "</ul>",
        "<h2>How this was made</h2>" + _html_provenance(context.provenance),
    ]
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_esc(context.title)}</title><style>{_CSS}</style></head><body><main>"
        + "\n".join(sections)
        + "</main></body></html>\n"
    )
    path.write_text(page, encoding="utf-8")


def _esc(value) -> str:
    return html.escape(str(value), quote=True)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _html_table(summary: list[SummaryRow], reference: dict) -> str:
    best = best_methods(summary, reference)
    head = "<tr><th>method</th><th>n</th>" + "".join(f"<th>{_esc(LABELS[c])}</th>" for c in COLUMNS) + "</tr>"
    body = []
    for row in summary:
        marks = ["<td class='best'>" if best.get(c) == row.method else "<td>" for c in COLUMNS]
        cells = "".join(f"{mark}{_esc(_cell(row, c))}</td>" for mark, c in zip(marks, COLUMNS))
        body.append(f"<tr><td class='name'>{_esc(row.method)}</td><td>{row.count}</td>{cells}</tr>")
    if reference:
        cells = "".join(f"<td>{_esc(_number(c, reference[c])) if c in reference else ''}</td>" for c in COLUMNS)
        body.append(f"<tr class='reference'><td class='name'>clear (reference)</td><td></td>{cells}</tr>")
    return f"<div class='wide'><table class='summary'><thead>{head}</thead><tbody>{''.join(body)}</tbody></table></div>"


def _html_remarks(notes: list[str], failures: list) -> str:
    items = [f"<li>{_esc(note)}</li>" for note in notes]
    items += [f"<li class='failure'>failed: <b>{_esc(what)}</b>: {_esc(why)}</li>" for what, why in failures]
    return f"<ul class='remarks'>{''.join(items)}</ul>" if items else ""


def _html_plots(context: ReportContext) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: only when writing a page
    from matplotlib.figure import Figure

    methods = [row.method for row in context.summary]
    figures = []
    for column in COLUMNS:
        values = [[r[column] for r in context.rows if r["method"] == m and math.isfinite(r[column])] for m in methods]
        if not any(values):
            continue
        figure = Figure(figsize=(4.4, 3.0), dpi=110, layout="constrained")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        axes.boxplot([v or [math.nan] for v in values], widths=0.6, showfliers=True, medianprops={"color": "#d9480f"})
        axes.set_xticks(range(1, len(methods) + 1), methods, rotation=30, ha="right", fontsize=8)
        axes.set_title(LABELS[column], fontsize=10)
        axes.tick_params(axis="y", labelsize=8)
        axes.grid(axis="y", alpha=0.3)
        if column in context.reference:
            axes.axhline(context.reference[column], color="#2b8a3e", linestyle="--", linewidth=1, label="clear")
            axes.legend(fontsize=7, loc="best")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        image = f"<img alt='{_esc(LABELS[column])} per method' src='{_data_uri(buffer.getvalue())}'>"
        figures.append(f"<figure>{image}</figure>")
    return figures


def _html_examples(examples: list[Example]) -> str:
    if not examples:
        return ""
    parts = [
        "<h2>Side by side</h2><p class='legend'>The most detailed crop of each image (at most 256 px); "
        f"below it, the outlined detail enlarged {_ZOOM_FRACTION}x (nearest neighbour). Grey levels are "
        "stretched alike in every panel of an image, from the clear crop's 0.5th to 99.5th percentile.</p>"
    ]
    for example in examples:
        order = [p for p in example.panels if p[0] == _BLURRY]
        order += [p for p in example.panels if p[0] not in (_BLURRY, _CLEAR)]
        order += [p for p in example.panels if p[0] == _CLEAR]
        panels = "".join(
            f"<figure class='panel'><img alt='{_esc(label)}' src='{_data_uri(_panel_png(image, example))}'>"
            f"<figcaption><b>{_esc(label)}</b><br>{_esc(caption).replace(chr(10), '<br>')}</figcaption></figure>"
            for label, image, caption in order
        )
        parts.append(f"<h3>{_esc(example.name)}</h3><div class='panels'>{panels}</div>")
    return "".join(parts)


def _html_provenance(provenance: dict) -> str:
    rows = []
    for key, value in provenance.items():
        if isinstance(value, dict):
            inner = "".join(f"<li><b>{_esc(k)}</b>: {_esc(v)}</li>" for k, v in value.items())
            text = f"<ul>{inner}</ul>"
        else:
            text = f"<code>{_esc(value)}</code>" if key == "command" else _esc(value)
        rows.append(f"<tr><th>{_esc(key)}</th><td>{text}</td></tr>")
    return f"<table class='provenance'>{''.join(rows)}</table>"


_GLOSSARY = (
    "<b>PSNR</b> = 10 log<sub>10</sub>(1 / MSE) against the clear image, in dB (grey levels in [0, 1]).",
    "<b>SSIM</b>: mean structural similarity, 7&times;7 uniform window (scikit-image's defaults).",
    "<b>AG</b>, average gradient: mean of &radic;((dx&sup2; + dy&sup2;) / 2) over forward differences.",
    "<b>CON</b>, contrast: grey-level co-occurrence contrast of 4-connected neighbours, "
    "mean of (dx&sup2; + dy&sup2;) / 2.",
    "<b>SF</b>, spatial frequency: &radic;(RF&sup2; + CF&sup2;), RF and CF the RMS row and column differences.",
    "<b>focus</b>: variance of the 5-point Laplacian.",
    "<b>seconds</b>: wall time of the method on one image (reading and scoring excluded).",
    "AG, CON, SF and focus use grey levels in [0, 1]; they grow with sharpness but also with noise "
    "and ringing, so compare them with the clear images' values (dashed line, last table row).",
)

_CSS = """
body{margin:0;background:#f4f5f7;color:#1f2328;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:1360px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:26px;margin:8px 0 2px}h2{font-size:20px;margin:32px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px;font-family:ui-monospace,Menlo,Consolas,monospace}
.meta{color:#57606a;margin:0 0 12px}.legend{color:#57606a;font-size:13px;max-width:980px}
.wide{overflow-x:auto}table.summary{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:14px}
table.summary th,table.summary td{padding:6px 10px;text-align:right;border-bottom:1px solid #e5e7eb;white-space:nowrap}
table.summary th{background:#f6f8fa;border-bottom:2px solid #d0d7de}
table.summary td.name,table.summary th:first-child{text-align:left;font-weight:600}
table.summary tbody tr:nth-child(even){background:#fafbfc}
td.best{background:#dafbe1;font-weight:700;color:#116329}
tr.reference td{font-style:italic;color:#57606a;background:#fff;border-top:2px solid #d0d7de}
ul.remarks{font-size:14px}li.failure{color:#cf222e}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:12px}
.plots figure{margin:0;border:1px solid #e5e7eb;border-radius:6px;padding:4px;background:#fff}
.plots img{width:100%;height:auto;display:block}
.panels{display:flex;flex-wrap:wrap;gap:10px}
.panel{margin:0;width:150px}
.panel img{width:150px;height:auto;display:block;image-rendering:pixelated;border:1px solid #d0d7de}
.panel figcaption{font-size:12px;color:#57606a;line-height:1.3;margin-top:3px}
.panel figcaption b{color:#1f2328}
ul.glossary{font-size:14px;max-width:980px}
table.provenance{border-collapse:collapse;font-size:14px}
table.provenance th{text-align:left;vertical-align:top;padding:4px 16px 4px 0;color:#57606a;font-weight:600}
table.provenance td{padding:4px 0}table.provenance ul{margin:0;padding-left:18px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;background:#f6f8fa;padding:2px 5px;border-radius:4px}
"""
