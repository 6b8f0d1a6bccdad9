"""Keras enhancement network -> ONNX file with dynamic height and width.

The conversion runs under the TensorFlow backend through ``keras.Model.export``
and tf2onnx (both needed only here, in the training environment), in a fresh
Python process (``python -m cyclesem.export.onnx``) given the network saved to a
temporary ``.keras`` file, with a fixed ``PYTHONHASHSEED``: tf2onnx's graph
depends on process-wide name counters and apparently on the order of Python sets, and
some orders gave a graph whose output had an extra axis; such a graph is
converted again with the next seed of :data:`HASH_SEEDS`. The file
holds the network's inference graph (instance norms with their moving
statistics, reflection padding to a multiple of 16, crop back), float32
``(batch, H, W, 1)`` in and out for any H and W, opset :data:`OPSET`, and
cyclesem's :class:`~cyclesem.restore.network_info.NetworkInfo` as metadata, so
:mod:`cyclesem.restore.onnx_runtime` can enhance with it without TensorFlow. Each
converted graph is run once with onnxruntime on an odd-sized tile and written
only if it gives the Keras network's output.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from cyclesem.errors import CyclesemError
from cyclesem.export.files import check_target
from cyclesem.restore.network_info import STRIDE, NetworkInfo
from cyclesem.io.outputs import write_atomic

__all__ = ["OPSET", "INPUT_NAME", "OUTPUT_NAME", "export_network", "export_run", "export_model_file"]

HASH_SEEDS = (0, 1, 2, 3)
"""``PYTHONHASHSEED`` values tried in turn for the conversion process: tf2onnx's
result apparently depends on the order of Python sets (not measured seed by
seed), and one conversion in a few gave a graph
whose output had an extra axis (seen in CI, in a fresh process too); a graph
that does not reproduce the network is converted again with the next seed."""
OPSET = 17
"""ONNX opset of the exported graphs: run by onnxruntime >= 1.13 and tf2onnx 1.17."""
INPUT_NAME = "image"
OUTPUT_NAME = "enhanced"
_HINT = "ONNX export needs tf2onnx, onnx and onnxruntime: pip install 'cyclesem[export]'"


def export_network(network, path: str | os.PathLike, info: NetworkInfo, *, overwrite: bool = False) -> Path:
    """Write a Keras enhancement network as an ONNX file.

    Parameters
    ----------
    network : keras.Model
        float32 ``(batch, H, W, 1)`` to the same, any H and W.
    path : str or os.PathLike
        The ``.onnx`` file to write (atomically).
    info : NetworkInfo
        Stored in the file's metadata.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    CyclesemError
        If the network is not float32, tf2onnx, onnx or onnxruntime is
        missing, the converted graph does not reproduce the network on a test
        tile, or the file cannot be written.
    """
    path = check_target(path, overwrite)
    onnx = _require_onnx()
    policy = getattr(network.dtype_policy, "name", str(network.dtype_policy))
    if policy != "float32":
        raise CyclesemError(f"only float32 networks export to ONNX, this one is {policy}")

    def convert(temp: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="cyclesem-onnx-") as folder:
            keras_file = Path(folder) / "network.keras"
            network.save(keras_file)  # once: every attempt converts this file
            for attempt, hash_seed in enumerate(HASH_SEEDS):
                try:
                    convert_once(keras_file, temp, hash_seed)
                    return
                except _NotReproduced:
                    if attempt == len(HASH_SEEDS) - 1:
                        raise

    def convert_once(keras_file: Path, temp: Path, hash_seed: int) -> None:
        _convert_in_fresh_process(keras_file, temp, path, hash_seed)
        try:
            model = onnx.load(str(temp))
        except Exception as exc:  # noqa: BLE001 - a converter failure is reported, not raised raw
            raise CyclesemError(f"ONNX conversion failed ({' '.join(str(exc).split())[:300]})", path) from None
        _name_output(model)
        model.doc_string = f"cyclesem {info.kind} enhancement network {info.name}: {info.source}"
        onnx.helper.set_model_props(model, info.to_metadata())
        onnx.checker.check_model(model)
        onnx.save(model, str(temp))
        _check_reproduces(network, temp, path)

    return write_atomic(path, convert)


def export_run(run, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write the network of a loaded run (:func:`cyclesem.restore.runs.load_run`) as ONNX.

    The network is the one ``cyclesem enhance`` uses (``best.keras`` when the
    run has one); its normalisation percentiles go into the metadata.
    """
    info = NetworkInfo(run.name, run.kind, run.normalizer.low, run.normalizer.high,
                       run.with_support_limit(False).with_grey_levels(False).describe(), run.limit_to_support,
                       run.keep_grey_levels)
    return export_network(run.network, path, info, overwrite=overwrite)


