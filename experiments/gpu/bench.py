"""Steps/s and images/s of every preset of both kinds under the current Keras backend (a GPU run).

Prepared for a lent GPU machine (JAX, no TensorFlow; see ``run.sh``) and not yet
run on one. Each row trains the real model through ``fit()`` on generated
textures (:mod:`experiments.bench_train`), leaves out ``--warmup`` steps
(compilation) and times ``--steps``; rows run in order until ``--budget``
seconds are spent, then the table is written with what was measured.

    KERAS_BACKEND=jax python -m experiments.gpu.bench --out table.md
    KERAS_BACKEND=jax python -m experiments.gpu.bench --out cpu.md --presets tiny --crop 64 --steps 3   # a CPU check
"""

from __future__ import annotations

import argparse
import time

KINDS = ("midnet", "physical")
PRESETS = ("tiny", "small", "paper")
PRECISIONS = ("float32", "bfloat16")


def measure(kind: str, preset: str, precision: str, *, crop: int, batch: int, warmup: int, steps: int) -> dict:
    """One row: the model trained ``warmup + steps`` steps with the given global dtype policy."""
    import keras

    from experiments.bench_train import bench_preset, bench_supervised

    keras.config.set_dtype_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        options = {"crop": crop, "batch": batch, "warmup": warmup, "steps": steps}
        if kind == "physical":
            row = bench_preset(preset, physical=True, **options)
            images = 2 * batch  # a blurry and a clear crop per example
        else:
            row = bench_supervised(preset, **options)
            images = batch
    finally:
        keras.config.set_dtype_policy("float32")
    return {**row, "images_per_s": row["steps_per_s"] * images}


def table(rows: list[dict], device: str, args) -> str:
    """The measured rows as a Markdown table (a failed row shows its error)."""
    lines = [f"Device: {device}; Keras backend {args.backend}; crop {args.crop}, batch {args.batch}, "
             f"{args.warmup} warm-up + {args.steps} timed steps", "",
             "| model | preset | precision | warm-up s | steps/s | images/s |", "| --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['kind']} | {row['preset']} | {row['precision']} | failed: {row['error']} | | |")
        else:
            lines.append(f"| {row['kind']} | {row['preset']} | {row['precision']} | {row['warmup_s']:.1f} | "
                         f"{row['steps_per_s']:.2f} | {row['images_per_s']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="Markdown table to write")
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--budget", type=float, default=270.0, help="seconds for all rows")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated: midnet, physical")
    parser.add_argument("--presets", default=",".join(PRESETS), help="comma-separated: tiny, small, paper")
    args = parser.parse_args()
    import jax
    import keras

    args.backend = keras.backend.backend()
    device = ", ".join(sorted({d.device_kind for d in jax.devices()}))
    started, rows = time.monotonic(), []
    for kind in args.kinds.split(","):
        for preset in args.presets.split(","):
            for precision in PRECISIONS:
                if time.monotonic() - started > args.budget:
                    break
                key = {"kind": kind, "preset": preset, "precision": precision}
                try:
                    rows.append({**key, **measure(kind, preset, precision, crop=args.crop, batch=args.batch,
                                                  warmup=args.warmup, steps=args.steps)})
                except Exception as exc:  # noqa: BLE001 - a measurement script reports and goes on
                    rows.append({**key, "error": " ".join(str(exc).split())[:120]})
                print(table(rows[-1:], device, args).splitlines()[-1], flush=True)
                with open(args.out, "w") as handle:
                    handle.write(table(rows, device, args))


if __name__ == "__main__":
    main()
