"""Tests of `cyclesem train` through click's runner."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem.cli import main
from tests.helpers import one_line_error  # noqa: E402


def invoke(*args):
    return CliRunner().invoke(main, ["train", *map(str, args)])


@pytest.fixture
def folders(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("blurry", "clear"):
        (tmp_path / name).mkdir()
        for index in range(2):
            image = (rng.random((40, 44)) * 255).astype(np.uint8)
            cv2.imwrite(str(tmp_path / name / f"{name}{index}.png"), image)
    return tmp_path / "blurry", tmp_path / "clear"


def test_missing_folder(folders, tmp_path):
    blurry, _ = folders
    result = invoke("--unpaired", "--blurry", blurry, "--clear", tmp_path / "nowhere", "--out", tmp_path / "run")
    one_line_error(result, str(tmp_path / "nowhere"), "not found")
    assert not (tmp_path / "run").exists()


def test_empty_folder(folders, tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke("--unpaired", "--blurry", tmp_path / "empty", "--clear", folders[1], "--out", tmp_path / "run")
    one_line_error(result, str(tmp_path / "empty"), "no image files")


def test_non_empty_output_folder(folders, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    result = invoke("--unpaired", "--blurry", folders[0], "--clear", folders[1], "--out", tmp_path / "run")
    one_line_error(result, "not empty", "--resume", "--overwrite")
    result = invoke("--unpaired", "--blurry", folders[0], "--clear", folders[1], "--out", tmp_path / "run",
                    "--overwrite")
    one_line_error(result, "not part of a run")
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"


def test_bad_settings_are_listed_together(folders, tmp_path):
    result = invoke("--unpaired", "--blurry", folders[0], "--clear", folders[1], "--out", tmp_path / "run",
                    "--set", "loss.cycel=3", "--set", "train.steps=-1")
    one_line_error(result, "loss.cycel", "'steps' must be > 0")


def test_usage_errors(folders, tmp_path):
    one_line_error(invoke("--blurry", folders[0]), "--unpaired")
    one_line_error(invoke("--unpaired", "--blurry", folders[0]), "--clear", "--out")
    one_line_error(invoke("--resume", tmp_path, "--preset", "tiny"), "--resume takes only --steps", "--preset")
    one_line_error(invoke("--resume", tmp_path), "no config.json")


def test_train_then_resume(folders, tmp_path):
    out = tmp_path / "run"
    common = ["--set", "runtime.eager=true", "--set", "model.generator.width=4",
              "--set", "model.discriminator.width=4", "--set", "loss.identity=0"]
    result = invoke("--unpaired", "--blurry", folders[0], "--clear", folders[1], "--out", out,
                    "--preset", "tiny", "--steps", 1, "--crop", 32, "--seed", 4, *common)
    assert result.exit_code == 0, result.output
    assert "trained to step 1 of 1" in result.output
    config = json.loads((out / "config.json").read_text())
    assert config["preset"] == "tiny" and config["train"]["seed"] == 4 and config["train"]["crop"] == 32
    assert config["data"]["blurry"] == str(folders[0].resolve())
    result = invoke("--resume", out, "--steps", 2)
    assert result.exit_code == 0, result.output
    assert "Resuming from step 1" in result.output
    state = json.loads((out / "state.json").read_text())
    assert state["step"] == 2 and state["finished"]
    assert json.loads((out / "config.json").read_text())["train"]["steps"] == 2
