"""`cyclesem enhance` writes nothing non-finite and leaves no empty or unchecked --out (issue 17, cases 3, 5)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem import io
from cyclesem.cli import main
from cyclesem.errors import CyclesemError
from tests.helpers import make_run, micrograph, tiny_network  # noqa: E402


def enhance(*args):
    return CliRunner().invoke(main, ["enhance", *map(str, args)])


@pytest.fixture(scope="module")
def nan_run(tmp_path_factory):
    network = tiny_network()
    network.set_weights([np.full_like(w, np.nan) for w in network.get_weights()])
    return make_run(tmp_path_factory.mktemp("nan") / "run", network)


@pytest.fixture
def one_input(tmp_path):
    return io.write_image(tmp_path / "in" / "a.png", micrograph((48, 64), seed=1), dtype="uint8")


def test_write_image_refuses_non_finite_pixels(tmp_path):
    image = np.zeros((8, 8), np.float32)
    image[3, 3] = np.nan
    with pytest.raises(CyclesemError, match="non-finite"):
        io.write_image(tmp_path / "x.png", image)
    assert not (tmp_path / "x.png").exists()


def test_a_network_giving_nan_writes_nothing_and_leaves_no_empty_out(nan_run, one_input, tmp_path):
    result = enhance(nan_run, one_input, "--out", tmp_path / "out")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "non-finite" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions, not root")
def test_a_read_only_out_is_one_line_before_any_work(nan_run, one_input, tmp_path):
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = enhance(nan_run, one_input, "--out", out)
    finally:
        out.chmod(0o700)
    assert result.exit_code != 0 and "not writable" in result.output and "Traceback" not in result.output
    assert "non-finite" not in result.output  # refused before enhancing anything