def export_model_file(
    keras_path: str | os.PathLike, onnx_path: str | os.PathLike, info: NetworkInfo, *, overwrite: bool = False
) -> Path:
    """Write the ONNX form of a ``.keras`` network file (for packaged pretrained models).

    Parameters
    ----------
    keras_path : str or os.PathLike
        A network saved by cyclesem (loaded with ``safe_mode=True``).
    onnx_path : str or os.PathLike
        The ``.onnx`` file to write.
    info : NetworkInfo
        Name, kind and normalisation percentiles of the model.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
    """
    from cyclesem.backend import require_keras

    keras = require_keras()
    import cyclesem.nets  # noqa: F401 - registers the custom layers for loading

    try:
        network = keras.saving.load_model(keras_path, compile=False, safe_mode=True)
    except Exception as exc:  # noqa: BLE001 - a broken or unsafe file
        raise CyclesemError(f"cannot load the network ({' '.join(str(exc).split())[:300]})", keras_path) from None
    return export_network(network, onnx_path, info, overwrite=overwrite)


def _require_onnx():
    from cyclesem.backend import require_tensorflow

    require_tensorflow()
    try:
        import onnx
        import onnxruntime  # noqa: F401 - checks the converted graph
        import tf2onnx  # noqa: F401 - keras.Model.export needs it
    except ImportError:
        raise CyclesemError(_HINT) from None
    return onnx


class _NotReproduced(CyclesemError):
    """A converted graph that does not give the network's output (converted again with another hash seed)."""


def _check_reproduces(network, onnx_file: Path, path: Path) -> None:
    """Refuse a converted graph that does not give the network's output on an odd-sized tile.

    Guards against converter faults: a graph of the right structure can still
    compute another shape (tf2onnx once gave an output with an extra axis).
    """
    import onnxruntime

    tiles = np.random.default_rng(0).random((1, 37, 51, 1), dtype=np.float32)
    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    actual = np.asarray(session.run(None, {session.get_inputs()[0].name: tiles})[0])
    expected = np.asarray(network(tiles, training=False))
    if actual.shape != expected.shape or not np.allclose(actual, expected, atol=1e-3):
        detail = f"output {actual.shape}, expected {expected.shape}" if actual.shape != expected.shape else (
            f"largest difference {np.abs(actual - expected).max():.2g}")
        raise _NotReproduced(f"the ONNX conversion does not reproduce the network ({detail}); not written", path)


def _name_output(model) -> None:
    """Give the graph's single output a readable name (tf2onnx calls it ``Identity:0``)."""
    graph = model.graph
    old = graph.output[0].name
    for node in graph.node:
        node.output[:] = [OUTPUT_NAME if name == old else name for name in node.output]
    graph.output[0].name = OUTPUT_NAME


def _convert_in_fresh_process(keras_file: Path, temp: Path, path: Path, hash_seed: int) -> None:
    """Convert the saved network ``keras_file`` to ``temp`` with :func:`_convert_file` in a new process.

    ``hash_seed`` is the process's ``PYTHONHASHSEED``: tf2onnx's graph is
    thought to depend on the order of Python sets (a hypothesis), so the same
    network converts the same way for a given seed, and a seed that converts
    it wrongly is followed by the next of :data:`HASH_SEEDS`.
    """
    command = [sys.executable, "-m", "cyclesem.export.onnx", str(keras_file), str(temp)]
    environment = {**os.environ, "KERAS_BACKEND": "tensorflow", "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = " ".join(lines[-1].split())[:300] if lines else f"exit status {done.returncode}"
        raise CyclesemError(f"ONNX conversion failed ({reason})", path)


def _convert_file(keras_file: str, onnx_file: str) -> None:
    """Convert a saved network with ``keras.Model.export`` (run in a fresh process)."""
    from cyclesem.backend import require_keras

    keras = require_keras()
    import cyclesem.nets  # noqa: F401 - registers the custom layers for loading

    network = keras.saving.load_model(keras_file, compile=False, safe_mode=True)
    network(np.zeros((1, STRIDE, STRIDE, 1), np.float32), training=False)  # export needs a called model
    with _quiet():
        network.export(onnx_file, format="onnx", verbose=False, opset_version=OPSET)


@contextlib.contextmanager
def _quiet():
    """Silence tf2onnx's progress log and numpy deprecation notes during conversion."""
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


if __name__ == "__main__":
    _convert_file(*sys.argv[1:3])
