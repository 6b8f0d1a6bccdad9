"""Tests for cyclesem.restore.distributed (files as tasks) and chunked enhancement on a local cluster.

One LocalCluster of 2 worker processes serves the whole module (starting a
process that imports TensorFlow is the slow part); the command-line test for
``enhance --scheduler`` is here too, so it needs no cluster of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner
from tests.conftest import PROJECT_ROOT

from cyclesem import io
from cyclesem.cli import main
from cyclesem.restore.enhance import enhance_file
from cyclesem.restore.runs import load_run
from cyclesem.restore.tiling import TileSpec

pytest.importorskip("distributed")
zarr = pytest.importorskip("zarr")

from cyclesem.restore.chunked import enhance_zarr  # noqa: E402 - needs dask
from cyclesem.restore.distributed import cluster_client, enhance_files  # noqa: E402
from tests.helpers import file_digest, make_run, micrograph, with_info_bar  # noqa: E402

TILES = TileSpec(tile=128)  # what --tile 128 gives


@pytest.fixture(scope="module")
def client():
    with cluster_client(workers=2) as connected:  # its close survives nannies slow to stop on a loaded machine
        yield connected


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("dist") / "run")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dist-in")
    for k in range(8):
        content = micrograph((384 + 16 * k, 320), seed=k)
        pixels = with_info_bar(content) if k % 2 else content
        suffix, dtype = [(".tif", "uint16"), (".png", "uint8"), (".tif", "float32")][k % 3]
        io.write_image(folder / f"f{k}{suffix}", pixels, dtype=dtype)
    return sorted(folder.iterdir())


@pytest.fixture(scope="module")
def single(run_dir, inputs, tmp_path_factory):
    """Digests of the single-process path's outputs."""
    out = tmp_path_factory.mktemp("single")
    run = load_run(run_dir)
    for path in inputs:
        enhance_file(run, path, out / path.name, tile=TILES)
    return {path.name: file_digest(out / path.name) for path in inputs}


def test_files_as_tasks_write_the_single_process_bytes(client, run_dir, inputs, single, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    jobs = [(path, tmp_path / "out" / path.name) for path in [*inputs, broken]]
    finished = []
    described, failures = enhance_files(client, run_dir, jobs, tile=TILES, progress=finished.append)
    assert described.startswith("run: cyclegan")
    assert len(finished) == len(jobs)
    assert [path for path, _ in failures] == [str(broken)] and "PNG" in failures[0][1]
    assert {p.name: file_digest(p) for p in (tmp_path / "out").iterdir()} == single


def test_a_killed_worker_loses_no_output(client, run_dir, inputs, single, tmp_path):
    killed = []

    def kill_a_busy_worker(_):
        if killed:
            return
        busy = [addr for addr, keys in client.processing().items() if keys]
        for pid in client.run(os.getpid, workers=busy[:1]).values():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    jobs = [(path, tmp_path / "out" / path.name) for path in inputs]
    _, failures = enhance_files(client, run_dir, jobs, tile=TILES, progress=kill_a_busy_worker)
    assert killed and failures == []
    assert sorted(os.listdir(tmp_path / "out")) == sorted(single)  # no temporary file left
    assert {p.name: file_digest(p) for p in (tmp_path / "out").iterdir()} == single


def test_cli_on_a_running_scheduler_reports_an_existing_output(client, run_dir, inputs, single, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / inputs[0].name).write_bytes(b"older")
    args = ["enhance", str(run_dir), *map(str, inputs), "--out", str(out), "--tile", "128"]
    result = CliRunner().invoke(main, [*args, "--scheduler", client.scheduler.address])
    assert result.exit_code == 1 and "1 of 8 file(s) failed" in result.stderr and "--overwrite" in result.stderr
    assert (out / inputs[0].name).read_bytes() == b"older"
    assert {p.name: file_digest(p) for p in out.iterdir() if p != out / inputs[0].name} == {
        name: value for name, value in single.items() if name != inputs[0].name
    }


def test_zarr_mosaic_equals_the_in_memory_tiled_result(client, run_dir, tmp_path):
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:4096, :4096]
    image = (0.5 + 0.3 * np.sin(xx / 9.0) * np.cos(yy / 13.0) + 0.1 * rng.random((4096, 4096))).astype(np.float32)
    del yy, xx
    source = zarr.create_array(str(tmp_path / "in.zarr"), shape=image.shape, chunks=(512, 512), dtype="float32")
    source[:] = image
    address = client.scheduler.address
    enhance_zarr(run_dir, tmp_path / "in.zarr", tmp_path / "out.zarr", tile=TileSpec(), scheduler=address)
    result = zarr.open_array(str(tmp_path / "out.zarr"), mode="r")
    assert result.chunks == (512, 512) and result.dtype == np.float32
    expected = load_run(run_dir).enhance(image, tile=TileSpec())
    np.testing.assert_allclose(result[:], expected, atol=1e-3)
    assert np.abs(expected - image).max() > 1e-2  # the network did something


def test_the_single_process_path_never_imports_dask(run_dir, inputs, tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        from click.testing import CliRunner
        from cyclesem.cli import main
        result = CliRunner().invoke(main, ["enhance", {str(run_dir)!r}, {str(inputs[0])!r},
                                           "--out", {str(tmp_path / "out")!r}, "--tile", "128"])
        assert result.exit_code == 0, result.output
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed", "zarr")))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "out" / inputs[0].name).is_file()
