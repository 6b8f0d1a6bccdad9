"""Typed, frozen configs: the builder, the shared groups, one module per model kind.

- :mod:`~cyclesem.config.builder`: :func:`build` (a mapping to a frozen
  dataclass, every unknown key and bad value listed at once), :func:`resolve`
  (preset, file, ``--set``, options), :func:`to_dict`, :func:`load_mapping`.
- :mod:`~cyclesem.config.common`: ``TrainSettings``, ``DataSettings``,
  ``RuntimeSettings``, shared by every model kind.
- :mod:`~cyclesem.config.compat`: the ``config.json`` format version, and
  upgrading configs saved by older cyclesem (:func:`config_from_dict` does).
- :mod:`~cyclesem.config.cyclegan`: the unpaired CycleGAN (``kind =
  "cyclegan"``); :mod:`~cyclesem.config.supervised`: MIDNet and NAFNet
  (``kind = "midnet"`` / ``"nafnet"``), with presets and loss weights.

:func:`resolve_config` and :func:`config_from_dict` pick the model kind's
config class from ``kind``, so the CLI, resuming and loading a run folder share
one path. Nothing here imports Keras or TensorFlow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from cyclesem.config.builder import (
    apply_overrides,
    build,
    load_mapping,
    merge,
    parse_override,
    resolve,
    to_dict,
)
from cyclesem.config.compat import upgrade_saved_config
from cyclesem.errors import CyclesemError

__all__ = [
    "KINDS",
    "apply_overrides",
    "build",
    "config_from_dict",
    "load_mapping",
    "merge",
    "parse_override",
    "resolve",
    "resolve_config",
    "saved_config",
    "to_dict",
]

KINDS = ("cyclegan", "midnet", "nafnet")
"""Every model kind a run folder's ``config.json`` may name."""


def resolve_config(kind: str, preset: str = "small", file_mapping: Mapping[str, Any] | None = None,
                   overrides: list[str] | tuple[str, ...] = (), options: Mapping[str, Any] | None = None,
                   *, source: str | None = None):
    """The resolved config of model ``kind``: preset, then file, then ``--set``, then options.

    Parameters
    ----------
    kind : {"cyclegan", "midnet", "nafnet"}
        The model kind.
    preset, file_mapping, overrides, options, source
        As :func:`cyclesem.config.cyclegan.resolve_cyclegan_config`.

    Returns
    -------
    CycleGanConfig or SupervisedConfig

    Raises
    ------
    CyclesemError
        For an unknown kind, and listing every unknown key and invalid value.
    """
    from cyclesem.config.cyclegan import resolve_cyclegan_config
    from cyclesem.config.supervised import SKIPS, resolve_supervised_config

    if kind == "cyclegan":
        return resolve_cyclegan_config(preset, file_mapping, overrides, options, source=source)
    if kind in SKIPS:
        return resolve_supervised_config(kind, preset, file_mapping, overrides, options, source=source)
    raise CyclesemError(f"unknown model kind {kind!r} (known: {', '.join(KINDS)})", source)


def config_from_dict(saved: Mapping[str, Any], options: Mapping[str, Any] | None = None, *,
                     source: str | None = None):
    """Rebuild a saved config (a run folder's ``config.json``), with ``options`` on top.

    A config saved by an older cyclesem is upgraded first
    (:func:`cyclesem.config.compat.upgrade_saved_config`), so it rebuilds as it did then.

    Raises
    ------
    CyclesemError
        If ``saved`` names no known ``kind`` or does not build.
    """
    kind = saved.get("kind")
    if not isinstance(kind, str):
        raise CyclesemError(f"config has no 'kind' ({', '.join(KINDS)})", source)
    saved = upgrade_saved_config(saved, source)
    return resolve_config(kind, saved.get("preset", "small"), saved, (), options, source=source)


def saved_config(run_dir: str | os.PathLike, *, steps: int | None = None):
    """The config saved in a run folder, rebuilt as its kind's config (``steps`` replaced if given).

    Raises
    ------
    CyclesemError
        If the folder holds no ``config.json`` or it does not build.
    """
    from cyclesem.io.run_folder import CONFIG_FILE, read_json

    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise CyclesemError(f"not a run folder (no {CONFIG_FILE})", run_dir)
    return config_from_dict(read_json(path), {"train": {"steps": steps}}, source=str(path))
