"""Benchmark scale-out: files on 1 and 2 Dask worker processes against one process; Zarr mosaics.

Uses a freshly initialised generator of the chosen preset in a run folder
(weights change neither speed nor memory) and 16-bit inputs.

Files (one run, same files, same machine): ``--images`` TIFFs of ``--size``
pixels enhanced

- by the single-process path (:func:`cyclesem.restore.enhance.enhance_file` in
  a loop, in this process, after loading the run and tracing the graph on one
  file);
- as tasks on a local cluster of 1 and of 2 worker processes
  (:func:`cyclesem.restore.distributed.enhance_files`), after every worker has
  loaded the run and enhanced one file.

Printed: images and megapixels per second in steady state, the wall time with
start-up (a new cluster, loading TensorFlow and the network) and each path's
speed over the single process's (``ratio``).

Mosaics: a ``--mosaics`` side Zarr array in ``--chunk`` chunks enhanced with
:func:`cyclesem.restore.chunked.enhance_zarr` on a fresh cluster of
``--mosaic-workers`` processes; each worker's peak resident memory
(``ru_maxrss``) is printed with its resident size once the run was loaded, and
the ratio of the largest mosaic's peak to the smallest's. Flat peaks across
mosaic sizes mean memory is bounded by the chunk, not the mosaic.

Run it niced from the project root, the machine is shared::

    nice .venv/bin/python -m experiments.bench_scale --images 12 --size 1024 --mosaics 2048 8192
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from experiments.bench_enhance import make_run, textured_rows, write_input


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=12, help="files in the batch (0: mosaics only)")
    parser.add_argument("--size", type=int, default=1024, help="side of each file in pixels")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="cluster sizes compared")
    parser.add_argument("--mosaics", type=int, nargs="*", default=[2048, 8192], help="Zarr mosaic sides")
    parser.add_argument("--chunk", type=int, default=1024, help="Zarr chunk side")
    parser.add_argument("--mosaic-workers", type=int, default=2, help="worker processes for the mosaics")
    parser.add_argument("--preset", default="tiny", help="generator preset (tiny, small, paper)")
    parser.add_argument("--tile", type=int, default=512, help="largest tile side")
    return parser.parse_args(argv)


def peak_mb() -> float:
    """This process's peak resident memory in MB (Linux ``ru_maxrss`` is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb() -> float:
    """This process's resident memory now, in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def versions() -> str:
    """CPU model and the versions that matter here, for the results table."""
    import platform

    import dask
    import distributed
    import keras
    import tensorflow as tf
    import zarr

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return (f"{cpu}, Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
            f"dask {dask.__version__}, distributed {distributed.__version__}, zarr {zarr.__version__}")


def single_process(run_dir: Path, files: list[Path], out: Path, tile) -> dict:
    from cyclesem.restore.enhance import enhance_file
    from cyclesem.restore.runs import load_run

    start = time.perf_counter()
    run = load_run(run_dir)
    enhance_file(run, files[0], out / "warm.tif", tile=tile)
    warm = time.perf_counter() - start
    start = time.perf_counter()
    for path in files:
        enhance_file(run, path, out / path.name, tile=tile, overwrite=True)
    return {"steady_s": time.perf_counter() - start, "wall_s": warm + time.perf_counter() - start}


def on_cluster(run_dir: Path, files: list[Path], out: Path, tile, workers: int) -> dict:
    from cyclesem.restore.distributed import cluster_client, enhance_files

    start = time.perf_counter()
    with cluster_client(workers) as client:
        warm_jobs = [(files[k % len(files)], out / f"warm{k}.tif") for k in range(workers)]
        enhance_files(client, run_dir, warm_jobs, tile=tile)
        warm = time.perf_counter() - start
        begin = time.perf_counter()
        _, failures = enhance_files(client, run_dir, [(p, out / p.name) for p in files], tile=tile)
        steady = time.perf_counter() - begin
    if failures:
        raise SystemExit(f"failures: {failures}")
    return {"steady_s": steady, "wall_s": warm + steady}


def files_table(run_dir: Path, folder: Path, args, tile) -> None:
    """Time the batch of files on each path; print each row as it is measured, with its ratio to the single process."""
    (folder / "in").mkdir()
    files = [folder / "in" / f"f{k:03d}.tif" for k in range(args.images)]
    for path in files:
        write_input(path, args.size)
    megapixels = args.images * args.size**2 / 1e6
    print(f"\n{args.images} files of {args.size}x{args.size}, preset {args.preset}, tile {args.tile}")
    print("| path | images/s | MP/s | steady s | wall s (with start-up) | ratio to single | load (1 min) |")
    print("|---|---:|---:|---:|---:|---:|---:|", flush=True)
    base = None
    for workers in [0, *args.workers]:
        out = _fresh(folder / f"w{workers}")
        row = on_cluster(run_dir, files, out, tile, workers) if workers else single_process(run_dir, files, out, tile)
        base = base or row["steady_s"]
        name = f"{workers} worker process(es)" if workers else "single process"
        print(f"| {name} | {args.images / row['steady_s']:.2f} | {megapixels / row['steady_s']:.2f} "
              f"| {row['steady_s']:.1f} | {row['wall_s']:.1f} | {base / row['steady_s']:.2f} "
              f"| {os.getloadavg()[0]:.1f} |", flush=True)


def write_mosaic(path: Path, side: int, chunk: int) -> None:
    """A 16-bit Zarr mosaic with texture, written one chunk row at a time."""
    import zarr

    array = zarr.create_array(str(path), shape=(side, side), chunks=(chunk, chunk), dtype="uint16")
    rng = np.random.default_rng(side)
    for row in range(0, side, chunk):
        array[row : row + chunk] = textured_rows(side, row, min(row + chunk, side), rng)


def mosaic(run_dir: Path, folder: Path, side: int, args, tile) -> dict:
    from cyclesem.restore.chunked import enhance_zarr
    from cyclesem.restore.distributed import cluster_client, warm_workers

    source = folder / f"mosaic{side}.zarr"
    write_mosaic(source, side, args.chunk)
    with cluster_client(args.mosaic_workers) as client:
        warm_workers(client, str(run_dir.resolve()))
        loaded = client.run(resident_mb)
        start = time.perf_counter()
        enhance_zarr(run_dir, source, folder / f"out{side}.zarr", tile=tile, scheduler=client.scheduler.address)
        seconds = time.perf_counter() - start
        peaks = client.run(peak_mb)
    return {"side": side, "chunk": args.chunk, "workers": args.mosaic_workers, "seconds": round(seconds, 1),
            "MP/s": round(side * side / seconds / 1e6, 3), "loaded_mb": [round(v) for v in loaded.values()],
            "peak_mb": [round(v) for v in peaks.values()], "load_1min": round(os.getloadavg()[0], 1)}


def main(argv=None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from cyclesem.restore.tiling import TileSpec

    tile = TileSpec(tile=args.tile)
    print(f"load average at start: {os.getloadavg()}, {os.cpu_count()} CPUs; {versions()}", flush=True)
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        folder = Path(tmp)
        make_run(folder / "run", args.preset)
        if args.images:
            files_table(folder / "run", folder, args, tile)
        results = []
        for side in args.mosaics:
            results.append(mosaic(folder / "run", folder, side, args, tile))
            print(json.dumps(results[-1]), flush=True)
        if len(results) > 1:
            ratio = max(results[-1]["peak_mb"]) / max(results[0]["peak_mb"])
            print(f"peak per worker, {results[-1]['side']} over {results[0]['side']} mosaic: {ratio:.2f} "
                  f"(pixels x{(results[-1]['side'] / results[0]['side']) ** 2:.0f})")
    print(f"load average at end: {os.getloadavg()}; {time.perf_counter() - began:.0f} s in all")


def _fresh(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder


if __name__ == "__main__":
    main()
