"""Recipes: packaged files, validation of every key and range, drawing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cyclesem.errors import CyclesemError
from synth.degrade import BLUR_KINDS
from synth.recipes import Recipe, draw, load_recipe, recipe_names


def test_packaged_recipes_load():
    names = recipe_names()
    assert {"gaussian", "fog", "hybrid", "sem_noise", "demo"} <= set(names)
    for name in names:
        recipe = load_recipe(name)
        assert isinstance(recipe, Recipe) and recipe.name == name and recipe.description


def test_sem_noise_recipe_has_noise_and_jitter():
    noise = load_recipe("sem_noise").noise
    assert noise.dose[0] > 0 and noise.jitter[1] > 0


def test_every_bad_key_and_range_is_listed_at_once(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        "colour = 3\n"
        "[blur]\nkinds = ['gaussian', 'motion']\nsigma = [3.0, 1.0]\nblurriness = 2\n"
        "[fog]\nveil = [0.5, 1.5]\n"
        "[noise]\ndose = [0.0, 10.0]\nbits = 20\nhum = 1\n",
        encoding="utf-8",
    )
    with pytest.raises(CyclesemError) as info:
        load_recipe(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for needle in ("colour", "blur.blurriness", "noise.hum", "motion", "'sigma' range [3.0, 1.0]", "'veil'", "'dose'", "'bits'"):
        assert needle in message, needle


def test_user_file_and_unknown_name(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[blur]\nkinds = ['defocus']\nradius = [1.0, 2.0]\n", encoding="utf-8")
    recipe = load_recipe(path)
    assert recipe.name == "mine" and recipe.blur.kinds == ("defocus",)
    with pytest.raises(CyclesemError, match="packaged: .*hybrid"):
        load_recipe("no-such-recipe")


def test_draw_is_seeded_and_within_ranges():
    recipe = load_recipe("hybrid")
    first = [draw(recipe, np.random.default_rng(s)) for s in range(40)]
    again = [draw(recipe, np.random.default_rng(s)) for s in range(40)]
    assert first == again
    assert {d.blur_kind for d in first} == set(recipe.blur.kinds)
    for d in first:
        assert recipe.noise.dose[0] <= d.dose <= recipe.noise.dose[1]
        assert recipe.fog.veil[0] <= d.veil <= recipe.fog.veil[1]
        if d.blur_kind == "gaussian":
            assert recipe.blur.sigma[0] <= d.sigma_x <= recipe.blur.sigma[1] and d.radius_x == 0.0
            assert d.sigma_y <= d.sigma_x
        else:
            assert recipe.blur.radius[0] <= d.radius_x <= recipe.blur.radius[1] and d.sigma_x == 0.0
        assert d.psf().sum() == pytest.approx(1.0, abs=1e-5)


def test_drift_has_the_drawn_length_in_a_random_direction():
    recipe = dataclasses.replace(Recipe(), noise=dataclasses.replace(Recipe().noise, drift=(2.0, 2.0)))
    drawn = [draw(recipe, np.random.default_rng(s)) for s in range(10)]
    for d in drawn:
        assert np.hypot(d.drift_x, d.drift_y) == pytest.approx(2.0)
    assert len({round(d.drift_x, 6) for d in drawn}) == 10


def test_blur_kinds_are_the_documented_ones():
    assert BLUR_KINDS == ("none", "gaussian", "defocus", "astigmatism")
