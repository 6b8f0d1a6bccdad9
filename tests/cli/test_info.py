"""Tests for `cyclesem info` through the CLI."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

from tests.conftest import shared_path
from cyclesem.cli import main
from cyclesem.cli.info import format_quantity


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def good_tiff(folder):
    path = folder / "good.tif"
    tifffile.imwrite(path, np.random.default_rng(0).integers(0, 65535, (64, 64)).astype(np.uint16))
    return path


def make_bad_input(folder, case):
    """Write the bad input ``case`` under ``folder`` and return its path."""
    good = good_tiff(folder)
    ok, png = cv2.imencode(".png", np.random.default_rng(1).integers(0, 255, (64, 64)).astype(np.uint8))
    rng = np.random.default_rng(2)
    contents = {
        "empty.tif": b"",
        "truncated.tif": good.read_bytes()[:2000],
        "truncated.png": png.tobytes()[:300],
        "random.tif": rng.bytes(4096),
        "random.png": rng.bytes(4096),
        "readme.txt": b"not an image\n",
    }
    path = folder / case
    if case in contents:
        path.write_bytes(contents[case])
    elif case == "colour.png":
        cv2.imwrite(str(path), rng.integers(0, 255, (32, 32, 3)).astype(np.uint8))
    elif case == "stack.tif":
        tifffile.imwrite(path, np.zeros((2, 16, 16), np.uint8), photometric="minisblack")
    elif case == "folder":
        path.mkdir()
    return path


BAD_CASES = {
    "missing.tif": "not found",
    "empty.tif": "empty file",
    "truncated.tif": "truncated",
    "truncated.png": "truncated",
    "random.tif": "not a supported image",
    "random.png": "not a supported image",
    "readme.txt": "not a supported image",
    "colour.png": "colour",
    "folder": "no image files",
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_one_line_naming_the_file(tmp_path, case):
    path = make_bad_input(tmp_path, case)
    result = run("info", path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if str(path) in line]
    assert len(lines) == 1 and BAD_CASES[case] in lines[0]
    assert result.stdout == ""


def test_good_files_still_described_when_others_fail(tmp_path):
    good = good_tiff(tmp_path)
    bad = make_bad_input(tmp_path, "empty.tif")
    result = run("info", bad, good, tmp_path / "missing.png")
    assert result.exit_code == 1
    assert str(good) in result.stdout and "no info bar" in result.stdout
    assert "2 of 3 file(s) failed" in result.stderr


def test_fei_tiff_described_with_units():
    path = shared_path("sem-denoise", "clean", "001.tif")
    result = run("info", path)
    assert result.exit_code == 0, result.output
    for expected in ("TIFF", "uint8", "8-bit", "471 x 512", "5.83 nm", "10 kV", "30 µs", "29 rows"):
        assert expected in result.stdout


def test_json_output_is_machine_readable(tmp_path):
    result = run("info", "--json", good_tiff(tmp_path))
    assert result.exit_code == 0
    (entry,) = json.loads(result.stdout)
    assert entry["shape"] == [64, 64] and entry["dtype"] == "uint16" and entry["info_bar_rows"] == 0
    assert entry["pixel_size"] is None


def test_folder_argument_expands_to_its_images(tmp_path):
    good_tiff(tmp_path)
    cv2.imwrite(str(tmp_path / "other.png"), np.full((20, 20), 7, np.uint8))
    result = run("info", "--json", tmp_path)
    assert result.exit_code == 0
    assert [e["format"] for e in json.loads(result.stdout)] == ["tiff", "png"]


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(5.82812e-9, "m", "5.83 nm"), (10000.0, "V", "10 kV"), (3e-5, "s", "30 µs"), (1e-7, "s", "100 ns"),
     (0.0100458, "m", "10 mm"), (None, "m", "unknown"), (999.99, "V", "1 kV")],
)
def test_format_quantity(value, unit, text):
    assert format_quantity(value, unit) == text


def _physical_run(folder, sigma: float, gain_offset="frame", **described):
    """A run folder holding only what ``info`` reads: config, state and a degradation of width ``sigma``."""
    from cyclesem.nets.degradation import describe, initial_means

    folder.mkdir(exist_ok=True)
    model = {"degradation": "physical", "restorer": "midnet", "physical": {"gain_offset": gain_offset}}
    (folder / "config.json").write_text(json.dumps({"kind": "cyclegan", "preset": "small", "model": model}))
    (folder / "state.json").write_text(json.dumps({"step": 1000, "steps": 1000}))
    means = initial_means(sigma)
    (folder / "degradation.json").write_text(json.dumps(describe(means, [0.1] * len(means), **described)))
    return folder


def test_info_describes_a_run_and_the_degradation_it_fitted(tmp_path):
    run = _physical_run(tmp_path / "run", 2.5, fit_intensity=False)
    result = CliRunner().invoke(main, ["info", str(run)])
    assert result.exit_code == 0, result.output
    assert "run of kind cyclegan, preset small, step 1000 of 1000, degradation physical" in result.output
    assert "PSF: Gaussian 2.50 x" in result.output and "equivalent sigma" in result.output
    assert "not fitted" in result.output and "noise: shot" in result.output


def test_info_names_only_the_psf_components_a_run_fitted(tmp_path):
    for shape, mentions_tail in (("gaussian", False), ("mixture", True)):
        run = _physical_run(tmp_path / "run", 3.0, psf_shape=shape)
        result = CliRunner().invoke(main, ["info", str(run)])
        assert result.exit_code == 0, result.output
        assert "PSF: Gaussian 3.00 x" in result.output
        assert ("Lorentzian tail" in result.output) == mentions_tail, result.output


def test_info_says_what_the_fitted_gain_and_offset_do(tmp_path):
    for role, words in (("nuisance", "a nuisance of the fit"), ("frame", "the blurry folder's frame")):
        run = _physical_run(tmp_path / role, 3.0, gain_offset=role, fit_intensity=True)
        result = CliRunner().invoke(main, ["info", str(run)])
        assert result.exit_code == 0, result.output
        assert "gain" in result.output and words in result.output, result.output
