"""Sample data: the phantom, sharp and blurred, small and quick."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("napari", reason="napari is not installed (pip install 'cyclesem[napari]')")

from cyclesem.restore.defocus import defocus_map  # noqa: E402
from cyclesem.napari_plugin.sample_data import SIZE, blurry_phantom, sharp_phantom  # noqa: E402


def test_the_phantoms_are_grey_images_the_blurred_one_out_of_focus():
    [(sharp, _, kind)] = sharp_phantom()
    [(blurred, attributes, _)] = blurry_phantom()
    assert kind == "image" and sharp.shape == blurred.shape == (SIZE, SIZE) and blurred.dtype == np.float32
    assert attributes["name"] == "phantom (blurred)"
    assert defocus_map(blurred).summary()["median_px"] > defocus_map(sharp).summary()["median_px"] + 1.0
