"""The self-contained ``report.html`` of a comparison.

The page works offline, opened from disk: CSS (``report.css``, package data)
is inline and every image (plots, side-by-side crops) is a base64 PNG data URI.
Plots use matplotlib's object API with the Agg canvas, imported only when a
page is written.
"""

from __future__ import annotations

import base64
import html
import io
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path

import cv2
import numpy as np

from cyclesem.evaluate.report_data import (
    BLURRY_LABEL,
    CLEAR_LABEL,
    COLUMNS,
    DEFOCUS_LEGEND,
    LABELS,
    LEGEND,
    ZOOM_FRACTION,
    Example,
    ReportContext,
    SummaryRow,
    best_methods,
    cell_text,
    format_number,
)
from cyclesem.restore.defocus import SHARP_WIDTH

__all__ = ["panel_png", "write_html"]

_ZOOM_COLOUR = (0, 140, 255)  # BGR orange


@lru_cache(maxsize=1)
def _css() -> str:
    return resources.files("cyclesem.evaluate").joinpath("report.css").read_text(encoding="utf-8")


def write_html(context: ReportContext, path: Path) -> None:
    """One self-contained page: table, plots, side-by-side crops, glossary, provenance."""
    sections = [
        f"<h1>{_esc(context.title)}</h1>",
        f"<p class='meta'>{_esc(context.provenance.get('date', ''))}"
        f" · cyclesem {_esc(context.provenance.get('cyclesem', ''))}"
        f" · {len({r['image'] for r in context.rows})} images</p>",
        "<h2>Summary</h2>",
        _html_table(context.summary, context.reference),
        f"<p class='legend'>{_esc(LEGEND)}</p>",
        _html_remarks(context.notes, context.failures),
        "<h2>Scores per image</h2><div class='plots'>" + "".join(_html_plots(context)) + "</div>",
        _html_examples(context.examples),
        "<h2>Measures</h2><ul class='glossary'>" + "".join(f"<li>{item}</li>" for item in _GLOSSARY) + "</ul>",
        "<h2>How this was made</h2>" + _html_provenance(context.provenance),
    ]
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_esc(context.title)}</title><style>{_css()}</style></head><body><main>"
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
        cells = "".join(f"{mark}{_esc(cell_text(row, c))}</td>" for mark, c in zip(marks, COLUMNS))
        body.append(f"<tr><td class='name'>{_esc(row.method)}</td><td>{row.count}</td>{cells}</tr>")
    if reference:
        cells = "".join(f"<td>{_esc(format_number(c, reference[c])) if c in reference else ''}</td>" for c in COLUMNS)
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
        f"below it, the outlined detail enlarged {ZOOM_FRACTION}x (nearest neighbour). Grey levels are "
        "stretched alike in every panel of an image, from the clear crop's 0.5th to 99.5th percentile.</p>"
    ]
    if any(example.maps for example in examples):
        parts.append(_defocus_legend())
    for example in examples:
        order = [p for p in example.panels if p[0] == BLURRY_LABEL]
        order += [p for p in example.panels if p[0] not in (BLURRY_LABEL, CLEAR_LABEL)]
        order += [p for p in example.panels if p[0] == CLEAR_LABEL]
        panels = "".join(
            f"<figure class='panel'><img alt='{_esc(label)}' src='{_data_uri(panel_png(image, example))}'>"
            f"<figcaption><b>{_esc(label)}</b><br>{_esc(caption).replace(chr(10), '<br>')}</figcaption></figure>"
            for label, image, caption in order
        )
        parts.append(f"<h3>{_esc(example.name)}</h3><div class='panels'>{panels}</div>")
        parts.append(_html_maps(example, order))
    return "".join(parts)


def _html_maps(example: Example, order: list) -> str:
    """The defocus map of each panel's image over the same crop, with its median width and verdict."""
    from cyclesem.evaluate.defocus_figure import map_crop_png

    shown = [(label, example.maps[label]) for label, _, _ in order if label in example.maps]
    if not shown:
        return ""
    panels = "".join(
        f"<figure class='panel'><img alt='defocus map of {_esc(label)}' "
        f"src='{_data_uri(map_crop_png(defocus, example.crop))}'><figcaption><b>{_esc(label)}</b><br>"
        f"blur {defocus.summary()['median_px']:.2f} px<br>{_esc(defocus.summary()['verdict'])}</figcaption></figure>"
        for label, defocus in shown
    )
    return f"<div class='panels'>{panels}</div>"


def _defocus_legend() -> str:
    from cyclesem.evaluate.defocus_figure import WIDTH_RANGE, colour_bar_png

    return (f"<p class='legend'>Below each image's crops: the defocus map of each one over the same crop "
            f"(blur width in px, {WIDTH_RANGE[0]:g} <img alt='colour scale' src='{_data_uri(colour_bar_png())}'> "
            f"{WIDTH_RANGE[1]:g}; white line: {SHARP_WIDTH:g} px). {_esc(DEFOCUS_LEGEND)}</p>")


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
