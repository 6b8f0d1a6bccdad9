"""`cyclesem synth`: the command line."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from cyclesem.cli import main
from cyclesem.cli.synth import PACKAGED_RECIPES
from cyclesem.io import write_image
from synth.recipes import recipe_names


def run(*args: str):
    return CliRunner().invoke(main, ["synth", *args])


def test_phantom_benchmark_from_the_command_line(tmp_path):
    out = tmp_path / "bench"
    result = run("--recipe", "demo", "--phantoms", "5", "--out", str(out), "--seed", "2", "--size", "32")
    assert result.exit_code == 0, result.output
    assert "1 test/blurry" in result.output and "demo recipe" in result.output
    assert json.loads((out / "manifest.json").read_text())["sources"] == {"phantoms": 5}


def test_user_recipe_file(tmp_path):
    recipe = tmp_path / "soft.toml"
    recipe.write_text("[blur]\nkinds = ['gaussian']\nsigma = [0.5, 1.0]\n", encoding="utf-8")
    result = run("--recipe", str(recipe), "--phantoms", "3", "--out", str(tmp_path / "b"), "--seed", "0", "--size", "32")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["recipe"]["name"] == "soft"


def one_line_error(result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_errors_are_one_line(tmp_path):
    out = str(tmp_path / "b")
    assert "either --source" in one_line_error(run("--recipe", "demo", "--out", out, "--seed", "0"))
    both = run("--recipe", "demo", "--phantoms", "3", "--source", str(tmp_path), "--out", out, "--seed", "0")
    assert "either --source" in one_line_error(both)
    assert "no recipe" in one_line_error(run("--recipe", "nope", "--phantoms", "3", "--out", out, "--seed", "0"))
    missing = run("--recipe", "demo", "--source", str(tmp_path / "none"), "--out", out, "--seed", "0")
    assert "source folder not found" in one_line_error(missing)
    bad = tmp_path / "bad.toml"
    bad.write_text("[blur]\nsigma = [2.0, 1.0]\nspeed = 3\n", encoding="utf-8")
    line = one_line_error(run("--recipe", str(bad), "--phantoms", "3", "--out", out, "--seed", "0"))
    assert "lo > hi" in line and "blur.speed" in line
    assert not (tmp_path / "b").exists()


def test_unreadable_source_reported_at_the_end_but_benchmark_written(tmp_path):
    folder = tmp_path / "src"
    for i in range(3):
        write_image(folder / f"ok{i}.png", np.random.default_rng(i).random((32, 32)).astype(np.float32), dtype="uint8")
    (folder / "junk.png").write_bytes(b"junk")
    result = run("--recipe", "gaussian", "--source", str(folder), "--out", str(tmp_path / "b"), "--seed", "0", "--size", "32")
    assert result.exit_code == 1
    assert "1 of 4 file(s) failed" in result.output and "junk.png" in result.output
    assert (tmp_path / "b" / "manifest.json").is_file()


def test_help_names_every_packaged_recipe():
    assert tuple(recipe_names()) == PACKAGED_RECIPES
    result = CliRunner().invoke(main, ["synth", "--help"])
    assert result.exit_code == 0 and all(name in result.output for name in PACKAGED_RECIPES)
