"""Classical peers: Richardson-Lucy (PSF and iterations tuned), blind deconvolution, TV and BM3D.

Each grid is scored once per image and cached in the output folder
(``grid_<name>.csv``: image, setting, psnr, ssim), so a fold tunes by reading the
scores of its training images only (:func:`experiments.peers.common.best_params`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from experiments.peers.common import Pair, _fmt, append_csv, central_crop, need, read_csv, score

# Richardson-Lucy: round Gaussian (sigma px) and uniform disk (defocus, radius px) PSFs, iteration counts
# (the midnet-defocus blur is about a 10.85 px Gaussian, calibrated on the registered pairs: the grid spans it)
RL_PSFS = ["gauss:1", "gauss:1.5", "gauss:2", "gauss:3", "gauss:5", "gauss:7", "gauss:9", "gauss:11", "gauss:13",
           "disk:1.5", "disk:2.5", "disk:3.5", "disk:5", "disk:8", "disk:12"]
RL_ITERS = [2, 5, 15, 40]
RL_TUNE_EVERY = 2  # the grid is scored on every 2nd pair (42 of 84); a fold tunes on those of its six sources
TV_WEIGHTS = [float(w) for w in np.geomspace(0.005, 0.5, 15)]
BM3D_SIGMAS = [0.03, 0.05, 0.08, 0.12, 0.18, 0.27]
BM3D_TUNE_CROP = 192  # px: BM3D is tuned on central crops of the training pairs (about 30 s per full image here)
GRID_FIELDS = ["image", "setting", "psnr", "ssim"]


def psf(setting: str) -> np.ndarray:
    """The PSF named ``gauss:SIGMA`` or ``disk:RADIUS``."""
    from cyclesem.restore.classical.psf import disk_psf, gaussian_psf

    kind, value = setting.split(":")
    if kind == "gauss":
        return gaussian_psf(float(value))
    if kind == "disk":
        return disk_psf(float(value))
    raise ValueError(f"unknown PSF {setting!r}")


def rl_setting(psf_name: str, iters: int) -> str:
    return f"{psf_name},iter:{iters}"


def richardson_lucy(image, setting: str) -> np.ndarray:
    from cyclesem.restore.classical.deconvolution import richardson_lucy as rl

    psf_name, iters = setting.rsplit(",", 1)
    return rl(image, psf(psf_name), int(iters.split(":")[1]))


def blind(image) -> np.ndarray:
    from cyclesem.restore.classical.blind import blind_deconvolution

    return blind_deconvolution(image)[0]


def tv(image, weight: float) -> np.ndarray:
    from skimage.restoration import denoise_tv_chambolle

    return denoise_tv_chambolle(image, weight=float(weight))


def bm3d(image, sigma: float) -> np.ndarray:
    module = need("bm3d")
    return np.asarray(module.bm3d(np.asarray(image, np.float64), sigma_psd=float(sigma)), np.float32)


def grid_scores(path: Path, pairs: list[Pair], settings: list[str],
                apply: Callable[[Pair, list[str]], dict[str, np.ndarray]], log=print) -> dict[str, dict[str, float]]:
    """``scores[setting][image] = psnr`` for every pair and setting, computed once and cached at ``path``.

    ``apply(pair, settings)`` returns the outputs of the settings still missing for that pair.
    """
    cached = {(r["image"], r["setting"]): float(r["psnr"]) for r in read_csv(path)}
    for pair in pairs:
        missing = [s for s in settings if (pair.name, s) not in cached]
        if not missing:
            continue
        outputs = apply(pair, missing)
        rows = []
        for setting in missing:
            s = score(pair, outputs[setting])
            cached[(pair.name, setting)] = float(_fmt(s["psnr"]))  # as stored: a resumed run tunes alike
            rows.append({"image": pair.name, "setting": setting, **s})
        append_csv(path, GRID_FIELDS, rows)
        log(f"  grid {path.name}: {pair.name} done")
    return {s: {p.name: cached[(p.name, s)] for p in pairs} for s in settings}


def rl_grid(out: Path, pairs: list[Pair], log=print) -> dict[str, dict[str, float]]:
    """Richardson-Lucy scores over RL_PSFS x RL_ITERS on every RL_TUNE_EVERY-th pair."""
    settings = [rl_setting(p, n) for p in RL_PSFS for n in RL_ITERS]

    def apply(pair: Pair, missing: list[str]) -> dict[str, np.ndarray]:
        return {s: richardson_lucy(pair.degraded, s) for s in missing}

    return grid_scores(out / "grid_rl.csv", pairs[::RL_TUNE_EVERY], settings, apply, log)


def tv_grid(out: Path, pairs: list[Pair], log=print) -> dict[str, dict[str, float]]:
    settings = [f"{w:.6g}" for w in TV_WEIGHTS]
    return grid_scores(out / "grid_tv.csv", pairs, settings,
                       lambda pair, missing: {s: tv(pair.degraded, float(s)) for s in missing}, log)


def crop_pair(pair: Pair, size: int) -> Pair:
    """The central ``size`` crop of both images (the shift is unchanged: both move together)."""
    return Pair(pair.name, pair.group, central_crop(pair.degraded, size).copy(),
                central_crop(pair.reference, size).copy(), pair.shift)


def bm3d_grid(out: Path, pairs: list[Pair], log=print) -> dict[str, dict[str, float]]:
    settings = [f"{s:.6g}" for s in BM3D_SIGMAS]
    crops = [crop_pair(p, BM3D_TUNE_CROP) for p in pairs]
    return grid_scores(out / "grid_bm3d.csv", crops, settings,
                       lambda pair, missing: {s: bm3d(pair.degraded, float(s)) for s in missing}, log)
