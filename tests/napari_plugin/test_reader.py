"""The reader: SEM files open at their pixel size with their metadata; stacks as 3-D layers; bad files as one line."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("napari", reason="napari is not installed (pip install 'cyclesem[napari]')")

from cyclesem.io import read_image  # noqa: E402
from cyclesem.napari_plugin.reader import get_reader, read_layers  # noqa: E402
from tests.io.test_stacks import pages, write_stack  # noqa: E402
from tests.napari_plugin.conftest import PIXEL_SIZE_NM, only_one_line_errors  # noqa: E402


def test_napari_opens_an_sem_tiff_at_its_pixel_size(viewer, sem_tiff):
    layers = viewer.open(sem_tiff, plugin="cyclesem")
    assert len(layers) == 1
    layer = layers[0]
    np.testing.assert_allclose(layer.scale, [PIXEL_SIZE_NM, PIXEL_SIZE_NM])
    assert [str(unit) for unit in layer.units] == ["nanometer", "nanometer"]
    np.testing.assert_array_equal(layer.data, read_image(sem_tiff).content)  # the rows above the info bar
    assert layer.metadata["pixel_size"] == pytest.approx(PIXEL_SIZE_NM * 1e-9)
    assert layer.metadata["vendor"] == "zeiss" and layer.metadata["info_bar_rows"] == 16
    assert layer.metadata["cyclesem"] == {"source": str(sem_tiff), "layout": "image"}


def test_a_stack_is_one_3d_layer_of_its_pages(tmp_path):
    write_stack(tmp_path / "stack.tif", pages(3, shape=(40, 50)))
    [(data, attributes, kind)] = get_reader(str(tmp_path / "stack.tif"))(str(tmp_path / "stack.tif"))
    assert kind == "image" and data.shape == (3, 40, 50) and data.dtype == np.float32
    assert attributes["axis_labels"] == ("page", "y", "x") and attributes["scale"] == (1.0, 1.0, 1.0)
    assert len(attributes["metadata"]["pages"]) == 3 and attributes["metadata"]["cyclesem"]["layout"] == "stack"
    np.testing.assert_allclose(data, np.round(np.stack(pages(3, shape=(40, 50))) * 65535) / 65535, atol=1e-7)


def test_an_ome_zarr_image_opens_at_its_pixel_size(tmp_path):
    zarr = pytest.importorskip("zarr")
    store = zarr.open_group(str(tmp_path / "image.zarr"), mode="w")
    store.create_array("0", data=np.arange(48 * 64, dtype=np.uint16).reshape(48, 64))
    axes = [{"name": "y", "type": "space", "unit": "micrometer"}, {"name": "x", "type": "space", "unit": "micrometer"}]
    transforms = [{"type": "scale", "scale": [0.005, 0.005]}]
    store.attrs["multiscales"] = [{"axes": axes, "datasets": [{"path": "0", "coordinateTransformations": transforms}]}]
    [(data, attributes, _)] = read_layers(str(tmp_path / "image.zarr"))
    assert data.shape == (48, 64) and attributes["units"] == ["nm", "nm"]
    np.testing.assert_allclose(attributes["scale"], [5.0, 5.0])


def test_a_bad_file_is_one_error_line_and_no_layer(viewer, tmp_path, notifications):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00 not really a tiff")
    viewer.open(broken, plugin="cyclesem")
    assert len(viewer.layers) == 0
    [message] = only_one_line_errors(notifications)
    assert message.startswith(str(broken))
    assert get_reader(str(tmp_path / "notes.txt")) is None
