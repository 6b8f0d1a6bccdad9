"""Where a deblurring network loses on the real defocus pairs: smoothing baselines, ensembles, grid artefacts.

For every ``--every``-th pair of ``midnet-defocus`` (registered PSNR / SSIM in file
units, content above the info bar, as :mod:`experiments.pretrained.check_real`):

- the input smoothed by a Gaussian of sigma 1, 2, 4 px (how much of the score is denoising);
- the network's output (``MODEL``, a run folder or packaged name), the mean of its
  outputs on the four flips of the input (self-ensemble), the same with the two quarter
  turns added, the output smoothed by a Gaussian of sigma 1 px, and the output with its
  frequencies below a Gaussian of 16 and 32 px replaced by the input's (blur keeps the
  lowest frequencies, so this undoes any change of large-scale contrast);
- the output's spectrum along rows at periods 2, 4, 8, 16 px, each over the median of its
  neighbouring frequencies (1.0: no peak; the up- and down-sampling grid of a U-Net shows
  as peaks at powers of two).

    python -m experiments.pretrained.real_diagnostics RUN --every 12
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter

from cyclesem.evaluate.metrics import score_pair
from experiments.pretrained.check_real import defocus_pairs

PERIODS = (2, 4, 8, 16)


def enhance_over_flips(enhance, image: np.ndarray, quarter_turns: bool = False) -> np.ndarray:
    """Mean of ``enhance`` over the flips of ``image`` (and its two quarter turns), each mapped back.

    The whole enhancement (normalisation and tiles included), where
    :func:`cyclesem.nets.ensemble.flip_ensemble` averages the network inside it.
    """
    outputs = [enhance(image), enhance(image[:, ::-1])[:, ::-1], enhance(image[::-1])[::-1],
               enhance(image[::-1, ::-1])[::-1, ::-1]]
    if quarter_turns:
        outputs += [np.rot90(enhance(np.ascontiguousarray(np.rot90(image, k))), -k) for k in (1, 3)]
    return np.mean(outputs, axis=0)


def grid_peaks(image: np.ndarray) -> list[float]:
    """Row-spectrum magnitude at each of :data:`PERIODS`, over the median of its 7 neighbours."""
    spectrum = np.abs(np.fft.fft2(image - image.mean())).mean(axis=0)
    n = len(spectrum)
    return [float(spectrum[n // p] / np.median(spectrum[n // p - 3 : n // p + 4])) for p in PERIODS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", help="run folder or packaged model name")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/midnet-defocus"))
    parser.add_argument("--every", type=int, default=12)
    args = parser.parse_args()
    from cyclesem.restore.runs import load_run

    run = load_run(args.model)
    scores: dict[str, list] = {}
    peaks = []
    for _, blurry, sharp, shift in defocus_pairs(args.data, args.every):
        output = run.enhance(blurry)
        peaks.append(grid_peaks(output))
        candidates = {"input": blurry}
        candidates.update({f"input, Gaussian {s} px": gaussian_filter(blurry, s, mode="reflect") for s in (1, 2, 4)})
        candidates.update({"output": output, "output, 4 flips": enhance_over_flips(run.enhance, blurry),
                           "output, 4 flips + 2 turns": enhance_over_flips(run.enhance, blurry, quarter_turns=True),
                           "output, Gaussian 1 px": gaussian_filter(output, 1.0, mode="reflect")})
        for scale in (16, 32):
            low_output, low_input = (gaussian_filter(image, scale, mode="reflect") for image in (output, blurry))
            candidates[f"output, input's frequencies below {scale} px"] = output - low_output + low_input
        for label, image in candidates.items():
            score = score_pair(sharp, np.clip(image, 0.0, 1.0), shift=shift)
            scores.setdefault(label, []).append((score["psnr"], score["ssim"]))
    print(f"{run.describe()}; {len(peaks)} pairs")
    print("| image | PSNR (dB) | SSIM |\n|---|---:|---:|")
    for label, values in scores.items():
        mean = np.mean(values, axis=0)
        print(f"| {label} | {mean[0]:.2f} | {mean[1]:.3f} |")
    ratios = np.mean(peaks, axis=0)
    print("output spectrum peaks at periods " + ", ".join(f"{p} px: {v:.2f}" for p, v in zip(PERIODS, ratios)))


if __name__ == "__main__":
    main()
