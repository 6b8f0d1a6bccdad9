"""Configs saved by older cyclesem: the ``config.json`` format version and its upgrades.

A run folder's ``config.json`` carries ``"version"`` (:data:`CONFIG_VERSION`)
since the dataclass defaults became what a new run gets. A config saved
without one (version 1) was built on the earlier defaults, under which a
CycleGAN run was the paper's symmetric CycleGAN (U-Net degradation and
restorer, per-image normalisation, Adam at 2e-4, batches of 1, the mixture PSF
without intensity terms). Such a file holds every field its cyclesem knew, so
only fields added since then can be missing; :func:`upgrade_saved_config`
fills those with their version-1 values, so an old run folder loads, enhances
and resumes exactly as before. Configs of MIDNet and NAFNet runs kept their
defaults and only gain the version.
"""

from __future__ import annotations

from typing import Any, Mapping

from cyclesem.config.builder import merge
from cyclesem.errors import CyclesemError

__all__ = ["CONFIG_VERSION", "VERSION_1_CYCLEGAN_DEFAULTS", "upgrade_saved_config"]

CONFIG_VERSION = 2
"""The ``config.json`` format this cyclesem writes."""

VERSION_1_CYCLEGAN_DEFAULTS: dict[str, Any] = {
    "model": {"degradation": "unet", "restorer": "unet",
              "physical": {"fit_intensity": False, "psf": "mixture", "gain_offset": "frame",
                           "pair_width_scale": None}},
    "physical_loss": {"intensity": 0.0, "pair_ssim": 0.1},
    "data": {"normalization": "image"},
    "train": {"batch": 1},
    "optimizer": {"learning_rate": 2e-4},
    "enhance": {"keep_grey_levels": False},
}
"""The CycleGAN settings whose defaults differ between version 1 and :data:`CONFIG_VERSION`: their version-1 values."""


def upgrade_saved_config(saved: Mapping[str, Any], source: str | None = None) -> dict:
    """A saved config (a run folder's ``config.json``) in the current format.

    Parameters
    ----------
    saved : mapping
        The saved config, with its top-level ``"kind"``.
    source : str, optional
        Named in error messages (the file).

    Returns
    -------
    dict
        ``saved`` with ``"version": CONFIG_VERSION``; a version-1 CycleGAN
        config gets :data:`VERSION_1_CYCLEGAN_DEFAULTS` where it names nothing.

    Raises
    ------
    CyclesemError
        If the version is not a known one (a newer cyclesem wrote it).
    """
    version = saved.get("version", 1)
    if version == CONFIG_VERSION:
        return dict(saved)
    if version != 1:
        raise CyclesemError(f"config version {version!r} is not one this cyclesem reads (1 to {CONFIG_VERSION}; "
                            "a newer cyclesem wrote it?)", source)
    old_defaults = VERSION_1_CYCLEGAN_DEFAULTS if saved.get("kind") == "cyclegan" else {}
    return merge(old_defaults, saved) | {"version": CONFIG_VERSION}
