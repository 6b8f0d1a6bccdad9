"""Training speed of the CycleGAN presets: steps per second at 256x256, batch 1.

Each preset trains on generated images (smooth random textures) through the
real model, data pipeline and ``fit()``; the first ``--warmup`` steps (graph
building, first-call set-up) are left out, the next ``--steps`` are timed. The
table also gives each generator's parameters and the data pipeline's own rate
(crops per second, measured alone) so a slow pipeline would show.

    python -m experiments.bench_train --presets tiny,small --steps 20
"""

from __future__ import annotations

import argparse
import os
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


def _timed_fit(model, dataset, total: int) -> list[float]:
    import keras

    stamps: list[float] = []

    class Stamp(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            stamps.append(time.perf_counter())

    model.fit(dataset, epochs=1, steps_per_epoch=total, shuffle=False, verbose=0, callbacks=[Stamp()])
    return stamps


def bench_preset(preset: str, *, crop: int, batch: int, warmup: int, steps: int) -> dict:
    """Steps per second of one preset after ``warmup`` steps."""
    import keras

    from cyclesem.train.cyclegan import CycleGanTask
    from cyclesem.config.cyclegan import resolve_cyclegan_config

    config = resolve_cyclegan_config(preset, options={"train": {
        "steps": warmup + steps, "crop": crop, "batch": batch}})
    task = CycleGanTask(config, _textures(4, 2 * crop, 1), _textures(4, 2 * crop, 2))
    keras.utils.set_random_seed(0)
    model = task.build_model()
    started = time.perf_counter()
    stamps = _timed_fit(model, task.dataset(0), warmup + steps)
    timed = stamps[-1] - stamps[warmup - 1]
    return {"preset": preset, "params": model.gen_blurry_to_clear.count_params(),
            "warmup_s": stamps[warmup - 1] - started, "steps_per_s": steps / timed,
            "s_per_step": timed / steps}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="tiny,small")
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
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
