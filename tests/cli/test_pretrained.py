"""Tests for cyclesem.pretrained: the packaged models, their cards, names in place of run folders."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from tests.conftest import shared_path

from cyclesem import io, pretrained
from cyclesem.cli import main
from cyclesem.errors import CyclesemError
from cyclesem.restore.runs import load_run
from tests.helpers import check_enhanced, micrograph, one_line_error, with_info_bar  # noqa: E402

MAX_BYTES = 10 * 1024 * 1024


def invoke(*args):
    return CliRunner().invoke(main, [*map(str, args)])


def test_the_two_models_are_packaged():
    assert {"sem-deblur", "sem-denoise"} <= set(pretrained.model_names())


@pytest.mark.parametrize("name", pretrained.model_names())
def test_each_model_loads_in_safe_mode_with_a_valid_card_and_small_weights(name):
    folder = pretrained.model_dir(name)
    assert (folder / "generator.keras").stat().st_size <= MAX_BYTES
    assert pretrained.card_problems(pretrained.card(name), name) == []
    run = load_run(name)  # runs.load_run loads with safe_mode=True only
    assert run.path == folder and run.kind in ("midnet", "nafnet")
    image = micrograph((40, 56))
    out = run.enhance(image)
    assert out.shape == image.shape and np.isfinite(out).all()


def test_card_problems_names_what_is_missing():
    problems = pretrained.card_problems("# other\n\n## Scores\n", "sem-x")
    assert "the card must start with '# sem-x'" in problems
    assert "the title must be followed by a one-line summary" in problems
    assert "missing section '## Recipe'" in problems and "missing section '## Scores'" not in problems


def test_unknown_names_list_the_known_models_and_paths_stay_paths(tmp_path):
    with pytest.raises(CyclesemError, match="unknown model 'sem-nothing'; packaged models: sem-deblur"):
        pretrained.resolve("sem-nothing")
    with pytest.raises(CyclesemError, match="no such folder"):
        pretrained.resolve(tmp_path / "missing")
    (tmp_path / "sem-deblur").mkdir()
    assert pretrained.resolve(tmp_path / "sem-deblur") == tmp_path / "sem-deblur"


def test_models_lists_one_line_each_and_shows_cards():
    result = invoke("models")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == pretrained.model_names()
    shown = invoke("models", "show", "sem-deblur")
    assert shown.exit_code == 0 and shown.output == pretrained.card("sem-deblur")
    one_line_error(invoke("models", "show", "nope"), "unknown model 'nope'", "sem-deblur", "sem-denoise")


def test_enhance_with_an_unknown_model_is_one_line_listing_the_known_ones(tmp_path):
    source = io.write_image(tmp_path / "in.png", micrograph((40, 40)), dtype="uint8")
    result = invoke("enhance", "--model", "sem-blurry", source, "--out", tmp_path / "out")
    one_line_error(result, "unknown model 'sem-blurry'", "sem-deblur, sem-denoise")


@pytest.mark.parametrize("suffix, dtype", [(".png", "uint8"), (".tif", "uint16")])
def test_enhance_model_keeps_bit_depth_and_info_bar(tmp_path, suffix, dtype):
    source = io.write_image(tmp_path / f"in{suffix}", with_info_bar(micrograph((100, 120))), dtype=dtype)
    result = invoke("enhance", "--model", "sem-deblur", source, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    check_enhanced(source, tmp_path / "out" / source.name)


def test_sem_deblur_limits_its_output_to_supported_detail_unless_told_not_to(tmp_path):
    from cyclesem.restore.support import limit_to_support

    source = io.write_image(tmp_path / "in.tif", micrograph((96, 80)), dtype="uint16")
    limited = invoke("enhance", "--model", "sem-deblur", source, "--out", tmp_path / "on", "--no-keep-grey-levels")
    plain = invoke("enhance", "--model", "sem-deblur", source, "--out", tmp_path / "off", "--no-limit-to-support",
                   "--no-keep-grey-levels")
    assert limited.exit_code == 0 and plain.exit_code == 0, limited.output + plain.output
    assert "output limited to the detail its input supports" in limited.stderr
    assert "supports" not in plain.stderr
    image = io.read_image(source).content
    on, off = (io.read_image(tmp_path / folder / "in.tif").content for folder in ("on", "off"))
    np.testing.assert_allclose(on, np.clip(limit_to_support(off, image), 0, 1), atol=3 / 65535)
    assert np.abs(on - off).max() > 1e-3


def test_sem_deblur_keeps_its_inputs_grey_levels_unless_told_not_to(tmp_path):
    from cyclesem.restore.grey_levels import keep_grey_levels, large_scale_contrast

    source = io.write_image(tmp_path / "in.tif", micrograph((96, 80)), dtype="uint16")
    kept = invoke("enhance", "--model", "sem-deblur", source, "--out", tmp_path / "kept")
    raw = invoke("enhance", "--model", "sem-deblur", source, "--out", tmp_path / "raw", "--no-keep-grey-levels")
    assert kept.exit_code == 0 and raw.exit_code == 0, kept.output + raw.output
    assert "grey levels kept" in kept.stderr and "grey levels" not in raw.stderr
    image = io.read_image(source).content
    on, off = (io.read_image(tmp_path / folder / "in.tif").content for folder in ("kept", "raw"))
    np.testing.assert_allclose(on, np.clip(keep_grey_levels(off, image), 0, 1), atol=3 / 65535)
    assert abs(large_scale_contrast(on) / large_scale_contrast(image) - 1) < 0.03


@pytest.mark.shared_data
def test_enhance_model_keeps_fei_metadata(tmp_path):
    source = shared_path("sem-denoise", "noisy") / "001.tif"
    result = invoke("enhance", "--model", "sem-denoise", source, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    before, after = check_enhanced(source, tmp_path / "001.tif")
    assert after.info.pixel_size == before.info.pixel_size and after.info.vendor == "fei"
    assert after.info.dwell_time == before.info.dwell_time


def test_compare_takes_model_names_as_methods(tmp_path):
    for side in ("blurry", "sharp"):
        io.write_image(tmp_path / side / "1-1_s000.png", micrograph((64, 64), seed=3), dtype="uint8")
    result = invoke("compare", "--pairs", tmp_path / "blurry", tmp_path / "sharp",
                    "--methods", "identity,sem-deblur", "--out", tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    assert "sem-deblur" in (tmp_path / "cmp" / "metrics.csv").read_text()
    one_line_error(invoke("compare", "--pairs", tmp_path / "blurry", tmp_path / "sharp",
                          "--methods", "identity,sem-nope", "--out", tmp_path / "cmp2"),
                   "sem-nope", "packaged model (sem-deblur, sem-denoise)")
