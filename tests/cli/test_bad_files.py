"""One bad file never ends a batch (issue 17, case 2)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem.cli import main
from cyclesem.errors import CyclesemError
from cyclesem.io import read_image, write_image
from tests.helpers import good_images, huge_png, make_run  # noqa: E402


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_an_image_too_large_to_decode_is_one_clear_line(tmp_path):
    with pytest.raises(CyclesemError, match="too large to decode.*CV_IO_MAX_IMAGE_PIXELS"):
        read_image(huge_png(tmp_path / "huge.png"))


def test_info_reports_a_huge_image_and_goes_on(tmp_path):
    good_images(tmp_path, 2)
    huge_png(tmp_path / "huge.png")
    result = invoke("info", str(tmp_path))
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "good0.png" in result.output and "good1.png" in result.output
    assert sum("huge.png" in line and "too large" in line for line in result.output.splitlines()) == 1


def test_synth_skips_a_huge_source_and_makes_the_benchmark(tmp_path):
    source = tmp_path / "src"
    good_images(source, 4)
    huge_png(source / "huge.png")
    result = invoke("synth", "--recipe", "demo", "--source", str(source), "--out", str(tmp_path / "bench"),
                    "--seed", "0", "--size", "32")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "too large" in result.output and (tmp_path / "bench" / "manifest.json").is_file()


def test_compare_reports_a_tiny_pair_and_still_writes_the_report(tmp_path):
    for side in ("b", "s"):
        good_images(tmp_path / side, 3)
        write_image(tmp_path / side / "tiny.png", np.full((1, 1), 0.5, np.float32), dtype="uint8")
    result = invoke("compare", "--pairs", str(tmp_path / "b"), str(tmp_path / "s"), "--methods", "identity",
                    "--out", str(tmp_path / "r"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "tiny" in result.output and "unexpected error" not in result.output
    assert (tmp_path / "r" / "report.html").is_file()
    rows = (tmp_path / "r" / "metrics.csv").read_text().splitlines()
    assert len(rows) == 4  # header and the three good pairs


def test_two_run_folders_with_one_name_get_rows_of_their_own(tmp_path):

    from cyclesem.evaluate.methods import resolve_methods

    first, second = make_run(tmp_path / "a" / "run"), make_run(tmp_path / "b" / "run")
    methods, failures = resolve_methods(["identity", str(first), str(second)])
    assert not failures
    assert [m.name for m in methods] == ["identity", str(first), str(second)]
