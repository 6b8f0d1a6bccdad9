"""Tests for cyclesem.restore.enhance: files keep format, bit depth, metadata and info bar."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from tests.conftest import shared_path

from cyclesem import io
from cyclesem.restore.enhance import enhance_file, output_path
from cyclesem.errors import CyclesemError
from cyclesem.restore.runs import load_run
from cyclesem.restore.tiling import TileSpec
from tests.helpers import NOTE_TAG, check_enhanced, file_digest, make_run, micrograph, with_info_bar, write_stack  # noqa: E402

SMALL_TILES = TileSpec(tile=64, margin=8, blend=16)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return load_run(make_run(tmp_path_factory.mktemp("enhance") / "run"))


@pytest.mark.parametrize("suffix, dtype", [(".png", "uint8"), (".tif", "uint16"), (".png", "uint16")])
def test_enhancement_keeps_format_bit_depth_and_info_bar(run, tmp_path, suffix, dtype):
    source = io.write_image(tmp_path / f"in{suffix}", with_info_bar(micrograph((100, 120))), dtype=dtype)
    assert io.read_image(source).info.info_bar_rows == 20
    fingerprint = file_digest(source)
    target = enhance_file(run, source, tmp_path / "out" / source.name, tile=SMALL_TILES)
    check_enhanced(source, target)
    assert file_digest(source) == fingerprint


def test_enhancement_equals_run_enhance_on_the_content(run, tmp_path):
    source = io.write_image(tmp_path / "in.tif", micrograph((90, 70)), dtype="float32")
    target = enhance_file(run, source, tmp_path / "out.tif", tile=SMALL_TILES)
    expected = run.enhance(io.read_image(source).content, tile=SMALL_TILES)
    np.testing.assert_allclose(io.read_image(target).pixels, expected, atol=1e-6)


@pytest.mark.shared_data
def test_real_fei_tiff_keeps_metadata_and_info_bar_bytes(run, tmp_path):
    source = shared_path("sem-denoise", "noisy") / "001.tif"
    fingerprint = file_digest(source)
    target = enhance_file(run, source, tmp_path / "001.tif")
    before, after = check_enhanced(source, target)
    assert before.info.info_bar_rows > 0 and before.info.vendor == "fei"
    assert after.info.pixel_size == before.info.pixel_size
    assert after.info.beam_voltage == before.info.beam_voltage
    with tifffile.TiffFile(source) as original, tifffile.TiffFile(target) as enhanced:
        assert enhanced.fei_metadata == original.fei_metadata
        for code in (34680, 34682):
            tag_in, tag_out = original.pages.first.tags.get(code), enhanced.pages.first.tags.get(code)
            assert (tag_in is None) == (tag_out is None)
            if tag_in is not None:
                assert tag_out.value == tag_in.value
    assert file_digest(source) == fingerprint


def test_existing_output_is_kept_unless_overwrite(run, tmp_path):
    source = io.write_image(tmp_path / "a" / "in.png", micrograph((40, 40)), dtype="uint8")
    target = io.write_image(tmp_path / "b" / "in.png", np.zeros((40, 40), np.float32), dtype="uint8")
    with pytest.raises(CyclesemError, match="exists"):
        enhance_file(run, source, target)
    assert io.read_image(target).pixels.max() == 0
    enhance_file(run, source, target, overwrite=True)
    assert io.read_image(target).pixels.max() > 0


def test_output_never_replaces_the_input(run, tmp_path):
    source = io.write_image(tmp_path / "in.png", micrograph((40, 40)), dtype="uint8")
    fingerprint = file_digest(source)
    with pytest.raises(CyclesemError, match="replace the input"):
        enhance_file(run, source, source, overwrite=True)
    with pytest.raises(CyclesemError, match="own folder"):
        output_path(source, tmp_path / "." / "")
    assert output_path(source, tmp_path / "out") == tmp_path / "out" / "in.png"
    assert file_digest(source) == fingerprint


def test_unreadable_input_is_a_clear_error(run, tmp_path):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00" + bytes(20))
    with pytest.raises(CyclesemError, match="broken.tif"):
        enhance_file(run, broken, tmp_path / "out" / "broken.tif")
    assert not (tmp_path / "out" / "broken.tif").exists()


def test_a_tiff_stack_is_enhanced_page_by_page_with_its_info_bars(run, tmp_path):

    pages = [micrograph((80, 96), seed=k) for k in range(3)]
    pages[1] = with_info_bar(micrograph((60, 96), seed=9))
    write_stack(tmp_path / "in.tif", pages)
    enhance_file(run, tmp_path / "in.tif", tmp_path / "out.tif", tile=SMALL_TILES)
    with tifffile.TiffFile(tmp_path / "in.tif") as before, tifffile.TiffFile(tmp_path / "out.tif") as after:
        assert len(after.pages) == 3 and after.pages[2].tags[NOTE_TAG].value == "z = 20 nm"
        for k, (old, new) in enumerate(zip(before.pages, after.pages)):
            raw = old.asarray().astype(np.float32) / 65535
            content = raw[:60] if k == 1 else raw
            expected = run.enhance(content, tile=SMALL_TILES).clip(0, 1)
            assert new.dtype == np.uint16 and new.shape == old.shape
            np.testing.assert_allclose(new.asarray()[: len(content)] / 65535, expected, atol=1e-4)
        np.testing.assert_array_equal(after.pages[1].asarray()[60:], before.pages[1].asarray()[60:])
