"""Fuzz-style: the file-reading commands over a folder of hostile files (issue 17).

Each command must exit non-zero, name every bad file in exactly one line,
process the good files, print no traceback and leave the inputs unchanged.
(`train` and `enhance` are covered by their own tests; TensorFlow is too slow here.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem.cli import main
from tests.helpers import folder_digest, good_images, huge_png  # noqa: E402

BAD = ("random.png", "truncated.png", "empty.tif", "garbage.tif", "huge.png", "text.jpg")


def hostile_files(folder: Path, seed: int = 0) -> list[str]:
    """Write the bad files of :data:`BAD` into ``folder``; return their names."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "random.png").write_bytes(rng.bytes(500))
    good = good_images(folder, 1, seed=99)[0].read_bytes()
    (folder / "truncated.png").write_bytes(good[: len(good) // 2])
    (folder / "empty.tif").write_bytes(b"")
    (folder / "garbage.tif").write_bytes(b"II*\x00" + rng.bytes(200))
    huge_png(folder / "huge.png")
    (folder / "text.jpg").write_text("not an image", encoding="utf-8")
    (folder / "good0.png").unlink()
    return list(BAD)


def check(result, bad: list[str]) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "unexpected error" not in result.output
    lines = result.output.splitlines()
    for name in bad:
        assert sum(name in line for line in lines) == 1, (name, result.output)


@pytest.fixture
def folder(tmp_path):
    source = tmp_path / "in"
    bad = hostile_files(source)
    good_images(source, 4, seed=1)
    return source, bad


def test_info(folder):
    source, bad = folder
    before = folder_digest(source)
    result = CliRunner().invoke(main, ["info", str(source)])
    check(result, bad)
    assert all(f"good{i}.png" in result.output for i in range(4))
    assert folder_digest(source) == before


def test_synth_source(folder, tmp_path):
    source, bad = folder
    before = folder_digest(source)
    result = CliRunner().invoke(main, ["synth", "--recipe", "demo", "--source", str(source), "--out",
                                       str(tmp_path / "bench"), "--seed", "0", "--size", "32"])
    check(result, bad)
    assert (tmp_path / "bench" / "manifest.json").is_file()
    assert folder_digest(source) == before


def test_compare_pairs(tmp_path):
    for side in ("b", "s"):
        hostile_files(tmp_path / side)
        good_images(tmp_path / side, 3, seed=2)
    before = folder_digest(tmp_path)
    result = CliRunner().invoke(main, ["compare", "--pairs", str(tmp_path / "b"), str(tmp_path / "s"),
                                       "--methods", "identity", "--out", str(tmp_path / "r")])
    check(result, [])
    failed = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert len(failed) == len(BAD), result.output  # one line per bad pair, in the failure list
    assert len((tmp_path / "r" / "metrics.csv").read_text().splitlines()) == 4
    assert {k: v for k, v in folder_digest(tmp_path).items() if not k.startswith("r/")} == before
