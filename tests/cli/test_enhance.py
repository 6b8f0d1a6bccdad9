"""Tests for `cyclesem enhance` through the command line."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem import io
from cyclesem.cli import main
from tests.helpers import make_run, micrograph  # noqa: E402


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("cli") / "run")


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    io.write_image(folder / "a.png", micrograph((48, 64), seed=1), dtype="uint8")
    io.write_image(folder / "b.tif", micrograph((70, 50), seed=2), dtype="uint16")
    (folder / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))  # broken
    return folder


def enhance(*args):
    return CliRunner().invoke(main, ["enhance", *map(str, args)])


def fingerprints(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_batch_with_a_broken_file_writes_the_others_and_fails(run_dir, inputs, tmp_path):
    before = fingerprints(inputs)
    result = enhance(run_dir, inputs, "--out", tmp_path / "out", "--tile", 128)
    assert result.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.tif"]
    failed = [line for line in result.stderr.splitlines() if "c.png" in line]
    assert len(failed) == 1 and "1 of 3 file(s) failed" in result.stderr
    assert "Traceback" not in result.output
    assert io.read_image(tmp_path / "out" / "b.tif").info.dtype == "uint16"
    assert fingerprints(inputs) == before


def test_single_files_and_overwrite(run_dir, inputs, tmp_path):
    out = tmp_path / "out"
    assert enhance(run_dir, inputs / "a.png", "--out", out).exit_code == 0
    first = io.read_image(out / "a.png").pixels
    assert np.abs(first - io.read_image(inputs / "a.png").pixels).max() > 0.01
    again = enhance(run_dir, inputs / "a.png", "--out", out)
    assert again.exit_code == 1 and "--overwrite" in again.stderr
    assert enhance(run_dir, inputs / "a.png", "--out", out, "--overwrite").exit_code == 0


def test_output_into_the_input_folder_is_refused(run_dir, inputs):
    before = fingerprints(inputs)
    result = enhance(run_dir, inputs / "a.png", inputs / "b.tif", "--out", inputs, "--overwrite")
    assert result.exit_code == 1 and result.stderr.count("own folder") == 2
    assert fingerprints(inputs) == before


def test_two_inputs_with_one_name_do_not_collide(run_dir, inputs, tmp_path):
    other = tmp_path / "other"
    io.write_image(other / "a.png", micrograph((32, 32), seed=3), dtype="uint8")
    result = enhance(run_dir, inputs / "a.png", other / "a.png", "--out", tmp_path / "out")
    assert result.exit_code == 1 and "already goes to" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["nowhere", "IN", "--out", "o"], "packaged models: sem-deblur"),
        (["RUN", "IN", "--out", "IN/a.png/sub"], "cannot make the output folder"),
        (["RUN", "missing.png", "--out", "o"], "file not found"),
        (["RUN", "IN", "--out", "o", "--tile", "40"], "--tile"),
        (["RUN", "IN", "--out", "o", "--workers", "1", "--scheduler", "x"], "--workers or --scheduler"),
        (["RUN", "IN", "--out", "o", "--workers", "1", "--where-blurry"], "--where-blurry runs in one process"),
        (["blind", "IN", "--out", "o", "--workers", "1"], "blind runs in one process"),
        (["RUN", "IN", "--out", "o", "--workers", "1", "--no-limit-to-support"], "limit-to-support runs in one process"),
        (["blind", "IN", "--out", "o", "--limit-to-support"], "applies to networks"),
        (["RUN", "IN", "--out", "o", "--workers", "1", "--keep-grey-levels"], "keep-grey-levels runs in one process"),
        (["unsharp", "IN", "--out", "o", "--no-keep-grey-levels"], "applies to networks"),
    ],
)
def test_user_errors_are_one_line(run_dir, inputs, tmp_path, args, message):
    args = [a.replace("RUN", str(run_dir)).replace("IN", str(inputs)) for a in args]
    result = CliRunner().invoke(main, ["enhance", *args], catch_exceptions=False)
    assert result.exit_code != 0 and message in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("extra", [["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:1"], ["ZARR"]])
def test_cluster_options_without_dask_are_one_line(run_dir, inputs, tmp_path, monkeypatch, extra):
    for name in ("dask", "distributed", "zarr"):
        monkeypatch.setitem(sys.modules, name, None)  # as if the extra were not installed
    (tmp_path / "in.zarr").mkdir()
    (tmp_path / "in.zarr" / "zarr.json").write_text("{}")
    extra = [str(tmp_path / "in.zarr") if e == "ZARR" else e for e in extra]
    args = [str(run_dir), *([] if str(tmp_path / "in.zarr") in extra else [str(inputs)]), *extra]
    result = CliRunner().invoke(main, ["enhance", *args, "--out", str(tmp_path / "o")], catch_exceptions=False)
    assert result.exit_code == 1 and "pip install 'cyclesem[distributed]'" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
