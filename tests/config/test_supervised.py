"""Tests of cyclesem.config.supervised: presets, validation of settings, resolution order."""

from __future__ import annotations

import pytest

pytest.importorskip("keras")

from cyclesem.config import to_dict  # noqa: E402
from cyclesem.errors import CyclesemError  # noqa: E402
from cyclesem.config.supervised import MIDNET_PRESETS  # noqa: E402
from cyclesem.config.supervised import PRESETS, SupervisedConfig, resolve_supervised_config  # noqa: E402
from cyclesem.config.cyclegan import PRESETS as CYCLEGAN_PRESETS  # noqa: E402


def test_defaults_are_the_paper_network_and_recipe():
    config = SupervisedConfig()
    assert (config.kind, config.skip) == ("midnet", "attention")
    assert config.model.width == 32 and config.model.enc_blocks == (1, 1, 1, 28)
    assert config.model.dec_blocks == (1, 1, 1, 1) and config.model.stride == 16
    assert (config.loss.l1, config.loss.edge, config.loss.fft) == (1.0, 0.05, 0.01)
    assert config.optimizer.learning_rate == 1e-3 and config.optimizer.final_learning_rate == 1e-7
    assert (config.optimizer.beta_1, config.optimizer.beta_2) == (0.9, 0.999)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_presets_take_their_network_from_midnet_presets(preset):
    config = resolve_supervised_config("nafnet", preset)
    sizes = MIDNET_PRESETS[preset]
    assert config.model.width == sizes["width"] and config.model.middle_blocks == sizes["middle_blocks"]
    assert config.model.enc_blocks == tuple(sizes["enc_blocks"])
    assert config.model.dec_blocks == tuple(sizes["dec_blocks"])
    assert config.kind == "nafnet" and config.skip == "add" and config.preset == preset
    assert config.train.crop % config.model.stride == 0


def test_preset_names_match_the_unpaired_trainer():
    assert list(PRESETS) == list(CYCLEGAN_PRESETS)  # the CLI offers one --preset choice


def test_file_then_set_then_options_and_none_is_ignored():
    config = resolve_supervised_config(
        "midnet", "tiny",
        {"kind": "nafnet", "train": {"steps": 7, "seed": 2}, "loss": {"edge": 0.1}},
        ["train.steps=9", "model.local_pool=1.5"],
        {"train": {"steps": None, "batch": 2}, "data": {"register": True, "blurry": None}},
    )
    assert config.kind == "nafnet" and config.train.steps == 9 and config.train.seed == 2
    assert config.train.batch == 2 and config.loss.edge == 0.1 and config.model.local_pool == 1.5
    assert config.data.register and config.data.blurry == ""


def test_saved_config_resolves_to_the_same_config():
    config = resolve_supervised_config("nafnet", "tiny", overrides=["data.val_fraction=0.25"])
    saved = to_dict(config)
    assert resolve_supervised_config(saved["kind"], saved["preset"], saved) == config


def test_every_bad_setting_is_listed_in_one_error():
    with pytest.raises(CyclesemError) as error:
        resolve_supervised_config("midnet", "small", {"loss": {"egde": 1.0}}, [
            "train.crop=72", "train.validate_every=0", "data.val_fraction=1.5",
            "optimizer.final_learning_rate=0.1", "model.dec_blocks=[1]"])
    message = str(error.value)
    for fragment in ("loss.egde", "multiple of the network's stride 16", "validate_every",
                     "val_fraction", "final_learning_rate", "same length"):
        assert fragment in message


def test_validation_folders_go_together_and_exclude_a_fraction():
    with pytest.raises(CyclesemError, match="go together"):
        resolve_supervised_config(options={"data": {"val_blurry": "a"}})
    with pytest.raises(CyclesemError, match="'val_fraction' must be 0"):
        resolve_supervised_config(options={"data": {"val_blurry": "a", "val_sharp": "b"}})
    config = resolve_supervised_config(options={"data": {"val_blurry": "a", "val_sharp": "b", "val_fraction": 0}})
    assert (config.data.val_blurry, config.data.val_sharp, config.data.val_fraction) == ("a", "b", 0.0)


def test_unknown_kind_and_preset_are_refused():
    with pytest.raises(CyclesemError, match="kind"):
        resolve_supervised_config("unet")
    with pytest.raises(CyclesemError, match="'preset' must be one of tiny, small, paper"):
        resolve_supervised_config("midnet", "huge")


def test_enhance_settings_are_off_by_default_and_refuse_unknown_keys():
    assert resolve_supervised_config().enhance.limit_to_support is False
    config = resolve_supervised_config("midnet", "small", {"enhance": {"limit_to_support": True}})
    assert config.enhance.limit_to_support is True
    with pytest.raises(CyclesemError, match="enhance.limit"):
        resolve_supervised_config("midnet", "small", {"enhance": {"limit": True}})
