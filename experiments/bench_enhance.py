"""Benchmark ``cyclesem enhance``: speed, efficiency and peak memory.

Uses a freshly initialised generator of the chosen preset (weights do not
change speed or memory) in a run folder, and 16-bit TIFF inputs.

Efficiency (in this process): the generator's FLOPs on one tile, counted from
the kernel shapes and output sizes of its conv layers (2 per multiply-add),
over the median time of its compiled inference graph on that tile, against
TensorFlow's own float32 matmul GFLOP/s (2048 x 2048 products). The two are
timed in alternation, round after round, so both see the same load on a
shared machine; the ratio is of the medians.

Per image size (a fresh subprocess running :func:`cyclesem.restore.enhance.enhance_file`):

- megapixels per second, end to end (read, normalise, tiles, write; graph
  tracing included) and in steady state (between the first and the last tile);
- achieved GFLOP/s of the whole pipeline in steady state (network FLOPs of
  all tiles, overlap included, over the time the tiles took, so tile
  extraction and blending count too), and that over the matmul GFLOP/s
  measured right before and after the subprocess;
- peak memory: the subprocess's resident high-water mark (``VmHWM``), and its
  resident size once the run is loaded (TensorFlow and the network).

Runtimes (``--runtimes keras onnx``, the default): the same generator runs as
the Keras run folder (TensorFlow) and as its ONNX export (``cyclesem export``,
onnxruntime, no TensorFlow in the subprocess), on the same images, one after
the other for each size and tile; the ``ratio`` lines give ONNX over Keras
megapixels per second for each. The ``forward`` line times the two networks
alone on one tile in this process, in alternation round after round (so both
see the same load on a shared machine), and gives the ratio of the medians.

Run it niced, the machine is shared::

    nice .venv/bin/python -m experiments.bench_enhance --sizes 2048 8192 --tiles 256 512 1024
    nice .venv/bin/python -m experiments.bench_enhance --sizes 2048 4096 --tiles 512
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from cyclesem.cli.enhance import DEFAULT_TILE
from experiments import PROJECT_ROOT as PROJECT


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2048, 8192], help="image sides in pixels")
    parser.add_argument("--tiles", type=int, nargs="+", default=[256, 512, 1024],
                        help="largest tile sides compared on the first size")
    parser.add_argument("--tile", type=int, default=DEFAULT_TILE,
                        help="largest tile side for the other sizes (cyclesem enhance's default)")
    parser.add_argument("--preset", default="small", help="generator preset (tiny, small, paper)")
    parser.add_argument("--runtimes", nargs="+", choices=("keras", "onnx"), default=["keras", "onnx"],
                        help="run the network with TensorFlow (the run folder) and/or onnxruntime (its ONNX export)")
    parser.add_argument("--child", nargs=4, metavar=("MODEL", "INPUT", "OUTPUT", "TILE"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def memory_mb() -> dict:
    """This process's resident size now and its high-water mark, in MB (Linux)."""
    fields = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


def child(model: str, input_path: str, output_path: str, tile: int) -> None:
    """Enhance one file and print timings and memory as JSON (runs in a subprocess).

    ``model`` is a run folder (Keras) or an ONNX file (onnxruntime).
    """
    from cyclesem import io
    from cyclesem.restore.enhancer import load_network
    from cyclesem.restore.enhance import enhance_file
    from cyclesem.restore.tiling import TilePlan, TileSpec

    run = load_network(model)
    loaded = memory_mb()
    stamps: list[tuple[float, int]] = []
    start = time.perf_counter()
    enhance_file(run, input_path, output_path, tile=TileSpec(tile=tile),
                 progress=lambda done, total: stamps.append((time.perf_counter(), done)))
    seconds = time.perf_counter() - start
    peak = memory_mb()["VmHWM"]
    plan = TilePlan.for_shape(io.read_image(input_path).content.shape, TileSpec(tile=tile))
    print(json.dumps({"seconds": seconds, "loaded_mb": loaded["VmRSS"], "peak_mb": peak,
                      "stamps": [t - start for t, _ in stamps], "tiles": len(plan),
                      "tile_shape": plan.tile_shape}))


