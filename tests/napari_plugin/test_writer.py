"""The writer puts a layer back into its source's file layout: info bar, dtype, vendor tags; stacks page by page."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("napari", reason="napari is not installed (pip install 'cyclesem[napari]')")

import tifffile  # noqa: E402

from cyclesem.io import read_image  # noqa: E402
from cyclesem.napari_plugin.reader import read_layers  # noqa: E402
from cyclesem.napari_plugin.writer import write_image_layer  # noqa: E402
from tests.io.test_stacks import NOTE_TAG, pages, write_stack  # noqa: E402


def test_a_read_layer_written_back_keeps_its_bar_and_metadata(sem_tiff, tmp_path):
    [(data, attributes, _)] = read_layers(str(sem_tiff))
    [written] = write_image_layer(str(tmp_path / "inverted.tif"), 1.0 - data, attributes)
    again, source = read_image(written), read_image(sem_tiff)
    assert again.info.pixel_size == source.info.pixel_size and again.info.vendor == "zeiss"
    assert again.info.dtype == "uint16" and again.info.info_bar_rows == source.info.info_bar_rows
    np.testing.assert_array_equal(again.info_bar_raw, source.info_bar_raw)
    np.testing.assert_allclose(again.content, 1.0 - source.content, atol=1 / 65535)
    [same] = write_image_layer(str(tmp_path / "same.tif"), data, attributes)
    assert tifffile.imread(same).tobytes() == tifffile.imread(sem_tiff).tobytes()


def test_a_stack_layer_is_written_back_page_by_page(tmp_path):
    write_stack(tmp_path / "stack.tif", pages(2, shape=(40, 50)))
    [(data, attributes, _)] = read_layers(str(tmp_path / "stack.tif"))
    [written] = write_image_layer(str(tmp_path / "out.tif"), data[:, :, ::-1], attributes)
    with tifffile.TiffFile(written) as tif, tifffile.TiffFile(tmp_path / "stack.tif") as source:
        assert [page.tags[NOTE_TAG].value for page in tif.pages] == ["z = 0 nm", "z = 10 nm"]
        for new, old in zip(tif.pages, source.pages):
            np.testing.assert_array_equal(new.asarray(), old.asarray()[:, ::-1])


def test_a_new_layer_is_a_16_bit_image_and_a_mismatch_is_one_line(sem_tiff, tmp_path, monkeypatch):
    [written] = write_image_layer(str(tmp_path / "new.png"), np.full((20, 30), 0.5), {"metadata": {}})
    assert read_image(written).info.dtype == "uint16"
    shown = []
    monkeypatch.setattr("napari.utils.notifications.show_error", shown.append)
    [(data, attributes, _)] = read_layers(str(sem_tiff))
    assert write_image_layer(str(tmp_path / "cropped.tif"), data[:50], attributes) == []
    assert len(shown) == 1 and "does not fit a cropped" in shown[0] and "\n" not in shown[0]
