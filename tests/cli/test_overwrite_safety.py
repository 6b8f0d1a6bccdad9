"""`--overwrite` replaces only an output of the same kind, never an input (issue 17, case 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem.cli import main
from cyclesem.errors import CyclesemError
from cyclesem.io import write_image
from cyclesem.io.outputs import check_output_folder
from tests.helpers import folder_digest  # noqa: E402


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def write_pairs(root: Path, n: int = 3, size: int = 32) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    for index in range(n):
        image = rng.random((size, size), dtype=np.float32)
        write_image(root / "b" / f"im{index}.png", image, dtype="uint8")
        write_image(root / "s" / f"im{index}.png", image, dtype="uint8")
    return root / "b", root / "s"


@pytest.mark.parametrize("out", ["b", "s", "."])
def test_compare_overwrite_never_deletes_an_input(tmp_path, out):
    blurry, sharp = write_pairs(tmp_path)
    before = folder_digest(tmp_path)
    result = invoke("compare", "--pairs", str(blurry), str(sharp), "--methods", "identity",
                    "--out", str(tmp_path / out), "--overwrite")
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "input" in result.output
    assert folder_digest(tmp_path) == before


def test_compare_overwrite_refuses_a_folder_that_is_not_a_report(tmp_path):
    blurry, sharp = write_pairs(tmp_path / "data")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work", encoding="utf-8")
    before = folder_digest(tmp_path)
    result = invoke("compare", "--pairs", str(blurry), str(sharp), "--methods", "identity",
                    "--out", str(mine), "--overwrite")
    assert result.exit_code != 0 and "not part of a report" in result.output
    assert folder_digest(tmp_path) == before


def test_compare_overwrite_replaces_its_own_report(tmp_path):
    blurry, sharp = write_pairs(tmp_path / "data")
    args = ("compare", "--pairs", str(blurry), str(sharp), "--methods", "identity", "--out", str(tmp_path / "r"))
    assert invoke(*args).exit_code == 0
    result = invoke(*args, "--overwrite")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["metrics.csv", "report.html", "report.md"]


def test_synth_overwrite_never_deletes_its_source(tmp_path):
    bench = tmp_path / "bench"
    made = invoke("synth", "--recipe", "demo", "--phantoms", "4", "--out", str(bench), "--seed", "0", "--size", "32")
    assert made.exit_code == 0, made.output
    before = folder_digest(tmp_path)
    result = invoke("synth", "--recipe", "demo", "--source", str(bench / "test" / "clear"), "--out", str(bench),
                    "--seed", "0", "--size", "32", "--overwrite")
    assert result.exit_code != 0 and "Traceback" not in result.output and "input" in result.output
    assert folder_digest(tmp_path) == before


def test_synth_overwrite_refuses_a_folder_holding_other_files(tmp_path):
    bench = tmp_path / "bench"
    made = invoke("synth", "--recipe", "demo", "--phantoms", "4", "--out", str(bench), "--seed", "0", "--size", "32")
    assert made.exit_code == 0, made.output
    (bench / "notes.txt").write_text("mine", encoding="utf-8")
    before = folder_digest(tmp_path)
    result = invoke("synth", "--recipe", "demo", "--phantoms", "4", "--out", str(bench), "--seed", "1",
                    "--size", "32", "--overwrite")
    assert result.exit_code != 0 and "not part of a benchmark" in result.output
    assert folder_digest(tmp_path) == before


def test_policy_refuses_an_input_or_a_folder_above_one(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    for out in (tmp_path / "a", tmp_path / "a" / "b", tmp_path):
        with pytest.raises(CyclesemError, match="input"):
            check_output_folder(out, True, inputs=[tmp_path / "a" / "b"])
    assert check_output_folder(tmp_path / "c", True, inputs=[tmp_path / "a" / "b"]) == tmp_path / "c"


@pytest.fixture
def read_only(tmp_path, monkeypatch):
    """A folder that ``os.access`` says cannot be written (root ignores chmod, so the check is faked)."""
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access
    def access(path, mode, **kw):
        return not (mode & os.W_OK and Path(path) == locked) and real(path, mode, **kw)

    monkeypatch.setattr(os, "access", access)
    return locked


@pytest.mark.parametrize("command", ["compare", "synth"])
@pytest.mark.parametrize("inside", [True, False])
def test_a_read_only_out_is_one_line_before_any_work(tmp_path, read_only, command, inside):
    out = read_only / "out" if inside else read_only
    if command == "compare":
        blurry, sharp = write_pairs(tmp_path)
        result = invoke("compare", "--pairs", str(blurry), str(sharp), "--methods", "identity", "--out", str(out),
                        "--overwrite")
    else:
        result = invoke("synth", "--recipe", "gaussian", "--phantoms", "3", "--size", "64", "--seed", "0",
                        "--out", str(out), "--overwrite")
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "not writable" in lines[0] and str(read_only) in lines[0], result.output


def test_the_folder_a_new_output_is_made_in_must_be_writable(tmp_path, read_only):
    with pytest.raises(CyclesemError, match="not writable"):
        check_output_folder(read_only / "new" / "deeper")
    assert check_output_folder(tmp_path / "free" / "new") == tmp_path / "free" / "new"
