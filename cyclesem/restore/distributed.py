"""Enhancing many files on a Dask cluster: one task per file, one network per worker.

``cyclesem enhance --workers N`` starts a :class:`distributed.LocalCluster` of
``N`` worker processes; ``--scheduler ADDRESS`` connects to a running cluster
(``dask scheduler`` + ``dask worker``, dask-jobqueue on SLURM, dask-kubernetes),
whose workers must see the run folder, the inputs and the output folder under
the same paths (a shared file system) and have cyclesem installed.

Each file is one task calling :func:`cyclesem.restore.enhance.enhance_file`, so
a worker writes exactly the bytes the single-process path writes, atomically
(:func:`cyclesem.io.outputs.write_atomic`: a hidden temporary file renamed into
place). A worker process loads the network (a run folder, an ONNX file or a
package: :func:`cyclesem.restore.enhancer.load_network`) on its first task and
keeps it (:func:`worker_run`). A file that fails is
reported, not raised, so the others go on. A worker lost mid-task (killed,
out of memory, its node gone) makes the scheduler run the task again elsewhere;
since outputs appear only by rename, the lost attempt leaves no partial output,
only a hidden temporary file that :func:`enhance_files` removes at the end.

Only this module and :mod:`cyclesem.restore.chunked` import Dask; the
single-process path never does.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path
from typing import Callable, Iterator

from cyclesem.errors import CyclesemError
from cyclesem.restore.tiling import TileSpec

__all__ = ["cluster_client", "enhance_batch_on_cluster", "enhance_files", "gather_tasks", "network_address", "require_dask", "warm_workers", "worker_run"]

_HINT = "Dask is not installed: pip install 'cyclesem[distributed]' (dask[distributed], zarr)"
_RUNS: dict[str, object] = {}
_RUNS_LOCK = threading.Lock()


def require_dask():
    """Import and return :mod:`distributed`, or raise a one-line CyclesemError."""
    try:
        import distributed
    except ImportError:
        raise CyclesemError(_HINT) from None
    return distributed


@contextlib.contextmanager
def cluster_client(workers: int | None = None, scheduler: str | None = None) -> Iterator:
    """A :class:`distributed.Client` on a new local cluster or an existing scheduler.

    Parameters
    ----------
    workers : int, optional
        Start a local cluster of this many worker processes (one thread each;
        TensorFlow uses the cores itself).
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); used instead.

    Yields
    ------
    distributed.Client
    """
    distributed = require_dask()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="30s")
        except OSError as exc:
            raise CyclesemError(f"cannot reach the Dask scheduler ({' '.join(str(exc).split())})", scheduler) from None
        with client:
            yield client
        return
    if workers is None or workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    cluster = distributed.LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        with distributed.Client(cluster) as client:
            yield client
    finally:
        _close(cluster)


def _close(cluster) -> None:
    """Stop a local cluster; on a starved machine its nannies may outlast the close timeout.

    They kill their worker processes themselves then, so a timeout once the
    work is done must not fail the command (seen at load 15 on 2 cores).
    """
    import logging

    quiet = [logging.getLogger(name) for name in ("tornado.application", "distributed.nanny")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)  # the timeout is also logged with a traceback
    try:
        cluster.close(timeout=60)
    except TimeoutError:
        pass
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)


def network_address(run: str | os.PathLike) -> str:
    """``run`` as workers should see it: an existing path made absolute, a packaged model's name kept."""
    path = Path(run)
    return str(path.resolve()) if path.exists() else str(run)


def worker_run(run_path: str):
    """The network at ``run_path``, loaded once per process and kept (a worker's cache).

    Parameters
    ----------
    run_path : str
        A run folder, ONNX file or package (absolute, as the worker sees it),
        or a packaged model's name (:func:`network_address`).

    Returns
    -------
    cyclesem.restore.runs.Run or cyclesem.restore.onnx_runtime.OnnxNetwork
    """
    from cyclesem.restore.enhancer import load_network

    with _RUNS_LOCK:
        if run_path not in _RUNS:
            _RUNS[run_path] = load_network(run_path)
        return _RUNS[run_path]


def _describe(run_path: str) -> str:
    """Load the run on this worker (warming its cache) and describe it."""
    return worker_run(run_path).describe()


def _enhance_task(run_path: str, source: str, target: str, tile: TileSpec | None) -> str | None:
    """Enhance one file on a worker; the problem as one line, or None when written."""
    from cyclesem.restore.enhance import enhance_file, failure_line

    try:
        enhance_file(worker_run(run_path), source, target, overwrite=True, tile=tile)
    except Exception as exc:  # noqa: BLE001 - reported at the end, the batch goes on
        return failure_line(exc, Path(source))
    return None


