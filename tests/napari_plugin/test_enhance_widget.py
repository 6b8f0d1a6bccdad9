"""The Enhance widget gives what `cyclesem enhance` gives, off the viewer's thread; problems as one line."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("napari", reason="napari is not installed (pip install 'cyclesem[napari]')")

from click.testing import CliRunner  # noqa: E402

from cyclesem.cli import main  # noqa: E402
from cyclesem.io import read_image  # noqa: E402
from cyclesem.napari_plugin.enhance_widget import RUN_FOLDER  # noqa: E402
from tests.napari_plugin.conftest import only_one_line_errors  # noqa: E402

ONE_LEVEL = 1 / 65535  # the files are 16-bit: the CLI's output is the float result rounded to this


def enhance_widget(viewer):
    _, widget = viewer.window.add_plugin_dock_widget("cyclesem", "Enhance")
    return widget


def finish(qtbot, widget, layers, count):
    qtbot.waitUntil(lambda: widget.button.enabled and len(layers) == count, timeout=120_000)


def test_sem_deblur_from_the_widget_equals_cyclesem_enhance(viewer, qtbot, sem_tiff, tmp_path):
    pytest.importorskip("keras")
    [layer] = viewer.open(sem_tiff, plugin="cyclesem")
    widget = enhance_widget(viewer)
    assert widget.layer.value is layer
    widget.method.value = "sem-deblur"
    widget.button.clicked()
    finish(qtbot, widget, viewer.layers, 2)
    result = viewer.layers[-1]
    assert widget.progress.value == widget.progress.max
    np.testing.assert_allclose(result.scale, layer.scale)
    assert "sem-deblur" in result.metadata["cyclesem"]["enhanced_with"]

    done = CliRunner().invoke(main, ["enhance", "--model", "sem-deblur", str(sem_tiff), "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    cli = read_image(tmp_path / "out" / sem_tiff.name).content
    assert result.data.shape == cli.shape and not np.allclose(result.data, layer.data, atol=0.01)
    np.testing.assert_allclose(np.clip(result.data, 0, 1), cli, rtol=0, atol=ONE_LEVEL)


def test_a_problem_is_one_error_line_and_no_layer(viewer, qtbot, sem_tiff, tmp_path, notifications):
    viewer.open(sem_tiff, plugin="cyclesem")
    widget = enhance_widget(viewer)
    widget.method.value = RUN_FOLDER
    widget.path.value = tmp_path  # a folder, but not a run folder: fails in the worker while loading
    widget.button.clicked()
    qtbot.waitUntil(lambda: widget.worker is not None and widget.button.enabled, timeout=60_000)
    [message] = only_one_line_errors(notifications)
    assert "not a run folder" in message and len(viewer.layers) == 1
    viewer.layers.clear()
    widget.start()
    assert "no image layer" in only_one_line_errors(notifications)[-1]
