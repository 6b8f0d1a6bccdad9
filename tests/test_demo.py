"""`cyclesem demo --quick`: every stage of the product on generated data."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from cyclesem.cli import main
from cyclesem.demo import QUICK_DEMO


@pytest.fixture(scope="module")
def quick_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(main, ["demo", "--quick", "--out", str(out)])
    return out, result


def test_quick_demo_runs_every_stage(quick_demo):
    out, result = quick_demo
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["benchmark", "cyclegan", "enhanced", "report"]
    tests = sorted(p.name for p in (out / "benchmark" / "test" / "blurry").iterdir())
    assert tests and sorted(p.name for p in (out / "enhanced").iterdir()) == tests
    assert (out / "cyclegan" / "generator.keras").is_file()
    assert "Report:" in result.output and str(out / "report" / "report.html") in result.output


def test_the_demo_run_writes_the_networks_own_grey_levels(quick_demo):
    import json

    out, _ = quick_demo
    saved = json.loads((out / "cyclegan" / "config.json").read_text())
    assert saved["enhance"]["keep_grey_levels"] is False  # the demo's fog is part of what it undoes


def test_quick_demo_scores_every_method_on_every_test_image(quick_demo):
    out, _ = quick_demo
    with open(out / "report" / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    methods = {row["method"] for row in rows}
    assert methods == set(QUICK_DEMO.methods) | {"cyclegan"}
    images = {row["image"] for row in rows}
    assert len(rows) == len(methods) * len(images)
    assert all(float(row["psnr"]) > 10 for row in rows)


def test_summary_table_is_printed(quick_demo):
    _, result = quick_demo
    table = [line for line in result.output.splitlines() if line.startswith("| ")]
    names = {line.split("|")[1].strip() for line in table}
    assert {"identity", "wiener", "blind", "unsharp", "cyclegan"} <= names


def test_an_earlier_demo_is_kept_without_overwrite(quick_demo):
    out, _ = quick_demo
    result = CliRunner().invoke(main, ["demo", "--quick", "--out", str(out)])
    assert result.exit_code != 0
    assert "--overwrite" in result.output and "Traceback" not in result.output
    assert (out / "cyclegan" / "generator.keras").is_file()


def test_a_folder_of_other_files_is_never_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["demo", "--quick", "--overwrite", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "refusing" in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"

