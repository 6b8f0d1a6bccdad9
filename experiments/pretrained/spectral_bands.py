"""What each method puts in each frequency band of the real defocus pairs, against the sharp partner.

For every ``--every``-th pair of ``midnet-defocus`` (registered, content above the info bar,
the square overlap under a Hann window), per ring of radial frequency (cycles per px):

- ``H``: the blur's measured transfer function, ``Re sum(B conj(S)) / sum(|S|^2)`` of the
  blurry ``B`` against the sharp ``S`` (noise averages out of the cross-spectrum);
- per method output ``O``: its power against the sharp image's (``sum|O|^2 / sum|S|^2``),
  its coherence with it (``Re sum(O conj(S)) / sqrt(sum|O|^2 sum|S|^2)``: 1 is the right
  detail, 0 detail unrelated to the sharp image), and its error against the sharp image's
  power (``sum|O - S|^2 / sum|S|^2``: above 1 the band is worse than leaving it empty).

Means over the pairs. ``METHOD`` is ``input``, ``blind`` or a model (packaged name or run
folder); ``MODEL:plain`` is the network without its support limit, ``MODEL:limited`` with
it (:func:`cyclesem.restore.support.limit_to_support`).

    python -m experiments.pretrained.spectral_bands input,blind,sem-deblur:plain,sem-deblur:limited --every 12
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from cyclesem.data.registration import overlap
from cyclesem.restore.classical.blind import blind_deconvolution
from experiments.pretrained.check_real import defocus_pairs

EDGES = (0.0, 0.01, 0.02, 0.03, 0.04, 0.06, 0.09, 0.13, 0.2, 0.5)


def spectra(reference: np.ndarray, image: np.ndarray, shift) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hann-windowed spectra of the registered square overlap of the two, and its radial frequencies."""
    reference, image = overlap(np.asarray(reference, np.float64), np.asarray(image, np.float64), shift)
    size = min(reference.shape)
    window = np.outer(np.hanning(size), np.hanning(size))
    ref = np.fft.fft2((reference[:size, :size] - reference[:size, :size].mean()) * window)
    out = np.fft.fft2((image[:size, :size] - image[:size, :size].mean()) * window)
    rows, cols = np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij")
    return ref, out, np.hypot(rows, cols)


def band_statistics(reference, output, radius) -> np.ndarray:
    """``(bands, 4)``: transfer ``Re(O S*) / |S|^2``, power ratio, coherence, error ratio per ring of :data:`EDGES`."""
    rows = []
    for low, high in zip(EDGES[:-1], EDGES[1:]):
        ring = (radius >= low) & (radius < high)
        sharp, out = reference[ring], output[ring]
        power_sharp, power_out = np.sum(np.abs(sharp) ** 2), np.sum(np.abs(out) ** 2)
        cross = float(np.real(np.sum(out * np.conj(sharp))))
        rows.append((cross / power_sharp, power_out / power_sharp,
                     cross / max(np.sqrt(power_out * power_sharp), 1e-30),
                     np.sum(np.abs(out - sharp) ** 2) / power_sharp))
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("methods", help="comma-separated: input, blind, MODEL:plain, MODEL:limited")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/midnet-defocus"))
    parser.add_argument("--every", type=int, default=12)
    args = parser.parse_args()
    from cyclesem.restore.runs import load_run
    from cyclesem.restore.support import limit_to_support

    methods = args.methods.split(",")
    runs = {name.split(":")[0]: load_run(name.split(":")[0]).with_support_limit(False)
            for name in methods if name not in ("input", "blind")}
    stats: dict[str, list[np.ndarray]] = {name: [] for name in methods}
    for _, blurry, sharp, shift in defocus_pairs(args.data, args.every):
        plain = {name: run.enhance(blurry) for name, run in runs.items()}
        for name in methods:
            model, _, variant = name.partition(":")
            if name == "input":
                output = blurry
            elif name == "blind":
                output = blind_deconvolution(blurry)[0]
            else:
                output = limit_to_support(plain[model], blurry) if variant == "limited" else plain[model]
            stats[name].append(band_statistics(*spectra(sharp, np.clip(output, 0, 1), shift)))
    bands = " | ".join(f"{low:g}-{high:g}" for low, high in zip(EDGES[:-1], EDGES[1:]))
    print(f"{len(stats[methods[0]])} pairs; rings in cycles per px: {bands}")
    first = np.mean(stats[methods[0]], axis=0)
    if methods[0] == "input":
        print("blur transfer H     | " + " | ".join(f"{v:+.3f}" for v in first[:, 0]))
    for name in methods:
        mean = np.mean(stats[name], axis=0)
        for column, label in ((1, "power / sharp"), (2, "coherence"), (3, "error / sharp")):
            print(f"{name:20s} {label:14s} | " + " | ".join(f"{v:.3f}" for v in mean[:, column]))


if __name__ == "__main__":
    main()
