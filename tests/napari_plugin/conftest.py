"""Fixtures of the napari plugin tests: Qt offscreen, the plugin registered, small SEM files.

``QT_QPA_PLATFORM=offscreen`` lets Qt start with no screen. Qt's offscreen
platform has no OpenGL, so napari's two GL probes (float-texture support and
the largest texture, asked when a layer gets its visual) would fail there;
:func:`headless_gl` answers them with conservative values instead (no float
textures, 2048 px). Nothing is drawn offscreen: the tests check layers, data
and widgets, not pixels on a canvas.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt starts

PIXEL_SIZE_NM = 4.2
ZEISS_TEXT = (
    "\r\n0\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 4.2 nm\r\nAP_ACTUALKV\r\nEHT = 3.00 kV\r\n"
    "AP_WD\r\nWD = 5.6 mm\r\n"
)
BAR_ROWS = 16
_GL_PROBES = ("napari._vispy.layers.image", "napari._vispy.layers.base", "napari._vispy.layers.labels",
              "napari._vispy.canvas")


@pytest.fixture(autouse=True)
def headless_gl(monkeypatch):
    """Answer napari's GL probes where Qt runs offscreen (no GL context there)."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return
    import importlib

    for name in _GL_PROBES:
        module = importlib.import_module(name)
        if hasattr(module, "get_gl_extensions"):
            monkeypatch.setattr(module, "get_gl_extensions", lambda: "")
        if hasattr(module, "get_max_texture_sizes"):
            monkeypatch.setattr(module, "get_max_texture_sizes", lambda: (2048, 2048))


@pytest.fixture
def viewer(make_napari_viewer):
    """One viewer, with the cyclesem plugin registered (from its manifest when not installed)."""
    from npe2 import PluginManager

    viewer = make_napari_viewer()
    manager = PluginManager.instance()
    try:
        manager.get_manifest("cyclesem")
    except KeyError:  # a checkout used without `pip install -e .`: no entry point
        import cyclesem.napari_plugin

        manager.register(str(Path(cyclesem.napari_plugin.__file__).with_name("napari.yaml")))
    return viewer


def content(size: int = 96, seed: int = 0) -> np.ndarray:
    """A phantom micrograph, float32 in [0, 1]."""
    from synth.phantoms import make_phantom

    return make_phantom("particles", size, seed)


def write_sem_tiff(path: Path, image: np.ndarray) -> Path:
    """A 16-bit TIFF of ``image`` above a black info bar with white text blocks, with Zeiss metadata."""
    import tifffile

    frame = np.zeros((image.shape[0] + BAR_ROWS, image.shape[1]), np.uint16)
    frame[: image.shape[0]] = np.round(image * 65535)
    frame[-13:-3, 8:60:6] = 65535
    tifffile.imwrite(path, frame, extratags=[(34118, 2, None, ZEISS_TEXT, True)])
    return path


@pytest.fixture
def sem_tiff(tmp_path) -> Path:
    """A 96 x 96 px SEM TIFF (4.2 nm pixels) with a 16-row info bar, in its own folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    return write_sem_tiff(folder / "field.tif", content())


@pytest.fixture
def notifications():
    """The notifications napari shows during the test (``napari.utils.notifications.Notification``)."""
    from napari.utils.notifications import notification_manager

    shown = []
    notification_manager.notification_ready.connect(shown.append)
    yield shown
    notification_manager.notification_ready.disconnect(shown.append)


def only_one_line_errors(shown) -> list[str]:
    """The error messages shown, after checking each is one line with no traceback attached."""
    from napari.utils.notifications import ErrorNotification, NotificationSeverity

    errors = [n for n in shown if n.severity == NotificationSeverity.ERROR]
    assert not [n for n in errors if isinstance(n, ErrorNotification)], "an exception reached napari"
    assert all("\n" not in n.message and "Traceback" not in n.message for n in errors)
    return [n.message for n in errors]
