"""The napari plugin in use, for the docs: docs/images/napari-widget.png.

Opens a real FEI TIFF (``../shared/data/sem-denoise/clean/001.tif``, MIT,
5.8 nm pixels, with its info bar) through the plugin's reader, enhances it
with ``sem-deblur`` from the Enhance widget, shows the input and the result
side by side with a scale bar, and saves a grab of the whole window.

``sem-deblur`` runs as its ONNX export (``cyclesem export``, made first in a
subprocess into a temporary folder, run by onnxruntime): under Mesa's OpenGL
(here llvmpipe on Xvfb) TensorFlow and napari's canvas cannot share a process,
as both carry LLVM and the second one loaded crashes in LLVM's static
initialisers (seen with TensorFlow 2.21 and Mesa 22.3; docs/napari.md).

It needs a screen with OpenGL (Qt's offscreen platform has none): on a
machine without one, run it under a virtual X server (Debian's ``xvfb``)::

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python -m experiments.napari_screenshot

Options: ``--image PATH`` (another file), ``--network FILE`` (an ONNX export made
before, instead of exporting again: the export takes minutes), ``--out PATH``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = ROOT.parent / "shared" / "data" / "sem-denoise" / "clean" / "001.tif"
DEFAULT_OUT = ROOT / "docs" / "images" / "napari-widget.png"
WINDOW = (1280, 760)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    parser.add_argument("--network", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        sys.exit("no screen: run under xvfb-run (see the module docstring)")
    if not args.image.is_file():
        sys.exit(f"{args.image}: not found (../shared/data is absent?); give --image")
    with tempfile.TemporaryDirectory() as folder:
        network = args.network or export_sem_deblur(Path(folder) / "sem-deblur.onnx")
        grab = screenshot(args.image, network)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    grab.save(str(args.out), "PNG")
    print(f"{args.out}: {args.out.stat().st_size // 1024} KB")


def export_sem_deblur(network: Path) -> Path:
    """``cyclesem export sem-deblur --format onnx`` in a subprocess (TensorFlow stays out of this one)."""
    command = [sys.executable, "-c", "from cyclesem.cli import main; main()", "export", "sem-deblur",
               "--format", "onnx", "--out", str(network)]
    subprocess.run(command, check=True, cwd=ROOT)
    return network


def screenshot(image: Path, network: Path):
    """The viewer window after the Enhance widget has restored ``image`` with ``network`` (a QPixmap)."""
    import napari
    from qtpy.QtWidgets import QApplication

    from cyclesem.napari_plugin.enhance_widget import NETWORK_FILE

    viewer = napari.Viewer(show=True)
    viewer.window._qt_window.resize(*WINDOW)
    [layer] = viewer.open(image, plugin="cyclesem")
    _, widget = viewer.window.add_plugin_dock_widget("cyclesem", "Enhance")
    widget.method.value = NETWORK_FILE
    widget.path.value = network
    widget.button.clicked()
    while not (widget.button.enabled and len(viewer.layers) == 2):
        QApplication.processEvents()
        time.sleep(0.05)
    viewer.grid.enabled = True
    viewer.scale_bar.visible = True
    viewer.layers.selection.active = layer
    viewer.reset_view()
    for _ in range(20):
        QApplication.processEvents()
        time.sleep(0.05)
    grab = viewer.window._qt_window.grab()
    viewer.close()
    return grab


if __name__ == "__main__":
    main()
