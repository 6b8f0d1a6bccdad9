"""A comparison report's text files: ``metrics.csv`` and ``report.md``.

The numbers, examples and legends come from :mod:`~cyclesem.evaluate.report_data`;
``report.html`` is :mod:`~cyclesem.evaluate.report_html`'s.
"""

from __future__ import annotations

import csv
from pathlib import Path

from cyclesem.evaluate.report_data import (
    COLUMNS,
    CSV_FIELDS,
    DEFOCUS_LEGEND,
    LABELS,
    LEGEND,
    Example,
    ReportContext,
    SummaryRow,
    best_methods,
    cell_text,
    format_number,
)

__all__ = ["defocus_line", "markdown_table", "write_csv", "write_markdown"]


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


def defocus_line(example: Example) -> str:
    """One line: each panel's median blur width and verdict (``report.md``)."""
    parts = []
    for label, _, _ in example.panels:
        if label in example.maps:
            summary = example.maps[label].summary()
            parts.append(f"{label} {summary['median_px']:.2f} px ({summary['verdict']})")
    return f"{example.name}: " + ", ".join(parts) if parts else ""


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
