"""Tests for cyclesem.data.pairs: matching, group splits, loading with registration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from cyclesem import io
from cyclesem.errors import CyclesemError
from cyclesem.data.normalize import PercentileNormalizer
from cyclesem.data.pairs import (
    ImagePair,
    load_pair,
    load_pairs,
    match_pair_folders,
    match_pairs,
    source_group,
    split_pairs,
)
from tests.conftest import shared_path


def _names(*names):
    return [Path("somewhere") / name for name in names]


def _texture(shape=(112, 112), seed=0):
    """A smooth random field in [0, 1], like a micrograph's texture."""
    field = ndimage.gaussian_filter(np.random.default_rng(seed).random(shape), 1.0)
    return ((field - field.min()) / np.ptp(field)).astype(np.float32)


def _write(path, image):
    return io.write_image(path, image, dtype="float32")


def test_pairs_match_by_name_whatever_the_extension():
    pairs = match_pairs(_names("b.tif", "a.png"), _names("a.tif", "b.png"))
    assert [(p.name, p.blurry.name, p.sharp.name) for p in pairs] == [("a", "a.png", "a.tif"), ("b", "b.tif", "b.png")]


def test_unmatched_files_on_both_sides_are_listed_in_one_error():
    with pytest.raises(CyclesemError) as caught:
        match_pairs(_names("a.png", "b.png", "c.png"), _names("a.png", "d.png", "e.png"))
    message = str(caught.value)
    assert "2 blurry file(s) without a sharp partner: b.png, c.png" in message
    assert "2 sharp file(s) without a blurry partner: d.png, e.png" in message


def test_names_clashing_apart_from_extension_and_empty_sides_are_errors():
    with pytest.raises(CyclesemError, match="share a name apart from the extension: a.png, a.tif"):
        match_pairs(_names("a.png", "a.tif"), _names("a.png"))
    with pytest.raises(CyclesemError, match="no image pairs"):
        match_pairs([], [])


def test_source_groups_of_midnet_names_and_other_names():
    assert source_group("3-1_s007") == "3"
    assert source_group("12-1_s100") == "12"
    assert source_group("3-1_s007_copy") == "3-1_s007_copy"
    assert source_group("field") == "field"


def _grouped_pairs(groups=7, crops=3):
    names = [f"{g}-1_s{c:03d}.png" for g in range(1, groups + 1) for c in range(1, crops + 1)]
    return match_pairs(_names(*names), _names(*names))


@pytest.mark.parametrize("seed", range(5))
def test_split_never_puts_one_group_on_both_sides(seed):
    pairs = _grouped_pairs()
    train, val = split_pairs(pairs, 0.3, seed=seed)
    train_groups, val_groups = {p.group for p in train}, {p.group for p in val}
    assert not train_groups & val_groups
    assert len(val_groups) == 2 and len(train) + len(val) == len(pairs)
    assert split_pairs(pairs, 0.3, seed=seed) == (train, val)


def test_split_edge_cases():
    pairs = _grouped_pairs(groups=3)
    assert split_pairs(pairs, 0.0) == (pairs, [])
    train, val = split_pairs(pairs, 0.01)
    assert len({p.group for p in val}) == 1 and train
    train, val = split_pairs(pairs, 0.99)
    assert len({p.group for p in train}) == 1
    with pytest.raises(CyclesemError, match="1 source group"):
        split_pairs(_grouped_pairs(groups=1), 0.2)
    with pytest.raises(CyclesemError, match=r"\[0, 1\)"):
        split_pairs(pairs, 1.0)


def test_generic_names_split_file_by_file():
    pairs = match_pairs(_names(*[f"f{i}.png" for i in range(10)]), _names(*[f"f{i}.png" for i in range(10)]))
    train, val = split_pairs(pairs, 0.2, seed=1)
    assert len(val) == 2 and len(train) == 8


@pytest.mark.parametrize("shift", [(3.0, -2.0), (2.5, -1.25)])
def test_registration_recovers_a_known_shift_at_load_time(tmp_path, shift):
    field = _texture()
    sharp = field[8:104, 8:104]
    blurry = ndimage.shift(field, (-shift[0], -shift[1]), order=3, mode="nearest")[8:104, 8:104]
    pair = ImagePair("p", _write(tmp_path / "blurry.tif", blurry), _write(tmp_path / "sharp.tif", sharp), "p")
    loaded = load_pair(pair, register=True)
    np.testing.assert_allclose(loaded.shift, shift, atol=0.05)
    assert loaded.blurry.shape == loaded.sharp.shape
    assert 91 <= loaded.sharp.shape[0] < 96 and 91 <= loaded.sharp.shape[1] < 96
    unregistered = load_pair(pair)
    assert unregistered.shift == (0.0, 0.0) and unregistered.sharp.shape == (96, 96)
    assert np.abs(unregistered.blurry - unregistered.sharp).mean() > 5 * np.abs(loaded.blurry - loaded.sharp).mean()


def test_both_images_are_normalised_with_the_blurry_levels(tmp_path):
    sharp = _texture(seed=1)
    blurry = 0.5 * sharp + 0.25
    pair = ImagePair("p", _write(tmp_path / "b.tif", blurry), _write(tmp_path / "s.tif", sharp), "p")
    loaded = load_pair(pair, normalizer=PercentileNormalizer(0.0, 100.0))
    np.testing.assert_allclose(loaded.blurry.min(), 0.0, atol=1e-6)
    np.testing.assert_allclose(loaded.blurry.max(), 1.0, atol=1e-6)
    np.testing.assert_allclose(loaded.sharp, 2 * sharp - 0.5, atol=1e-5)


def test_folders_load_past_bad_pairs_and_report_them(tmp_path):
    for side in ("blurry", "sharp"):
        _write(tmp_path / side / "good.tif", _texture(seed=2))
    _write(tmp_path / "blurry" / "small.tif", _texture((40, 40)))
    _write(tmp_path / "sharp" / "small.tif", _texture((40, 48)))
    (tmp_path / "blurry" / "broken.png").write_bytes(b"not an image")
    io.write_image(tmp_path / "sharp" / "broken.png", _texture((40, 40)))
    pairs = match_pair_folders(tmp_path / "blurry", tmp_path / "sharp")
    loaded = load_pairs(pairs, register=True)
    assert [p.name for p in loaded.pairs] == ["good"]
    assert [Path(path).name for path, _ in loaded.failures] == ["broken.png", "small.tif"]
    assert "48x40 px" in loaded.failures[1][1]
    with pytest.raises(CyclesemError, match="none of the 1 pair"):
        load_pairs([pairs[0]])


def test_midnet_defocus_splits_by_source_image():
    folder = shared_path("midnet-defocus")
    pairs = match_pair_folders(folder / "blur", folder / "sharp")
    assert len(pairs) == 84 and len({p.group for p in pairs}) == 7
    train, val = split_pairs(pairs, 0.15, seed=0)
    assert len(val) == 12 and not {p.group for p in train} & {p.group for p in val}
