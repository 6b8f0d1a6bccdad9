"""Old run folders' configs (no ``version``): they load as they did and resume exactly (cyclesem.config.compat)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from cyclesem.config import config_from_dict, resolve_config, to_dict
from cyclesem.config.compat import CONFIG_VERSION, VERSION_1_CYCLEGAN_DEFAULTS, upgrade_saved_config
from cyclesem.config.cyclegan import PRESETS
from cyclesem.errors import CyclesemError

OLD_CONFIG = {
    "kind": "cyclegan", "preset": "tiny",
    "model": {"generator": {"width": 4, "channel_multipliers": [1, 1, 2, 2, 2], "bottleneck_blocks": 1,
                            "dilations": [1, 2]}, "discriminator": {"width": 4}},
    "loss": {"identity": 0.0},
    "optimizer": {"decay_start": 1.0},
    "train": {"steps": 2, "crop": 32, "seed": 3, "pool_size": 2, "checkpoint_every": 1, "sample_every": 100,
              "log_every": 1},
    "data": {"norm_low": 1.0, "norm_high": 99.0},
    "runtime": {"eager": True},
}
"""A version-1 ``config.json`` of a micro run of the paper's CycleGAN, saved before later settings existed."""

LOADED_BEFORE = {
    "kind": "cyclegan",
    "preset": "tiny",
    "model": {
        "degradation": "unet",
        "restorer": "unet",
        "generator": {"width": 4, "channel_multipliers": [1, 1, 2, 2, 2], "encoder_blocks": [0, 0, 0, 0],
                      "bottleneck_blocks": 1, "decoder_blocks": [0, 0, 0, 0], "dilations": [1, 2],
                      "residual_scale": 1.0, "norm_momentum": 0.99},
        "midnet": {"width": 8, "enc_blocks": [1, 1], "middle_blocks": 1, "dec_blocks": [1, 1], "local_pool": 0.0,
                   "self_ensemble": False},
        "discriminator": {"width": 4},
        "physical": {"psf_radius": 16, "initial_sigma": 2.0, "learning_rate": 0.03, "warmup": 0.15,
                     "fit_intensity": False, "psf": "mixture", "gain_offset": "frame",
                     "pair_width_scale": None},
    },
    "loss": {"adversarial": 1.0, "cycle": 10.0, "identity": 0.0, "ssim": 1.0, "edge": 1.0},
    "physical_loss": {"pair_l1": 1.0, "pair_ssim": 0.1, "pair_edge": 0.1, "identity": 0.5,
                       "adversarial_clear": 0.0, "blurry_cycle": 0.0, "adversarial_blurry": 0.1, "spectral": 1.0,
                      "intensity": 0.0},
    "optimizer": {"learning_rate": 0.0002, "beta_1": 0.5, "beta_2": 0.999, "decay_start": 1.0},
    "train": {"steps": 2, "crop": 32, "batch": 1, "seed": 3, "checkpoint_every": 1,
              "sample_every": 100, "log_every": 1, "keep_checkpoints": 3, "init": "", "pool_size": 2},
    "data": {"norm_low": 1.0, "norm_high": 99.0, "flips": True, "rotations": True,
             "normalization": "image", "norm_range": [], "blurry": "", "clear": ""},
    "runtime": {"mixed_precision": False, "xla": False, "eager": True},
    "enhance": {"limit_to_support": False, "keep_grey_levels": False},
}
"""What cyclesem rebuilt from :data:`OLD_CONFIG` before the config version (``to_dict``)."""


def _leaves(mapping, prefix=()):
    for key, value in mapping.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _at(mapping, path):
    for key in path:
        mapping = mapping[key]
    return mapping


def test_an_old_config_rebuilds_as_it_did():
    loaded = to_dict(config_from_dict(OLD_CONFIG))
    assert loaded["version"] == CONFIG_VERSION
    assert {path: _at(loaded, path) for path, _ in _leaves(LOADED_BEFORE)} == dict(_leaves(LOADED_BEFORE))


def test_new_runs_get_the_dataclass_defaults_and_a_version():
    config = resolve_config("cyclegan", "tiny")
    assert (config.version, config.model.degradation, config.model.restorer) == (CONFIG_VERSION, "physical", "midnet")
    assert (config.data.normalization, config.train.batch, config.optimizer.learning_rate) == ("shared", 4, 1e-3)
    assert to_dict(config_from_dict(to_dict(config))) == to_dict(config)


def test_no_preset_sets_what_the_upgrade_fills():
    """The upgrade fills the old defaults above the preset: exact only if presets never set those keys."""
    old_keys = {path for path, _ in _leaves(VERSION_1_CYCLEGAN_DEFAULTS)}
    assert not [(name, path) for name, preset in PRESETS.items() for path, _ in _leaves(preset) if path in old_keys]


def test_a_newer_version_is_refused_in_one_line():
    with pytest.raises(CyclesemError, match="config version 99"):
        upgrade_saved_config({"kind": "midnet", "version": 99})
    with pytest.raises(CyclesemError, match="'version' must be"):
        resolve_config("midnet", "tiny", {"version": 1})


def test_an_old_run_folder_resumes_exactly(tmp_path):
    """A version-1 run stopped after step 1 of 2 (Ctrl-C), resumed now, ends where the straight run ends."""
    pytest.importorskip("keras")
    from cyclesem.io import write_image
    from cyclesem.train.tasks import resume_training, run_training
    from tests.helpers import checkpoint_arrays

    rng = np.random.default_rng(0)
    clear = [rng.random((40, 48)).astype(np.float32) for _ in range(2)]
    data = {"blurry": str(tmp_path / "blurry"), "clear": str(tmp_path / "clear")}
    for index, image in enumerate(clear):
        write_image(tmp_path / "clear" / f"{index}.tif", image)
        write_image(tmp_path / "blurry" / f"{index}.tif", clear[1 - index] * 0.8 + 0.1)
    old = OLD_CONFIG | {"data": OLD_CONFIG["data"] | data}
    quiet = {"progress": False, "log": lambda line: None}
    straight = run_training(config_from_dict(old), tmp_path / "straight", **quiet).run_dir
    stopped = Path(shutil.copytree(straight, tmp_path / "old"))
    (stopped / "checkpoints" / "step_000002.npz").unlink()
    (stopped / "config.json").write_text(json.dumps(old))
    (stopped / "state.json").write_text(json.dumps({"step": 1, "steps": 2, "kind": "cyclegan", "finished": False}))
    resume_training(stopped, **quiet)
    expected, actual = checkpoint_arrays(straight, 2), checkpoint_arrays(stopped, 2)
    assert expected.keys() == actual.keys()
    for key in expected:
        np.testing.assert_array_equal(expected[key], actual[key], err_msg=key)


def test_new_unpaired_runs_spread_their_pairs_blur_and_keep_grey_levels_and_old_runs_do_not():
    from cyclesem.config import config_from_dict
    from cyclesem.config.cyclegan import resolve_cyclegan_config

    new = resolve_cyclegan_config("tiny")
    assert new.model.physical.pair_width_scale == (0.2, 1.5) and new.enhance.keep_grey_levels
    old = config_from_dict(OLD_CONFIG)
    assert old.model.physical.pair_width_scale is None and not old.enhance.keep_grey_levels
