"""The documented SLURM recipe (docs/scale-out.md, dask-jobqueue) without SLURM: its job script starts workers that enhance.

``SLURMCluster`` starts its scheduler here and only writes the batch script;
``sbatch`` would run the script's last line on a node. This test runs that line
itself, as a local process, and enhances files on the workers it starts. SLURM
itself is not run (this machine has none).
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import signal
import subprocess
import sys

import pytest
from tests.conftest import PROJECT_ROOT

from cyclesem import io
from cyclesem.restore.enhance import enhance_file
from cyclesem.restore.runs import load_run
from cyclesem.restore.tiling import TileSpec

distributed = pytest.importorskip("distributed")
jobqueue = pytest.importorskip("dask_jobqueue", reason="dask-jobqueue is not installed (the test extra installs it)")

from cyclesem.restore.distributed import enhance_files  # noqa: E402 - needs dask
from tests.helpers import file_digest, make_run, micrograph  # noqa: E402

TILES = TileSpec(tile=128)


def documented_cluster():
    """The ``SLURMCluster(...)`` of the python block in docs/scale-out.md, evaluated as written."""
    page = (PROJECT_ROOT / "docs" / "scale-out.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(from dask_jobqueue import SLURMCluster.*?)```", page, re.S)
    assert block, "docs/scale-out.md has no python block using dask_jobqueue.SLURMCluster"
    calls = [node.value for node in ast.walk(ast.parse(block.group(1)))
             if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
             and getattr(node.value.func, "id", None) == "SLURMCluster"]
    assert len(calls) == 1, "expected one `cluster = SLURMCluster(...)` in the block of docs/scale-out.md"
    return eval(compile(ast.Expression(calls[0]), "docs/scale-out.md", "eval"), {"SLURMCluster": jobqueue.SLURMCluster})


def test_the_documented_job_script_starts_workers_that_write_the_single_process_bytes(tmp_path):
    run_dir = make_run(tmp_path / "run")
    inputs = [io.write_image(tmp_path / "in" / f"f{k}.tif", micrograph((200, 160), seed=k), dtype="uint16")
              for k in range(2)]
    run = load_run(run_dir)
    for path in inputs:
        enhance_file(run, path, tmp_path / "single" / path.name, tile=TILES)
    with documented_cluster() as cluster:
        script = cluster.job_script()
        assert "#SBATCH --cpus-per-task=8" in script and "#SBATCH --partition=cpu" in script
        argv = shlex.split(script.strip().splitlines()[-1])
        assert argv[:4] == [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address]
        assert " --nworkers 2 " in f" {shlex.join(argv)} " and " --nthreads 1 " in f" {shlex.join(argv)} "
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
        job = subprocess.Popen(argv, env=env, start_new_session=True,  # what sbatch runs on a node
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with distributed.Client(cluster) as client:
                client.wait_for_workers(2, timeout=120)
                jobs = [(path, tmp_path / "out" / path.name) for path in inputs]
                _, failures = enhance_files(client, run_dir, jobs, tile=TILES)
        finally:
            os.killpg(job.pid, signal.SIGTERM)
            job.wait(timeout=120)
    assert failures == []
    assert {p.name: file_digest(p) for p in (tmp_path / "out").iterdir()} == {
        p.name: file_digest(p) for p in (tmp_path / "single").iterdir()
    }