def enhance_files(
    client,
    run_path: str | os.PathLike,
    jobs: list[tuple[Path, Path]],
    *,
    tile: TileSpec | None = None,
    progress: Callable[[int], object] | None = None,
) -> tuple[str, list[tuple[str, str]]]:
    """Enhance ``(source, target)`` files as tasks on ``client``'s cluster.

    Parameters
    ----------
    client : distributed.Client
        From :func:`cluster_client`.
    run_path : str or os.PathLike
        The run folder, ONNX file or package; loaded by every worker first
        (fails early if broken).
    jobs : list of (Path, Path)
        Input file and output file; outputs are written even if they exist
        (check that before, as the single-process path does).
    tile : TileSpec, optional
        Tiling inside each file.
    progress : callable, optional
        Called with 1 as each file finishes (written or failed).

    Returns
    -------
    (str, list of (str, str))
        The run's description, and the files that failed with their problem,
        in input order.

    Raises
    ------
    CyclesemError
        If the run does not load on a worker.
    """
    run_path = network_address(run_path)
    described = warm_workers(client, run_path)
    calls = [(run_path, str(src.resolve()), str(dst.resolve()), tile) for src, dst in jobs]
    outcomes = gather_tasks(client, _enhance_task, calls, progress=progress)
    _remove_leftovers(jobs)
    return described, [(str(src), problem or result) for (src, _), (result, problem) in zip(jobs, outcomes)
                       if problem or result]


def enhance_batch_on_cluster(
    run: str | os.PathLike,
    files: list,
    out_dir: str | os.PathLike,
    *,
    cluster: tuple[int | None, str | None] = (None, None),
    overwrite: bool = False,
    tile: TileSpec | None = None,
    progress: Callable[[int], object] | None = None,
):
    """:func:`cyclesem.restore.enhance.enhance_batch` with the files as tasks on a Dask cluster.

    Parameters
    ----------
    run : str or os.PathLike
        A run folder, ONNX file, package or packaged model's name (every worker loads it).
    files : list of Path
        Image files.
    out_dir : str or os.PathLike
        The output folder (as :func:`~cyclesem.restore.enhance.enhance_batch`;
        outputs are checked before any task starts).
    cluster : (int or None, str or None)
        ``(workers, scheduler)`` for :func:`cluster_client`.
    overwrite : bool
        Replace existing outputs.
    tile : TileSpec, optional
        Tiling inside each file.
    progress : callable, optional
        Called with 1 as each file finishes on the cluster.

    Returns
    -------
    cyclesem.restore.enhance.BatchResult
    """
    from cyclesem.restore.enhance import BatchResult, batch_output_folder, batch_targets

    require_dask()
    with batch_output_folder(out_dir):
        planned = batch_targets(files, out_dir, overwrite=overwrite)
        jobs = [(path, target) for path, target, _ in planned if target is not None]
        with cluster_client(*cluster) as client:
            described, problems = enhance_files(client, run, jobs, tile=tile, progress=progress)
    failed = dict(problems) | {str(path): problem for path, _, problem in planned if problem}
    written = [(path, target) for path, target, _ in planned if target is not None and str(path) not in failed]
    failures = [(str(path), failed[str(path)]) for path, _, _ in planned if str(path) in failed]
    return BatchResult(written, failures, described)


def gather_tasks(client, function: Callable, calls: list[tuple], *, progress: Callable[[int], object] | None = None
                 ) -> list[tuple[object, str | None]]:
    """``function(*call)`` for every call, as tasks on ``client``; the outcomes in call order.

    Parameters
    ----------
    client : distributed.Client
        From :func:`cluster_client`.
    function : callable
        A module-level function (workers import it by name).
    calls : list of tuple
        Its picklable arguments, one tuple per task.
    progress : callable, optional
        Called with 1 as each task finishes (done or failed).

    Returns
    -------
    list of (result, problem)
        ``(value, None)`` for a task that returned, ``(None, one line)`` for
        one that raised or whose workers kept dying; never raises for a task.
    """
    from cyclesem.restore.enhance import failure_line

    distributed = require_dask()
    futures = {client.submit(function, *call, pure=False): k for k, call in enumerate(calls)}
    outcomes: list[tuple[object, str | None]] = [(None, None)] * len(calls)
    for future in distributed.as_completed(futures):
        try:
            outcomes[futures[future]] = (future.result(), None)
        except distributed.KilledWorker:
            outcomes[futures[future]] = (None, "the workers running it kept dying (out of memory?); not done")
        except Exception as exc:  # noqa: BLE001 - one failing task must not stop the others
            outcomes[futures[future]] = (None, failure_line(exc))
        if progress is not None:
            progress(1)
    return outcomes


def warm_workers(client, run_path: str) -> str:
    """Load the run on the current workers (in parallel, best effort); its description.

    A task may run elsewhere if its worker is gone (never waits for a lost one).

    Raises
    ------
    CyclesemError
        If the run does not load (raised on the worker, passed back here).
    """
    workers = list(client.scheduler_info().get("workers", {})) or [None]
    futures = [
        client.submit(_describe, run_path, pure=False, **({"workers": [w], "allow_other_workers": True} if w else {}))
        for w in workers
    ]
    return client.gather(futures)[0]


def _remove_leftovers(jobs: list[tuple[Path, Path]]) -> None:
    """Delete the temporary files of attempts lost with their worker (named as ``write_atomic`` names them)."""
    for _, target in jobs:
        pattern = re.compile(rf"\.{re.escape(target.stem)}\.[0-9a-f]{{8}}\.partial{re.escape(target.suffix)}")
        for temp in target.parent.glob(".*.partial*"):
            if pattern.fullmatch(temp.name):
                temp.unlink(missing_ok=True)
