"""Reports: summary numbers, the Markdown table, and a self-contained HTML page."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from cyclesem.evaluate import report, report_data, report_html
from synth.phantoms import make_phantom


def _rows():
    rows = []
    for image, (a, b) in enumerate(((20.0, 25.0), (22.0, 27.0))):
        scores = (("identity", a, 0.01, 0.0), ("wiener", b, 0.03, 0.02), ("unsharp", a + 1, 0.05, 0.01))
        for method, psnr, ag, seconds in scores:
            rows.append({"image": f"img{image}", "method": method, "psnr": psnr, "ssim": psnr / 30, "ag": ag,
                         "con": ag / 10, "sf": ag * 2, "focus": ag / 5, "seconds": seconds})
    return rows


REFERENCE = {"ag": 0.032, "con": 0.0032, "sf": 0.064, "focus": 0.0064}


def test_summary_has_mean_and_spread_per_method_in_order():
    summary = report_data.summarize(_rows(), ["wiener", "identity", "unsharp", "absent"])
    assert [row.method for row in summary] == ["wiener", "identity", "unsharp"]
    assert summary[0].count == 2
    assert summary[0].mean["psnr"] == pytest.approx(26.0) and summary[0].std["psnr"] == pytest.approx(1.0)


def test_best_per_column_follows_the_stated_rules():
    best = report_data.best_methods(report_data.summarize(_rows(), ["identity", "wiener", "unsharp"]), REFERENCE)
    assert best["psnr"] == "wiener" and best["ssim"] == "wiener"
    assert best["seconds"] == "unsharp"  # the unchanged input is no method to pick
    assert best["ag"] == "wiener"  # closest to the clear images' 0.032, not the highest (unsharp's 0.05)


def test_markdown_table_marks_the_best_and_lists_the_reference():
    table = report.markdown_table(report_data.summarize(_rows(), ["identity", "wiener", "unsharp"]), REFERENCE)
    lines = table.splitlines()
    assert lines[0].startswith("| method | n | PSNR (dB) | SSIM | AG")
    assert "**26.00 ± 1.00**" in lines[3]
    assert lines[-1].startswith("| *clear (reference)* |")


def test_html_page_is_self_contained(tmp_path):
    rows = _rows()
    clear = make_phantom("particles", 64, seed=1)
    example = report_data.start_example("img0", clear * 0.5, clear)
    example.add("identity", clear * 0.5, rows[0])
    example.add("wiener", clear * 0.9, rows[1])
    context = report_data.ReportContext(
        title="Comparison on a test",
        summary=report_data.summarize(rows, ["identity", "wiener", "unsharp"]),
        reference=REFERENCE,
        rows=rows,
        examples=[example],
        failures=[("img1 / broken", "it failed")],
        notes=["a note"],
        provenance={"command": "cyclesem compare --benchmark b --out o", "source": {"recipe": "gaussian"}},
    )
    path = tmp_path / "report.html"
    report_html.write_html(context, path)
    page = path.read_text()
    assert "<table class='summary'>" in page and "clear (reference)" in page
    assert "http://" not in page and "https://" not in page and "<link" not in page and "<script" not in page
    images = re.findall(r"<img [^>]*src='data:image/png;base64,([^']+)'", page)
    maps = len(example.maps) + 1 if example.maps else 0  # a defocus map per panel and one colour scale
    assert len(images) == len(report_data.COLUMNS) + 3 + maps  # one plot per column; blurry, wiener and clear panels
    assert all(base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n" for data in images)
    assert "it failed" in page and "cyclesem compare --benchmark b --out o" in page
    assert [label for label, _, _ in example.panels] == ["blurry input", "clear", "wiener"]
    assert "PSNR 20.00 dB" in example.panels[0][2]  # the identity scores caption the blurry input


def test_example_crop_follows_the_detail():
    image = np.zeros((300, 300), np.float32)
    image[200:260, 40:100] = np.random.default_rng(0).random((60, 60))
    example = report_data.start_example("x", image, image)
    rows, cols = example.crop
    assert rows.stop - rows.start == 256 and cols.stop - cols.start == 256
    zoom_rows, zoom_cols = example.zoom
    assert 200 <= rows.start + zoom_rows.start + 32 <= 260 and 40 <= cols.start + zoom_cols.start + 32 <= 100


def test_csv_has_one_row_per_image_and_method(tmp_path):
    path = tmp_path / "metrics.csv"
    report.write_csv(_rows(), path)
    lines = path.read_text().splitlines()
    assert lines[0] == "image,method,psnr,ssim,ag,con,sf,focus,seconds" and len(lines) == 7


def test_the_report_shows_each_panels_defocus_map(tmp_path):
    from scipy import ndimage

    clear = make_phantom("particles", 160, seed=2)
    blurry = ndimage.gaussian_filter(clear, 4.0)
    example = report_data.start_example("img0", blurry, clear)
    example.add("wiener", ndimage.gaussian_filter(clear, 1.0))
    assert set(example.maps) == {"blurry input", "clear", "wiener"}
    widths = {label: defocus.summary()["median_px"] for label, defocus in example.maps.items()}
    assert widths["blurry input"] > widths["wiener"] + 1.0 and widths["blurry input"] > widths["clear"] + 1.0
    rows = _rows()
    context = report_data.ReportContext("t", report_data.summarize(rows, ["wiener"]), REFERENCE, rows, [example], [], [], {})
    report_html.write_html(context, tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    assert all(f"alt='defocus map of {label}'" in page for label in example.maps)
    assert "reads too low" in page and "alt='colour scale'" in page
    report.write_markdown(context, tmp_path / "report.md")
    line = next(line for line in (tmp_path / "report.md").read_text().splitlines() if line.startswith("- img0:"))
    assert f"blurry input {widths['blurry input']:.2f} px (" in line and "wiener" in line
