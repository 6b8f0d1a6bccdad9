"""Tests of `cyclesem train --paired` through click's runner, and its runs in enhance and compare."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem.cli import main
from tests.helpers import MICRO_PAIRED_CLI, one_line_error  # noqa: E402


def invoke(*args):
    return CliRunner().invoke(main, [*map(str, args)])


@pytest.fixture
def pair_folders(tmp_path):
    """Four pairs from two source images: a smooth field and a blurred copy, 40 x 44 px."""
    rng = np.random.default_rng(0)
    for side in ("blurry", "sharp"):
        (tmp_path / side).mkdir()
    for name in ("1-1_s000", "1-1_s001", "2-1_s000", "2-1_s001"):
        sharp = cv2.GaussianBlur((rng.random((40, 44)) * 255).astype(np.float32), (0, 0), 1.0)
        cv2.imwrite(str(tmp_path / "sharp" / f"{name}.png"), sharp.astype(np.uint8))
        cv2.imwrite(str(tmp_path / "blurry" / f"{name}.png"), cv2.GaussianBlur(sharp, (0, 0), 2.0).astype(np.uint8))
    return tmp_path / "blurry", tmp_path / "sharp"


def train_paired(folders, out, *extra):
    return invoke("train", "--paired", "--blurry", folders[0], "--sharp", folders[1], "--out", out,
                  "--preset", "tiny", "--crop", 32, "--batch", 2, *MICRO_PAIRED_CLI, *extra)


def test_unmatched_files_stop_the_run_before_training_with_one_message(pair_folders, tmp_path):
    blurry, sharp = pair_folders
    (blurry / "2-1_s001.png").rename(blurry / "2-1_s009.png")
    (sharp / "1-1_s000.png").unlink()
    result = train_paired(pair_folders, tmp_path / "run", "--steps", 1)
    one_line_error(result, "2 blurry file(s) without a sharp partner: 1-1_s000.png, 2-1_s009.png",
                   "1 sharp file(s) without a blurry partner: 2-1_s001.png")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, fragments", [
    (["--paired", "--blurry", "B"], ["--paired needs", "--sharp", "--out"]),
    (["--paired", "--blurry", "B", "--sharp", "S", "--clear", "C", "--out", "R"], ["does not take --clear"]),
    (["--unpaired", "--blurry", "B", "--clear", "C", "--sharp", "S", "--model", "nafnet", "--out", "R"],
     ["--unpaired does not take", "--sharp", "--model"]),
    (["--paired", "--unpaired"], ["not both"]),
    (["--paired", "--blurry", "B", "--sharp", "S", "--out", "R", "--val-fraction", "0.2", "--val-blurry", "V"],
     ["--val-fraction or --val-blurry/--val-sharp"]),
    (["--paired", "--blurry", "B", "--sharp", "S", "--out", "R", "--val-blurry", "V"], ["go together"]),
])
def test_usage_errors_are_one_line(args, fragments):
    one_line_error(invoke("train", *args), *fragments)


def _check_run(run, model):
    config = json.loads((run / "config.json").read_text())
    state = json.loads((run / "state.json").read_text())
    assert config["kind"] == state["kind"] == model and config["train"]["crop"] == 32
    assert state["step"] == 2 and state["finished"] and state["best"]["step"] == 2
    assert {"generator.keras", "best.keras", "losses.csv"} <= {p.name for p in run.iterdir()}
    return config


def test_midnet_registered_with_a_held_out_fraction(pair_folders, tmp_path):
    run = tmp_path / "midnet"
    result = train_paired(pair_folders, run, "--model", "midnet", "--steps", 2, "--register",
                          "--val-fraction", 0.5)
    assert result.exit_code == 0, result.output
    assert "2 training pair(s), 2 validation pair(s) (registered)" in result.output
    assert "trained to step 2 of 2" in result.output and "best validation psnr" in result.output
    assert _check_run(run, "midnet")["data"]["register"]
    _enhance_and_compare(run, "midnet", pair_folders, tmp_path)


def test_nafnet_with_validation_folders_resumed(pair_folders, tmp_path):
    run = tmp_path / "nafnet"
    result = train_paired(pair_folders, run, "--model", "nafnet", "--steps", 1, "--seed", 5,
                          "--val-blurry", pair_folders[0], "--val-sharp", pair_folders[1])
    assert result.exit_code == 0, result.output
    assert "4 training pair(s), 4 validation pair(s)" in result.output
    result = invoke("train", "--resume", run, "--steps", 2)
    assert result.exit_code == 0, result.output
    assert "Resuming from step 1" in result.output and "trained to step 2 of 2" in result.output
    config = _check_run(run, "nafnet")
    assert config["train"]["steps"] == 2 and config["train"]["seed"] == 5 and config["data"]["val_fraction"] == 0
    _enhance_and_compare(run, "nafnet", pair_folders, tmp_path)


def _enhance_and_compare(run, model, pair_folders, tmp_path):
    """The run works in `cyclesem enhance` and `cyclesem compare` like a CycleGAN run."""
    result = invoke("enhance", run, pair_folders[0], "--out", tmp_path / "enhanced")
    assert result.exit_code == 0, result.output
    for name in ("1-1_s000.png", "2-1_s001.png"):
        enhanced = cv2.imread(str(tmp_path / "enhanced" / name), cv2.IMREAD_UNCHANGED)
        assert enhanced.shape == (40, 44) and enhanced.dtype == np.uint8
    result = invoke("compare", "--pairs", *pair_folders, "--register", "--methods", f"identity,{run}",
                    "--out", tmp_path / "compare")
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "compare" / "metrics.csv").read_text().splitlines()
    assert sum(f",{model}," in row for row in rows) == 4  # the run's rows, one per pair


def test_init_fine_tunes_a_run_and_refuses_another_network_in_one_line(pair_folders, tmp_path):
    source = tmp_path / "source"
    assert train_paired(pair_folders, source, "--steps", 1).exit_code == 0
    result = train_paired(pair_folders, tmp_path / "tuned", "--steps", 1, "--init", source)
    assert result.exit_code == 0, result.output
    assert "starting from source: midnet" in result.output
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert config["train"]["init"] == str(source.resolve())
    assert config["model"] == json.loads((source / "config.json").read_text())["model"]
    one_line_error(train_paired(pair_folders, tmp_path / "wide", "--steps", 1, "--init", source,
                                "--set", "model.width=8"), "--init", "is not this run's")
    assert not (tmp_path / "wide").exists()
    one_line_error(train_paired(pair_folders, tmp_path / "r2", "--init", "sem-nope"),
                   "unknown model 'sem-nope'", "sem-deblur")
    one_line_error(invoke("train", "--resume", tmp_path / "tuned", "--init", source), "--resume takes only --steps")