def make_run(folder: Path, preset: str):
    """A run folder with a freshly initialised generator; returns the network."""
    import keras

    from cyclesem.config import to_dict
    from cyclesem.nets import build_generator
    from cyclesem.config.cyclegan import resolve_cyclegan_config

    # per-image levels: a preset's "shared" levels are measured only when training creates a run
    config = resolve_cyclegan_config(preset, None, ["data.normalization=image"])
    keras.utils.set_random_seed(0)
    network = build_generator(config.model.generator, name="gen_blurry_to_clear")
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(to_dict(config)))
    (folder / "state.json").write_text(json.dumps({"step": 0, "steps": 0, "seconds": 0.0}))
    network.save(folder / "generator.keras")
    return network


def conv_flops(network, tile_shape: tuple[int, int]) -> float:
    """FLOPs (2 per multiply-add) of ``network``'s conv layers on one input of ``tile_shape``."""
    import keras

    convs = [layer for layer in network.layers
             if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    probe = keras.Model(network.inputs, [layer.output for layer in convs])
    outputs = probe.compute_output_spec(keras.KerasTensor((1, *tile_shape, 1)))
    total = 0.0
    for layer, output in zip(convs, outputs):
        pixels = output.shape[1] * output.shape[2]
        if isinstance(layer, keras.layers.Conv2DTranspose):
            pixels //= layer.strides[0] * layer.strides[1]  # one kernel pass per input pixel
        total += 2.0 * np.prod(layer.kernel.shape) * pixels
    return total


def efficiency(run_dir: Path, tile_shape: tuple[int, int], rounds: int = 9) -> dict:
    """Network GFLOP/s on one tile and matmul GFLOP/s, timed in alternation."""
    from cyclesem.restore.runs import load_run

    run = load_run(run_dir)
    tile = np.random.default_rng(0).random((1, *tile_shape), dtype=np.float32)
    run.forward(tile)  # trace the graph
    network_times, matmul = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        run.forward(tile)
        network_times.append(time.perf_counter() - start)
        matmul.append(matmul_gflops(repeats=3))
    network = conv_flops(run.network, tile_shape) / float(np.median(network_times)) / 1e9
    return {"tile_shape": list(tile_shape), "network GFLOP/s": round(network, 1),
            "matmul GFLOP/s": round(float(np.median(matmul)), 1),
            "ratio": round(network / float(np.median(matmul)), 2)}


def matmul_gflops(size: int = 2048, repeats: int = 7) -> float:
    """TensorFlow float32 matmul speed: median of ``repeats`` products of two ``size`` squares."""
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    tf.linalg.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2.0 * size**3 / float(np.median(times)) / 1e9


def write_input(path: Path, size: int) -> None:
    """A 16-bit TIFF with some texture, made without large temporaries."""
    import tifffile

    rng = np.random.default_rng(size)
    image = np.empty((size, size), np.uint16)
    for row in range(0, size, 512):
        image[row : row + 512] = textured_rows(size, row, min(row + 512, size), rng)
    tifffile.imwrite(path, image)


def textured_rows(side: int, start: int, stop: int, rng: np.random.Generator) -> np.ndarray:
    """Rows ``start:stop`` of a 16-bit ``side``-wide test image: a smooth pattern plus noise."""
    x = np.sin(np.arange(side, dtype=np.float32) / 23.0)
    rows = np.cos(np.arange(start, stop, dtype=np.float32) / 31.0)[:, None]
    noise = rng.random((stop - start, side), dtype=np.float32)
    return (20000 + 12000 * rows * x + 8000 * noise).astype(np.uint16)


def measure(model: Path, folder: Path, size: int, tile: int) -> dict:
    """Enhance a ``size`` x ``size`` image in a subprocess; return its report."""
    runtime = "onnx" if model.suffix == ".onnx" else "keras"
    source, target = folder / f"in{size}.tif", folder / f"out{size}_{tile}_{runtime}.tif"
    if not source.exists():
        write_input(source, size)
    command = [sys.executable, "-m", "experiments.bench_enhance", "--child", str(model), str(source), str(target), str(tile)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    before = matmul_gflops()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, cwd=PROJECT)
    after = matmul_gflops()
    if done.returncode != 0:
        raise SystemExit(f"child failed for {size} px, tile {tile}:\n{done.stderr[-3000:]}")
    target.unlink()
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return {"runtime": runtime, "size": size, "tile": tile, "matmul": (before + after) / 2, **report}


def summarise(report: dict, flops_per_tile: float) -> dict:
    stamps = report["stamps"]
    steady = stamps[-1] - stamps[0] if len(stamps) > 1 else float("nan")
    steady_tiles = report["tiles"] - 1
    gflops = flops_per_tile * steady_tiles / steady / 1e9
    pixels = report["size"] ** 2
    return {
        **{k: report[k] for k in ("runtime", "size", "tile", "tile_shape", "tiles")},
        "seconds": round(report["seconds"], 1),
        "MP/s end-to-end": round(pixels / report["seconds"] / 1e6, 3),
        "MP/s steady": round(pixels * steady_tiles / report["tiles"] / steady / 1e6, 3),
        "overlap factor": round(report["tiles"] * np.prod(report["tile_shape"]) / pixels, 2),
        "pipeline GFLOP/s": round(gflops, 1),
        "matmul GFLOP/s": round(report["matmul"], 1),
        "pipeline ratio": round(gflops / report["matmul"], 2),
        "peak MB": round(report["peak_mb"]),
        "loaded MB": round(report["loaded_mb"]),
    }


def export_onnx(run_dir: Path) -> Path:
    """The run's network as ONNX (what ``cyclesem export RUN --format onnx`` writes)."""
    from cyclesem.export.onnx import export_run
    from cyclesem.restore.runs import load_run

    return export_run(load_run(run_dir), run_dir.parent / "net.onnx")


def forward_ratio(run_dir: Path, onnx_path: Path, tile_shape, rounds: int = 7) -> dict:
    """Median seconds per tile of the Keras graph and the ONNX session, timed in alternation."""
    from cyclesem.restore.onnx_runtime import load_onnx
    from cyclesem.restore.runs import load_run

    runtimes = {"keras": load_run(run_dir).forward, "onnx": load_onnx(onnx_path).forward}
    tile = np.random.default_rng(0).random((1, *tile_shape), dtype=np.float32)
    times = {name: [] for name in runtimes}
    for name, forward in runtimes.items():
        forward(tile)  # trace / warm up
    for _ in range(rounds):
        for name, forward in runtimes.items():
            start = time.perf_counter()
            forward(tile)
            times[name].append(time.perf_counter() - start)
    medians = {name: float(np.median(values)) for name, values in times.items()}
    megapixels = np.prod(tile_shape) / 1e6
    return {"tile_shape": list(tile_shape), **{f"{name} MP/s": round(megapixels / m, 3) for name, m in medians.items()},
            "onnx/keras": round(medians["keras"] / medians["onnx"], 2)}


def ratios(summaries: list[dict]) -> list[dict]:
    """ONNX over Keras megapixels per second, per size and tile measured with both."""
    by_key = {(s["runtime"], s["size"], s["tile"]): s for s in summaries}
    lines = []
    for (runtime, size, tile), onnx in by_key.items():
        keras = by_key.get(("keras", size, tile))
        if runtime == "onnx" and keras is not None:
            lines.append({"size": size, "tile": tile, **{
                f"onnx/keras {key}": round(onnx[key] / keras[key], 2)
                for key in ("MP/s end-to-end", "MP/s steady")}})
    return lines


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        child(*args.child[:3], int(args.child[3]))
        return
    with tempfile.TemporaryDirectory(prefix="bench_enhance_") as temp:
        folder = Path(temp)
        network = make_run(folder / "run", args.preset)
        models = ([folder / "run"] if "keras" in args.runtimes else []) + (
            [export_onnx(folder / "run")] if "onnx" in args.runtimes else [])
        jobs = [(size, tile) for tile in args.tiles for size in args.sizes[:1]]
        jobs += [(size, args.tile) for size in args.sizes[1:]]
        print(f"generator '{args.preset}': {conv_flops(network, (64, 64)) / 64**2 / 1e3:.1f} kFLOP per pixel")
        reports, summaries = [], []
        for size, tile in jobs:
            for model in models:
                reports.append(measure(model, folder, size, tile))
                summaries.append(summarise(reports[-1], conv_flops(network, reports[-1]["tile_shape"])))
                print(json.dumps(summaries[-1]), flush=True)
        for line in ratios(summaries):
            print(json.dumps({"ratio": line}), flush=True)
        if len(models) == 2:
            for shape in sorted({tuple(r["tile_shape"]) for r in reports}):
                print(json.dumps({"forward": forward_ratio(*models, shape)}), flush=True)
        if "keras" in args.runtimes:
            for shape in sorted({tuple(r["tile_shape"]) for r in reports}):
                print(json.dumps({"efficiency": efficiency(folder / "run", shape)}), flush=True)


if __name__ == "__main__":
    main()
