"""Fit the physical degradation alone to a blurry folder, and compare it with a benchmark's true PSFs.

The degradation's fit is the first half of physical CycleGAN training (its
warm-up); here it runs without the restorer, so a statistic or a setting can
be tried in a minute. It uses the spectral statistic of
:func:`cyclesem.models.losses.spectral_distance` only (the adversarial term
of full training is left out), the run defaults' crops, batch, learning rate
and shared normalisation.

Usage (from the project root)::

    python -m experiments.unpaired.fit_degradation BENCH/train/blurry BENCH/train/clear \\
        --manifest BENCH/manifest.json --steps 300

With ``--manifest`` (a ``cyclesem synth`` benchmark), the true equivalent
sigma of the blurry training tiles' PSFs is printed beside the fitted one.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def true_widths(manifest_path: str, split: str = "train") -> dict:
    """Mean and spread of the Gaussian PSFs of a synth benchmark's blurry tiles of ``split``."""
    manifest = json.loads(open(manifest_path).read())
    params = [image["params"] for image in manifest["images"]
              if image["split"] == split and image["role"] == "blurry"
              and image["params"].get("blur_kind") == "gaussian"]
    major = np.array([max(p["sigma_x"], p["sigma_y"]) for p in params])
    minor = np.array([min(p["sigma_x"], p["sigma_y"]) for p in params])
    equivalent = np.sqrt(0.5 * (major ** 2 + minor ** 2))
    return {"tiles": len(params), "major": float(major.mean()), "minor": float(minor.mean()),
            "equivalent_sigma": float(equivalent.mean()), "log_major_std": float(np.log(major).std())}


def fit(blurry_folder: str, clear_folder: str, *, steps: int, crop: int, batch: int, seed: int,
        learning_rate: float, initial_sigma: float, radius: int) -> dict:
    """Fit :class:`~cyclesem.nets.degradation.SemDegradation` by the spectral statistic; its description."""
    import keras
    import tensorflow as tf
    from keras import ops

    from cyclesem.config.cyclegan import UnpairedDataSettings
    from cyclesem.data.crops import CropSampler
    from cyclesem.data.images import load_unpaired
    from cyclesem.data.pipelines import degradation_draws
    from cyclesem.models.losses import spectral_distance
    from cyclesem.nets.degradation import PARAMETER_COUNT, VEIL_GRID, SemDegradation, describe

    settings = UnpairedDataSettings(blurry=blurry_folder, clear=clear_folder, normalization="shared")
    _, blurry, clear = load_unpaired(settings)
    samplers = [CropSampler([(image,) for image in images], crop) for images in (blurry, clear)]
    layer = SemDegradation(radius, initial_sigma, False)
    optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.5)

    @tf.function
    def step_fn(real_blurry, clear_crops, draws, noise, veil):
        with tf.GradientTape() as tape:
            fake = layer([clear_crops, draws, noise, veil])
            loss = spectral_distance(fake, real_blurry)
        optimizer.apply_gradients(zip(tape.gradient(loss, layer.trainable_variables), layer.trainable_variables))
        return loss

    history = []
    for step in range(steps):
        examples = []
        for k in range(batch):
            rng = np.random.default_rng([seed, step * batch + k])
            examples.append((samplers[0].sample(rng)[0], samplers[1].sample(rng)[0],
                             *degradation_draws(rng, crop, PARAMETER_COUNT, VEIL_GRID)))
        b, c, d, n, v = (np.stack([e[i] for e in examples]) for i in range(5))
        loss = float(step_fn(b[..., None], c[..., None], d, n[..., None], v))
        if step % 50 == 0 or step == steps - 1:
            info = describe(ops.convert_to_numpy(layer.means), ops.convert_to_numpy(layer.spreads),
                            fit_intensity=False)
            history.append({"step": step, "loss": loss, "equivalent_sigma": info["psf"]["equivalent_sigma_px"],
                            "log_sigma_spread": info["psf_spread"]["log_sigma"]})
            print(json.dumps(history[-1]), flush=True)
    result = describe(ops.convert_to_numpy(layer.means), ops.convert_to_numpy(layer.spreads), fit_intensity=False)
    result["psf"].pop("image", None)
    return {"fitted": result, "history": history}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("blurry")
    parser.add_argument("clear")
    parser.add_argument("--manifest", help="a synth benchmark's manifest.json, for the true widths")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--crop", type=int, default=96)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--learning-rate", type=float, default=3e-2)  # the run default (model.physical)
    parser.add_argument("--initial-sigma", type=float, default=2.0)
    parser.add_argument("--radius", type=int, default=40)
    parser.add_argument("--out", help="write the result as JSON here")
    args = parser.parse_args(argv)
    started = time.time()
    result = fit(args.blurry, args.clear, steps=args.steps, crop=args.crop, batch=args.batch, seed=args.seed,
                 learning_rate=args.learning_rate, initial_sigma=args.initial_sigma, radius=args.radius)
    result["seconds"] = round(time.time() - started, 1)
    psf = result["fitted"]["psf"]
    print(f"fitted: {psf['sigma_major_px']:.2f} x {psf['sigma_minor_px']:.2f} px, equivalent sigma "
          f"{psf['equivalent_sigma_px']:.2f} px, log-sigma spread {result['fitted']['psf_spread']['log_sigma']:.3f}, "
          f"weights {psf['weights']}, noise {result['fitted']['noise']}")
    if args.manifest:
        truth = true_widths(args.manifest)
        result["true"] = truth
        error = psf["equivalent_sigma_px"] / truth["equivalent_sigma"] - 1.0
        print(f"true:   {truth['major']:.2f} x {truth['minor']:.2f} px, equivalent sigma "
              f"{truth['equivalent_sigma']:.2f} px, log-major std {truth['log_major_std']:.3f} "
              f"({truth['tiles']} tiles); equivalent sigma error {100 * error:+.1f} %")
    print(f"{result['seconds']} s")
    if args.out:
        with open(args.out, "w") as stream:
            json.dump(result, stream, indent=1)


if __name__ == "__main__":
    main()
