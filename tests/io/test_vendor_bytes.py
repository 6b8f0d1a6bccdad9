"""Vendor tags come back byte for byte, with their ASCII type (issue 17, case 4)."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from cyclesem.io import read_image, write_image
from tests.conftest import SHARED_DATA

FEI_TAG = 34682


def vendor_tag(path):
    with tifffile.TiffFile(path) as tif:
        tag = tif.pages.first.tags[FEI_TAG]
        with open(path, "rb") as handle:
            handle.seek(tag.valueoffset)
            return int(tag.dtype), tag.count, handle.read(tag.valuebytecount)


def test_an_ascii_vendor_tag_without_nul_comes_back_byte_for_byte(tmp_path):
    text = b"[User]\r\nDate=08/09/2021\r\n[Scan]\r\nPixelWidth=1e-08\r\nEnd=\r\n"
    source = tmp_path / "fei.tif"
    tifffile.imwrite(source, np.full((40, 48), 1000, np.uint16), photometric="minisblack",
                     extratags=[(FEI_TAG, 7, len(text), text, True)])
    with open(source, "r+b") as handle:  # make it ASCII without a trailing NUL, as FEI instruments do
        from cyclesem.io.write import _restore_ascii_types
        _restore_ascii_types(handle, {FEI_TAG})
    assert vendor_tag(source) == (2, len(text), text)
    image = read_image(source)
    out = write_image(tmp_path / "out.tif", image.content * 0.5, like=image)
    assert vendor_tag(out) == (2, len(text), text)


def test_real_fei_tag_is_unchanged(tmp_path):
    files = sorted((SHARED_DATA / "sem-denoise" / "noisy").glob("*.tif"))[:1]
    if not files:
        import pytest
        pytest.skip("real FEI files not found under ../shared/data/sem-denoise/noisy")
    image = read_image(files[0])
    out = write_image(tmp_path / "out.tif", image.content, like=image)
    assert vendor_tag(out) == vendor_tag(files[0])


def test_resolution_unit_and_subfile_type_come_back(tmp_path):
    source = tmp_path / "res.tif"
    tifffile.imwrite(source, np.full((40, 48), 1000, np.uint16), photometric="minisblack",
                     resolution=((33, 1), (33, 1)), resolutionunit=3, subfiletype=0)
    image = read_image(source)
    out = write_image(tmp_path / "out.tif", image.content, like=image)
    with tifffile.TiffFile(out) as tif:
        tags = tif.pages.first.tags
        assert tags[282].value == (33, 1) and tags[283].value == (33, 1)
        assert int(tags[296].value) == 3 and 254 in tags


def test_compression_and_predictor_come_back(tmp_path):
    """An LZW file with a horizontal predictor is written back LZW with that predictor, pixels kept."""
    pytest.importorskip("imagecodecs", reason="tifffile needs imagecodecs to write LZW")
    source = tmp_path / "lzw.tif"
    pixels = (np.random.default_rng(0).random((40, 48)) * 65535).astype(np.uint16)
    tifffile.imwrite(source, pixels, photometric="minisblack", compression="lzw", predictor=True)
    image = read_image(source)
    out = write_image(tmp_path / "out.tif", image.content, like=image)
    with tifffile.TiffFile(out) as tif:
        page = tif.pages.first
        assert (int(page.compression), int(page.predictor)) == (5, 2)
        assert np.array_equal(page.asarray(), pixels)
