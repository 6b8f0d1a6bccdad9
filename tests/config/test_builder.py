"""Tests of cyclesem.config.builder and the kind dispatch of cyclesem.config."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

import pytest

from cyclesem.config import build, config_from_dict, load_mapping, resolve, resolve_config, to_dict
from cyclesem.config.builder import apply_overrides, merge, parse_override
from cyclesem.config.common import DataSettings
from cyclesem.errors import CyclesemError


@dataclass(frozen=True)
class Optim:
    learning_rate: float = 2e-4
    betas: tuple[float, ...] = (0.5, 0.999)
    name: str = "adam"

    def check(self) -> list[str]:
        return [] if self.learning_rate > 0 else ["'learning_rate' must be > 0"]


@dataclass(frozen=True)
class Outer:
    steps: int = 10
    eager: bool = False
    optim: Optim = field(default_factory=Optim)


def test_build_converts_nested_values_and_keeps_defaults():
    config = build(Outer, {"steps": 3, "optim": {"learning_rate": 1, "betas": [0.9, 0.99]}})
    assert config == Outer(3, False, Optim(1.0, (0.9, 0.99)))
    assert isinstance(config.optim.learning_rate, float)
    assert to_dict(config) == {"steps": 3, "eager": False,
                               "optim": {"learning_rate": 1.0, "betas": [0.9, 0.99], "name": "adam"}}
    assert build(Outer, to_dict(config)) == config


def test_build_lists_every_problem_at_once():
    with pytest.raises(CyclesemError) as caught:
        build(Outer, {"stepz": 1, "eager": "yes", "optim": {"learning_rate": -1.0, "bogus": 2}},
              source="run.toml")
    message = str(caught.value)
    assert message.startswith("run.toml: invalid config:")
    for part in ("unknown key 'stepz'", "'eager' must be bool", "unknown key 'optim.bogus'",
                 "optim.'learning_rate' must be > 0"):
        assert part in message


def test_overrides_parse_toml_values_and_fall_back_to_strings():
    assert parse_override("optim.learning_rate=1e-3") == (["optim", "learning_rate"], 1e-3)
    assert parse_override("optim.name=sgd") == (["optim", "name"], "sgd")
    assert apply_overrides({"steps": 1}, ["optim.betas=[0.8, 0.9]"]) == {"steps": 1, "optim": {"betas": [0.8, 0.9]}}
    with pytest.raises(CyclesemError, match="key=value"):
        parse_override("steps")
    with pytest.raises(CyclesemError, match="not a table"):
        apply_overrides({"steps": 1}, ["steps.x=2"])


@dataclass(frozen=True)
class Maybe:
    scale: tuple[float, float] | None = (0.2, 1.5)
    label: str | None = None


def test_none_unsets_a_setting_that_may_be_none_and_takes_no_string():
    assert build(Maybe, apply_overrides({}, ["scale=none"])) == Maybe(None)
    assert build(Maybe, apply_overrides({}, ["scale=None", "label=none"])) == Maybe(None, "none")
    with pytest.raises(CyclesemError, match="'scale' must be"):
        build(Maybe, apply_overrides({}, ["scale=nothing"]))


def test_resolve_layers_preset_file_overrides_and_options_in_that_order():
    base = {"steps": 1, "optim": {"name": "preset"}}
    config = resolve(Outer, base, {"steps": 2, "optim": {"learning_rate": 0.1}}, ["steps=3"],
                     {"eager": True, "steps": None, "optim": {"name": None}})
    assert config == Outer(3, True, Optim(0.1, (0.5, 0.999), "preset"))
    assert merge({"a": {"b": 1}}, {"a": {"c": 2}}) == {"a": {"b": 1, "c": 2}}


def test_load_mapping_reads_toml_and_json_and_names_bad_files(tmp_path):
    (tmp_path / "a.toml").write_text("steps = 4\n[optim]\nname = 'x'\n")
    (tmp_path / "a.json").write_text('{"steps": 5}')
    assert load_mapping(tmp_path / "a.toml") == {"steps": 4, "optim": {"name": "x"}}
    assert load_mapping(tmp_path / "a.json") == {"steps": 5}
    (tmp_path / "bad.toml").write_text("steps = = 4")
    with pytest.raises(CyclesemError, match="bad.toml: not a valid config file"):
        load_mapping(tmp_path / "bad.toml")
    with pytest.raises(CyclesemError, match="cannot read config file"):
        load_mapping(tmp_path / "missing.toml")


def test_every_kind_resolves_through_one_function_and_round_trips():
    for kind in ("cyclegan", "midnet", "nafnet"):
        config = resolve_config(kind, "tiny")
        assert config.kind == kind and config.preset == "tiny"
        assert config_from_dict(to_dict(config)) == config
    again = config_from_dict(to_dict(resolve_config("midnet", "tiny")), {"train": {"steps": 7}})
    assert again.train.steps == 7
    with pytest.raises(CyclesemError, match="unknown model kind 'gan'"):
        resolve_config("gan")
    with pytest.raises(CyclesemError, match="no 'kind'"):
        config_from_dict({})


def test_data_settings_give_their_normalizer():
    normalizer = DataSettings(norm_low=1.0, norm_high=99.0).normalizer()
    assert (normalizer.low, normalizer.high) == (1.0, 99.0)


def test_configs_import_no_keras():
    code = ("import sys, cyclesem.config, cyclesem.config.cyclegan, cyclesem.config.supervised\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
