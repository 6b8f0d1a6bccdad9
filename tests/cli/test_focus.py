"""Tests for `cyclesem focus` and `cyclesem enhance --where-blurry` through the command line."""

from __future__ import annotations

import csv
import io as text_io
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from tests.helpers import blurred, composite, sharp_image  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent / "evaluate"))

from cyclesem import io  # noqa: E402
from cyclesem.cli import main  # noqa: E402


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    io.write_image(folder / "sharp.png", np.clip(sharp_image(), 0, 1), dtype="uint8")
    io.write_image(folder / "blurry.png", np.clip(blurred(sharp_image(noise=0.0), 5.0) + 0.002, 0, 1), dtype="uint8")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(64)))
    return folder


def invoke(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def test_csv_on_standard_output_with_verdicts_and_one_line_per_bad_file(inputs):
    result = invoke("focus", inputs)
    assert result.exit_code == 1
    rows = list(csv.DictReader(text_io.StringIO(result.stdout)))
    verdicts = {Path(row["file"]).name: row["verdict"] for row in rows}
    assert verdicts == {"blurry.png": "out of focus", "sharp.png": "in focus"}
    assert float(rows[0]["median_px"]) > float(rows[1]["median_px"])  # blurry.png sorts first
    assert [line for line in result.stderr.splitlines() if "broken.png" in line] != []
    assert "1 of 3 file(s) failed" in result.stderr and "Traceback" not in result.output


def test_out_folder_holds_the_csv_and_one_map_per_image(inputs, tmp_path):
    out = tmp_path / "maps"
    result = invoke("focus", inputs / "sharp.png", inputs / "blurry.png", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["blurry_defocus.png", "focus.csv", "sharp_defocus.png"]
    assert (out / "sharp_defocus.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = list(csv.DictReader((out / "focus.csv").open()))
    assert [row["map"] for row in rows] == ["sharp_defocus.png", "blurry_defocus.png"]
    again = invoke("focus", inputs / "sharp.png", "--out", out)
    assert again.exit_code != 0 and "--overwrite" in again.output


def test_no_output_folder_when_every_file_fails(inputs, tmp_path):
    out = tmp_path / "maps"
    result = invoke("focus", inputs / "broken.png", tmp_path / "missing.png", "--out", out)
    assert result.exit_code == 1 and not out.exists()
    assert "2 of 2 file(s) failed" in result.stderr
    assert not list(tmp_path.glob(".maps*"))


def test_enhance_where_blurry_leaves_the_sharp_half_unchanged(tmp_path):
    image = np.clip(composite(4.0), 0, 1)
    io.write_image(tmp_path / "in" / "half.png", image, dtype="uint8")
    result = invoke("enhance", "unsharp", tmp_path / "in", "--out", tmp_path / "out", "--where-blurry")
    assert result.exit_code == 0, result.output
    before = io.read_image(tmp_path / "in" / "half.png").pixels
    after = io.read_image(tmp_path / "out" / "half.png").pixels
    assert np.array_equal(after[:, :96], before[:, :96])
    assert np.abs(after[:, 192:] - before[:, 192:]).max() > 2 / 255
    assert "only where blurred" in result.stderr


def test_enhance_refuses_a_classical_method_that_needs_a_psf(tmp_path):
    io.write_image(tmp_path / "in" / "a.png", np.clip(sharp_image(), 0, 1), dtype="uint8")
    result = invoke("enhance", "wiener", tmp_path / "in", "--out", tmp_path / "out", "--where-blurry")
    assert result.exit_code != 0 and "needs a PSF" in result.output
