"""The Defocus map widget adds the map of `cyclesem focus` as a layer over its image, at its scale."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("napari", reason="napari is not installed (pip install 'cyclesem[napari]')")

from cyclesem.restore.defocus import defocus_map  # noqa: E402
from cyclesem.io import read_image  # noqa: E402


def test_the_defocus_map_is_added_as_a_layer_at_the_image_scale(viewer, qtbot, sem_tiff):
    [layer] = viewer.open(sem_tiff, plugin="cyclesem")
    _, widget = viewer.window.add_plugin_dock_widget("cyclesem", "Defocus map")
    widget.button.clicked()
    qtbot.waitUntil(lambda: widget.button.enabled and len(viewer.layers) == 2, timeout=60_000)
    found = viewer.layers[-1]
    assert found.colormap.name == "magma" and found.data.shape == layer.data.shape
    np.testing.assert_allclose(found.scale, layer.scale)
    np.testing.assert_array_equal(found.data, defocus_map(read_image(sem_tiff).content).full())
    assert found.metadata["cyclesem"]["defocus"]["verdict"] in widget.status.value
