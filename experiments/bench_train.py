"""Training speed of the presets: steps per second at 256x256, batch 1.

Each preset trains on generated images (smooth random textures) through the
real model, data pipeline and ``fit()``; the first ``--warmup`` steps (graph
building, first-call set-up) are left out, the next ``--steps`` are timed. The
table also gives each generator's parameters and the data pipeline's own rate
(crops per second, measured alone) so a slow pipeline would show.

    python -m experiments.bench_train --presets tiny,small --steps 20
    python -m experiments.bench_train --backend tensorflow,jax --kinds physical,midnet --presets small

``--backend`` (one or several Keras backends, comma-separated) times the
models that train under every backend, the default unpaired model (the
physically constrained CycleGAN, ``physical``) and the supervised MIDNet
(``midnet``), in one subprocess per backend and model with ``KERAS_BACKEND``
set, then prints each preset's steps/s under every backend and their ratio to
the first, with the CPU time per step (all threads of the process; on a
shared machine a fairer comparison than wall time). Each model runs as training runs it (``runtime`` defaults: the
TensorFlow graph without XLA, a jit-compiled step under JAX).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def _textures(count: int, size: int, seed: int = 0) -> list[np.ndarray]:
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    images = []
    for _ in range(count):
        image = ndimage.gaussian_filter(rng.random((size, size)), 2.0)
        images.append(((image - image.min()) / np.ptp(image)).astype(np.float32))
    return images


def _timed_fit(model, dataset, total: int, cpu_stamps: list | None = None) -> list[float]:
    """Wall-clock time after each step (and the process's CPU time, all threads, in ``cpu_stamps``)."""
    import keras

    cpu_stamps = [] if cpu_stamps is None else cpu_stamps

    stamps: list[float] = []

    class Stamp(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            stamps.append(time.perf_counter())
            cpu_stamps.append(time.process_time())

    model.fit(dataset, epochs=1, steps_per_epoch=total, shuffle=False, verbose=0, callbacks=[Stamp()])
    return stamps


def bench_preset(preset: str, *, crop: int, batch: int, warmup: int, steps: int,
                 physical: bool = False) -> dict:
    """Steps per second of one preset after ``warmup`` steps (the paper's CycleGAN, or ``physical``)."""
    from cyclesem.config.cyclegan import resolve_cyclegan_config
    from cyclesem.train.tasks import cyclegan_task

    config = resolve_cyclegan_config(preset, overrides=() if physical else ("model.degradation=unet",),
                                     options={"train": {"steps": warmup + steps, "crop": crop, "batch": batch}})
    task = cyclegan_task(config, _textures(4, 2 * crop, 1), _textures(4, 2 * crop, 2))
    return {"preset": preset, **_time_task(task, "gen_blurry_to_clear", warmup, steps)}


def _time_task(task, network: str, warmup: int, steps: int) -> dict:
    """Build ``task``'s model, train ``warmup + steps`` steps, time the last ``steps``."""
    import keras

    keras.utils.set_random_seed(0)
    model = task.build_model()
    started, cpu = time.perf_counter(), []
    stamps = _timed_fit(model, task.dataset(0), warmup + steps, cpu)
    timed = stamps[-1] - stamps[warmup - 1]
    return {"params": getattr(model, network).count_params(), "warmup_s": stamps[warmup - 1] - started,
            "steps_per_s": steps / timed, "s_per_step": timed / steps,
            "cpu_s_per_step": (cpu[-1] - cpu[warmup - 1]) / steps}


def bench_supervised(preset: str, *, crop: int, batch: int, warmup: int, steps: int) -> dict:
    """Steps per second of the supervised MIDNet of one preset after ``warmup`` steps."""
    from cyclesem.config.supervised import resolve_supervised_config
    from cyclesem.data.pairs import LoadedPair
    from cyclesem.train.supervised import SupervisedTask

    config = resolve_supervised_config("midnet", preset, options={
        "train": {"steps": warmup + steps, "crop": crop, "batch": batch}})
    sharp = _textures(4, 2 * crop, 1)
    pairs = [LoadedPair(f"t{i}", np.clip(image * 0.8 + 0.1, 0, 1).astype(np.float32), image, (0.0, 0.0))
             for i, image in enumerate(sharp)]
    return {"preset": preset, **_time_task(SupervisedTask(config, pairs), "network", warmup, steps)}


def pipeline_rate(crop: int, batch: int, batches: int = 200) -> float:
    """Crops per second the data pipeline delivers on its own."""
    from cyclesem.train.cyclegan import CycleGanTask
    from cyclesem.config.cyclegan import resolve_cyclegan_config

    config = resolve_cyclegan_config("tiny", options={"train": {"steps": batches, "crop": crop,
                                                                "batch": batch}})
    task = CycleGanTask(config, _textures(4, 2 * crop, 1), _textures(4, 2 * crop, 2))
    iterator = iter(task.dataset(0))
    next(iterator)
    started = time.perf_counter()
    for _ in range(batches - 1):
        next(iterator)
    return 2 * batch * (batches - 1) / (time.perf_counter() - started)


def _backend_row(backend: str, kind: str, preset: str, args) -> dict:
    """One ``kind`` (``physical`` or ``midnet``) and preset timed in a subprocess under ``KERAS_BACKEND=backend``."""
    call = (f"bench_preset({preset!r}, physical=True, " if kind == "physical"
            else f"bench_supervised({preset!r}, ")
    code = ("import json; from experiments.bench_train import bench_preset, bench_supervised; "
            f"print('ROW', json.dumps({call}crop={args.crop}, batch={args.batch}, warmup={args.warmup}, "
            f"steps={args.steps})))")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(next(line for line in done.stdout.splitlines() if line.startswith("ROW "))[4:])


def compare_backends(backends: list[str], args) -> None:
    """Print steps/s of each preset under each backend and the ratio to the first backend."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPU(s), load {load:.1f}; crop {args.crop}, batch "
          f"{args.batch}, {args.warmup} warm-up + {args.steps} timed steps")
    print(f"{'model':<9} {'preset':<7} {'backend':<11} {'warm-up s':>10} {'s/step':>8} {'CPU s/step':>10} "
          f"{'steps/s':>9} {'ratio':>6}")
    for kind in args.kinds.split(","):
        for preset in args.presets.split(","):
            first = None
            for backend in backends:
                row = _backend_row(backend, kind, preset, args)
                first = first or row["steps_per_s"]
                load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
                print(f"{kind:<9} {preset:<7} {backend:<11} {row['warmup_s']:>10.1f} {row['s_per_step']:>8.3f} "
                      f"{row['cpu_s_per_step']:>10.3f} {row['steps_per_s']:>9.3f} {row['steps_per_s'] / first:>6.2f}  (load {load:.1f})",
                      flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="tiny,small")
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--backend", help="Keras backends to compare, e.g. tensorflow,jax")
    parser.add_argument("--kinds", default="physical,midnet", help="with --backend: physical, midnet")
    args = parser.parse_args()
    if args.backend:
        compare_backends(args.backend.split(","), args)
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    devices = ", ".join(d.name for d in tf.config.list_logical_devices()) or "?"
    print(f"devices: {devices}; {os.cpu_count()} CPU(s); crop {args.crop}, batch {args.batch}, "
          f"{args.warmup} warm-up + {args.steps} timed steps")
    print(f"data pipeline alone: {pipeline_rate(args.crop, args.batch):.0f} crops/s")
    print(f"{'preset':<8} {'G params':>10} {'warm-up s':>10} {'steps/s':>9} {'s/step':>8}")
    for preset in args.presets.split(","):
        row = bench_preset(preset, crop=args.crop, batch=args.batch, warmup=args.warmup,
                           steps=args.steps)
        print(f"{row['preset']:<8} {row['params']:>10,} {row['warmup_s']:>10.1f} "
              f"{row['steps_per_s']:>9.3f} {row['s_per_step']:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
