"""Configs refuse non-finite and out-of-range numbers and non-table files (issue 17, case 3)."""

from __future__ import annotations

import pytest

from cyclesem.config import load_mapping, resolve_config
from cyclesem.errors import CyclesemError


@pytest.mark.parametrize("override", [
    "optimizer.learning_rate=nan",
    "optimizer.learning_rate=inf",
    "optimizer.learning_rate=-inf",
    "train.steps=99999999999999999999",
    "train.seed=99999999999999999999",
])
def test_non_finite_and_huge_numbers_are_refused(override):
    with pytest.raises(CyclesemError, match="invalid config") as caught:
        resolve_config("cyclegan", overrides=[override])
    assert override.split("=")[0].split(".")[-1] in str(caught.value)
    assert "\n" not in str(caught.value)


def test_nan_in_a_json_config_is_refused(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"optimizer": {"learning_rate": NaN}}', encoding="utf-8")
    with pytest.raises(CyclesemError, match="finite"):
        resolve_config("cyclegan", file_mapping=load_mapping(path), source=str(path))


@pytest.mark.parametrize("text", ["[1, 2]", '"text"', "3"])
def test_a_json_config_must_be_a_table(tmp_path, text):
    path = tmp_path / "c.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CyclesemError, match="top level must be a table"):
        load_mapping(path)
