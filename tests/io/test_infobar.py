"""Tests for cyclesem.io.infobar: finding the instrument's info bar."""

from __future__ import annotations

import numpy as np
import pytest

from cyclesem.io.infobar import find_info_bar
from cyclesem.io import read_image
from tests.conftest import shared_path


def micrograph(height=256, width=320, seed=0):
    """A noisy, textured SEM-like frame in [0, 1] (no info bar)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    texture = 0.4 + 0.15 * np.sin(rows / 7.0 + seed) * np.cos(cols / 11.0)
    for _ in range(6):
        cy, cx, radius = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(8, 30)
        texture[np.hypot(rows - cy, cols - cx) < radius] += 0.3
    return np.clip(texture + rng.normal(0, 0.03, texture.shape), 0, 1).astype(np.float32)


def with_bar(frame, rows, background=0.0, ink=1.0, top_line=None):
    """``frame`` with a drawn bar of ``rows`` rows: scale bar and glyph-like blocks."""
    frame = frame.copy()
    band = frame[-rows:]
    band[:] = background
    width = frame.shape[1]
    band[rows // 2, width // 2 : width // 2 + width // 5] = ink
    for left in range(6, width // 3, 8):
        band[3 : rows - 3, left : left + 4] = ink
    if top_line is not None:
        band[0] = top_line
    return frame


@pytest.mark.parametrize("rows", [8, 24, 60])
def test_black_bar_with_white_text_is_found(rows):
    assert find_info_bar(with_bar(micrograph(), rows)) == rows


def test_white_bar_with_dark_text_is_found():
    assert find_info_bar(with_bar(micrograph(seed=3), 30, background=1.0, ink=0.0)) == 30


def test_result_does_not_depend_on_scale_or_dtype():
    frame = with_bar(micrograph(seed=1), 20)
    assert find_info_bar((frame * 65535).astype(np.uint16)) == 20
    assert find_info_bar(frame * 1000.0 - 300.0) == 20


@pytest.mark.parametrize("seed", range(4))
def test_plain_micrograph_has_no_bar(seed):
    assert find_info_bar(micrograph(seed=seed)) == 0


def test_naturally_black_bottom_is_not_a_bar():
    frame = micrograph(seed=2)
    frame[-40:] = 0.0  # saturated dark region, no text
    assert find_info_bar(frame) == 0


def test_flat_bottom_crossed_by_a_bright_particle_is_not_a_bar():
    frame = micrograph(seed=4)
    frame[-40:] = 0.0
    rows, cols = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]]
    frame[np.hypot(rows - (frame.shape[0] - 40), cols - 100) < 15] = 1.0  # crosses the edge
    assert find_info_bar(frame) == 0


def test_dark_gradient_at_the_bottom_is_not_a_bar():
    frame = micrograph(seed=5)
    frame *= np.linspace(1.0, 0.05, frame.shape[0])[:, None].astype(np.float32)
    assert find_info_bar(frame) == 0


def test_binary_image_is_not_all_bar():
    rng = np.random.default_rng(0)
    frame = (rng.random((200, 200)) > 0.97).astype(np.float32)
    assert find_info_bar(frame) == 0


@pytest.mark.parametrize("frame", [np.zeros((100, 100)), np.ones((10, 10)), np.full((64, 8), 0.5)])
def test_constant_or_tiny_images_have_no_bar(frame):
    assert find_info_bar(frame) == 0


def test_hint_chooses_between_a_frame_line_and_the_bar():
    # FEI style: a one-row overlay line above the bar; metadata says the bar is 30 rows
    frame = with_bar(micrograph(seed=6), 31, top_line=0.6)
    frame[-30] = 1.0
    assert find_info_bar(frame) == 31
    assert find_info_bar(frame, hint_rows=30) == 30


def test_hint_that_names_no_bar_is_ignored():
    assert find_info_bar(micrograph(seed=7), hint_rows=40) == 0
    assert find_info_bar(with_bar(micrograph(seed=7), 20), hint_rows=55) == 20


def test_fei_tiffs_bar_found_by_metadata_hint_and_by_analysis():
    files = sorted(shared_path("sem-denoise").glob("*/*.tif"))
    assert len(files) == 40
    for path in files:
        image = read_image(path)
        assert image.info.info_bar_rows == 29, path  # 471 rows - Image.ResolutionY 442
        # without metadata the green frame line above the bar joins it
        assert find_info_bar(image.pixels) in (29, 30), path


def test_midnet_crops_only_the_bottom_crops_carry_a_jeol_bar():
    """Crops s009-s012 of each source image include the JEOL data bar (64 rows)."""
    files = sorted(shared_path("midnet-defocus").glob("*/*.png"))
    assert len(files) == 168
    for path in files:
        has_bar = path.stem.split("_s")[1] in {"009", "010", "011", "012"}
        assert read_image(path).info.info_bar_rows == (64 if has_bar else 0), path


def test_sem_clear_micrographs_have_no_bar():
    files = sorted(p for p in shared_path("sem-clear").glob("*/*") if p.suffix in {".png", ".tif"})
    assert len(files) == 23
    for path in files:
        assert read_image(path).info.info_bar_rows == 0, path
