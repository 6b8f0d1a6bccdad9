"""Tests of `cyclesem export` and of enhancing with its files, with and without TensorFlow.

One tiny NAFNet run is trained for two steps (the helpers of the paired-training
tests), exported to ONNX and to a bioimage.io package, and both are used.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem import io
from cyclesem.cli import main

keras = pytest.importorskip("keras")
pytest.importorskip("tf2onnx", reason="ONNX export needs tf2onnx (the test extra installs it)")
pytest.importorskip("onnxruntime", reason="running ONNX needs onnxruntime (the test extra installs it)")
pytest.importorskip("bioimageio.spec", reason="packaging needs bioimageio.spec (the test extra installs it)")
from tests.helpers import MICRO_PAIRED_CLI, check_enhanced, micrograph, with_info_bar  # noqa: E402

HIDDEN = ("tensorflow", "keras", "tf2onnx", "jax", "torch")


def invoke(*args):
    return CliRunner().invoke(main, [*map(str, args)])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A NAFNet run trained two steps on smooth blurred pairs, and its two exports."""
    root = tmp_path_factory.mktemp("export")
    rng = np.random.default_rng(0)
    for side in ("blurry", "sharp"):
        (root / side).mkdir()
    for name in ("1-1_s000", "1-1_s001", "2-1_s000", "2-1_s001"):
        sharp = cv2.GaussianBlur((rng.random((40, 44)) * 255).astype(np.float32), (0, 0), 1.0)
        cv2.imwrite(str(root / "sharp" / f"{name}.png"), sharp.astype(np.uint8))
        cv2.imwrite(str(root / "blurry" / f"{name}.png"), cv2.GaussianBlur(sharp, (0, 0), 2.0).astype(np.uint8))
    run = root / "run"
    result = invoke("train", "--paired", "--model", "nafnet", "--blurry", root / "blurry", "--sharp", root / "sharp",
                    "--out", run, "--preset", "tiny", "--crop", 32, "--batch", 2, "--steps", 2, *MICRO_PAIRED_CLI)
    assert result.exit_code == 0, result.output
    for fmt, name in (("onnx", "net.onnx"), ("bioimageio", "net.zip")):
        result = invoke("export", run, "--format", fmt, "--out", root / name, "--author", "A. Tester")
        assert result.exit_code == 0, result.output
    io.write_image(root / "in" / "bar.tif", with_info_bar(micrograph((130, 97), seed=1)), dtype="uint16")
    return root


def test_onnx_equals_the_trained_keras_network_on_odd_sizes(exported):
    from cyclesem.restore.enhancer import load_network
    from cyclesem.restore.runs import load_run

    run, onnx_network = load_run(exported / "run"), load_network(exported / "net.onnx")
    assert onnx_network.kind == "nafnet" and onnx_network.name == "run"
    for height, width in [(67, 45), (130, 97), (16, 31)]:
        tiles = np.random.default_rng(height).random((1, height, width), dtype=np.float32)
        np.testing.assert_allclose(onnx_network.forward(tiles), run.forward(tiles), atol=1e-4)


def test_export_does_not_depend_on_what_the_process_built_before(exported, tmp_path):
    """CI's failure: after other networks were built in the process, tf2onnx gave an output with an extra axis.

    The conversion now runs in a fresh process; this builds networks first, as
    the tests that ran before the export in CI did, then checks the file.
    """
    import keras

    from cyclesem.export.onnx import export_run
    from cyclesem.restore.enhancer import load_network
    from cyclesem.restore.runs import load_run

    for width in (4, 6):
        inputs = keras.Input((None, None, 1))
        hidden = keras.layers.Conv2D(width, 5, padding="same", activation="tanh")(inputs)
        keras.Model(inputs, keras.layers.Add()([inputs, keras.layers.Conv2D(1, 3, padding="same")(hidden)]))
    run = load_run(exported / "run")
    onnx_network = load_network(export_run(run, tmp_path / "late.onnx"))
    tiles = np.random.default_rng(5).random((1, 67, 45), dtype=np.float32)
    np.testing.assert_allclose(onnx_network.forward(tiles), run.forward(tiles), atol=1e-4)


@pytest.mark.parametrize("model", ["net.onnx", "net.zip"])
def test_enhance_with_exports_equals_the_run(exported, model, tmp_path):
    source = exported / "in" / "bar.tif"
    assert invoke("enhance", exported / "run", source, "--out", tmp_path / "keras").exit_code == 0
    result = invoke("enhance", exported / model, source, "--out", tmp_path / "onnx", "--tile", 112)
    assert result.exit_code == 0, result.output
    assert "onnxruntime" in result.output
    _, after = check_enhanced(source, tmp_path / "onnx" / "bar.tif")
    reference = io.read_image(tmp_path / "keras" / "bar.tif")
    assert np.abs(after.pixels - reference.pixels).max() <= 2 / 65535


def test_package_holds_what_the_zoo_asks_for(exported):
    with zipfile.ZipFile(exported / "net.zip") as archive:
        names = set(archive.namelist())
        rdf = archive.read("rdf.yaml").decode()
        card = archive.read("README.md").decode()
        cover = cv2.imdecode(np.frombuffer(archive.read("cover.png"), np.uint8), cv2.IMREAD_UNCHANGED)
        test_input = np.load(archive.open("test_input.npy"))
    assert {"weights.onnx", "weights.keras", "test_input.npy", "test_output.npy", "cover.png"} <= names
    assert "scale_range" in rdf and "min_percentile: 0.5" in rdf and "halo: 32" in rdf
    assert "10.1007/978-3-031-20071-7_2" in rdf and "A. Tester" in rdf  # NAFNet, Chen et al. 2022
    assert "output * (p_high - p_low) + p_low" in card
    assert cover.shape == (256, 512) and cover.dtype == np.uint8
    assert test_input.shape == (1, 96, 96, 1)  # the 40 x 44 training image, mirrored out to the minimum


@pytest.mark.slow
def test_bioimageio_validator_passes_the_package(exported):
    pytest.importorskip("bioimageio.core", reason="bioimageio.core is not installed (pip install 'cyclesem[test]')")
    result = subprocess.run([sys.executable, "-m", "bioimageio.core", "test", str(exported / "net.zip")],
                            capture_output=True, text=True, timeout=600)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-3000:]
    assert "Reproduce test outputs from test inputs (onnx)" in report and "❌" not in report


BLOCKED_RUN = textwrap.dedent("""
    import importlib.abc, sys
    HIDDEN = {hidden!r}

    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in HIDDEN:
                raise ImportError(f"{{name}} is hidden in this test")

    sys.meta_path.insert(0, Hide())
    try:
        import tensorflow
    except ImportError:
        print("import tensorflow: ImportError")
    from cyclesem.cli import main
    try:
        main({args!r})
    finally:
        print("loaded:", sorted(n for n in sys.modules if n.split(".")[0] in HIDDEN))
""")


@pytest.mark.parametrize("model", ["net.onnx", "net.zip"])
def test_enhance_runs_with_tensorflow_hidden(exported, model, tmp_path):
    source = exported / "in" / "bar.tif"
    args = ["enhance", str(exported / model), str(source), "--out", str(tmp_path / "out")]
    code = BLOCKED_RUN.format(hidden=HIDDEN, args=args)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "import tensorflow: ImportError" in result.stdout and "loaded: []" in result.stdout
    before, after = check_enhanced(source, tmp_path / "out" / "bar.tif")
    assert after.info.dtype == "uint16" and before.info.info_bar_rows == 20


def test_export_errors_are_one_line(exported, tmp_path):
    result = invoke("export", exported / "run", "--format", "onnx", "--out", exported / "net.onnx")
    assert result.exit_code == 1 and "--overwrite" in result.output
    result = invoke("export", tmp_path / "nowhere", "--format", "onnx", "--out", tmp_path / "a.onnx")
    assert result.exit_code == 1 and "not a run folder" in result.output
    result = invoke("enhance", exported / "in" / "bar.tif", exported / "in", "--out", tmp_path / "o")
    assert result.exit_code == 1 and "expected a run folder, an .onnx file" in result.output
    assert "Traceback" not in result.output
