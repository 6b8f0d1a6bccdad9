"""A bioimage.io model package (spec 0.5) of an exported network.

The zip holds ``rdf.yaml``, the ONNX weights (and the ``.keras`` file where one
is given, as an attachment), the model card as documentation, a cover made from a real crop
before and after enhancement, and test input/output tensors made from the same
crop. Preprocessing is the run's percentile normalisation (``scale_range``);
the output stays in normalised units (bioimage.io has no step that inverts a
percentile normalisation), which the card and the description say, with the
exact formula. Built and validated with ``bioimageio.spec``; ``bioimageio test
PKG.zip`` (``bioimageio.core``) runs the test tensors.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import numpy as np
import tifffile

from cyclesem.errors import CyclesemError
from cyclesem.export.card import citations_for, model_card, summary
from cyclesem.export.cover import cover_image, encode_png
from cyclesem.export.files import check_target
from cyclesem.restore.network_info import STRIDE, NetworkInfo
from cyclesem.restore.onnx_runtime import load_onnx
from cyclesem.io.outputs import write_atomic
from cyclesem.restore.runs import enhance_tiled
from cyclesem.restore.tiling import TileSpec

__all__ = ["HALO", "MIN_SIDE", "build_package", "test_crop"]

MIN_SIDE = 96
"""Smallest tile side a consumer may use (then every ``STRIDE`` pixels more)."""
HALO = 32
"""Pixels a tiling consumer discards at each tile edge (cyclesem's tile margin)."""
_CROP = 256
_HINT = "bioimage.io packaging needs bioimageio.spec: pip install 'cyclesem[bioimageio]'"


def test_crop(image: np.ndarray) -> np.ndarray:
    """The centred crop (at most 256 px, a valid package size) used for test tensors and cover.

    Images smaller than :data:`MIN_SIDE` are mirrored out to it.
    """
    image = np.asarray(image, np.float32)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"expected a non-empty 2-D image, got shape {image.shape}")
    pad = [(0, max(0, MIN_SIDE - size)) for size in image.shape]
    image = np.pad(image, pad, mode="symmetric")
    height, width = (min(_CROP, size) // STRIDE * STRIDE for size in image.shape)
    top, left = (image.shape[0] - height) // 2, (image.shape[1] - width) // 2
    return np.ascontiguousarray(image[top : top + height, left : left + width])


def build_package(
    onnx_path: str | os.PathLike,
    out: str | os.PathLike,
    sample: np.ndarray,
    *,
    keras_path: str | os.PathLike | None = None,
    authors: tuple[str, ...] = ("cyclesem",),
    license: str = "MIT",
    overwrite: bool = False,
) -> Path:
    """Write a bioimage.io package zip for an ONNX file from ``cyclesem export``.

    Parameters
    ----------
    onnx_path : str or os.PathLike
        The exported network (its metadata gives name, kind and normalisation).
    out : str or os.PathLike
        The ``.zip`` to write (atomically).
    sample : numpy.ndarray
        A real 2-D image (file units) for the test tensors and the cover.
    keras_path : str or os.PathLike, optional
        The Keras network, included as an attachment: as ``keras_v3`` weights
        the zoo's validator fails on it, since loading needs cyclesem's
        registered layers (``import cyclesem.nets``).
    authors : tuple of str
        Names for the package's authors field.
    license : str
        SPDX identifier of the weights' licence.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    pathlib.Path
    """
    spec = _require_spec()
    out = check_target(out, overwrite)
    network = load_onnx(onnx_path)
    crop = test_crop(sample)
    with tempfile.TemporaryDirectory(prefix="cyclesem-bioimageio-") as folder:
        files = _write_files(Path(folder), network, crop, Path(onnx_path), keras_path)
        descr = _description(network.info, files, authors, license)
        write_atomic(out, lambda temp: spec.save_bioimageio_package(descr, output_path=temp))
    return out


def _write_files(folder: Path, network, crop: np.ndarray, onnx_path: Path, keras_path) -> dict[str, Path]:
    """Weights, test tensors, cover and card in ``folder``; their paths by role."""
    normalised, _ = network.info.normalizer.before(crop)
    output = network.forward(normalised[np.newaxis])[0]
    enhanced = enhance_tiled(crop, network.info.normalizer, network.forward, tile=TileSpec(tile=crop.shape[0] + crop.shape[1]))
    files = {
        "onnx": folder / "weights.onnx",
        "test_input": folder / "test_input.npy",
        "test_output": folder / "test_output.npy",
        "sample_input": folder / "sample_input.tif",
        "sample_output": folder / "sample_output.tif",
        "cover": folder / "cover.png",
        "card": folder / "README.md",
    }
    files["onnx"].write_bytes(onnx_path.read_bytes())
    np.save(files["test_input"], crop[np.newaxis, ..., np.newaxis])
    np.save(files["test_output"], output[np.newaxis, ..., np.newaxis].astype(np.float32))
    tifffile.imwrite(files["sample_input"], crop)
    tifffile.imwrite(files["sample_output"], output.astype(np.float32))
    files["cover"].write_bytes(encode_png(cover_image(crop, enhanced)))
    files["card"].write_text(model_card(network.info, test_shape=crop.shape, halo=HALO), encoding="utf-8")
    if keras_path is not None:
        files["keras"] = folder / "weights.keras"
        files["keras"].write_bytes(Path(keras_path).read_bytes())
    return files


def _description(info: NetworkInfo, files: dict[str, Path], authors, license):
    """The ``ModelDescr`` (validated by bioimageio.spec as it is built)."""
    from bioimageio.spec.model import v0_5 as m

    return m.ModelDescr(
        name=_name(info), description=summary(info), covers=[m.FileDescr(source=files["cover"])],
        documentation=m.FileDescr(source=files["card"]), authors=[m.Author(name=name) for name in authors],
        cite=[m.CiteEntry(text=c.text, doi=m.Doi(c.doi)) for c in citations_for(info.kind)],
        license=license, tags=["sem", "electron-microscopy", "deblurring", "image-restoration", "2d", info.kind],
        inputs=[_input(m, info, files)], outputs=[_output(m, info, files)], weights=_weights(m, files),
        attachments=[m.FileDescr(source=files["keras"])] if "keras" in files else [],
        config={"cyclesem": {"kind": info.kind, "norm_low": info.norm_low, "norm_high": info.norm_high,
                             "source": info.source}},
    )


def _input(m, info: NetworkInfo, files: dict[str, Path]):
    """The input tensor: ``batch, y, x, channel`` on the stride grid, percentile-normalised."""
    size = m.ParameterizedSize(min=MIN_SIDE, step=STRIDE)
    return m.InputTensorDescr(
        id=m.TensorId("input"),
        description="SEM image, one grey channel, any units (normalised by percentiles)",
        axes=[m.BatchAxis(), m.SpaceInputAxis(id=m.AxisId("y"), size=size),
              m.SpaceInputAxis(id=m.AxisId("x"), size=size), m.ChannelAxis(channel_names=["grey"])],
        test_tensor=m.FileDescr(source=files["test_input"]),
        sample_tensor=m.FileDescr(source=files["sample_input"]),
        data=m.IntervalOrRatioDataDescr(type="float32"),
        preprocessing=[m.ScaleRangeDescr(kwargs=m.ScaleRangeKwargs(
            axes=[m.AxisId("y"), m.AxisId("x")], min_percentile=info.norm_low, max_percentile=info.norm_high))],
    )


def _output(m, info: NetworkInfo, files: dict[str, Path]):
    """The output tensor: the input's size with a halo, in normalised units."""
    return m.OutputTensorDescr(
        id=m.TensorId("output"),
        description=(f"enhanced image in normalised units; input units = output * (p{info.norm_high:g} - "
                     f"p{info.norm_low:g}) + p{info.norm_low:g} of the input"),
        axes=[m.BatchAxis()] + [
            m.SpaceOutputAxisWithHalo(id=m.AxisId(axis), halo=HALO,
                                      size=m.SizeReference(tensor_id=m.TensorId("input"), axis_id=m.AxisId(axis)))
            for axis in ("y", "x")] + [m.ChannelAxis(channel_names=["grey"])],
        test_tensor=m.FileDescr(source=files["test_output"]),
        sample_tensor=m.FileDescr(source=files["sample_output"]),
        data=m.IntervalOrRatioDataDescr(type="float32"),
    )


def _weights(m, files: dict[str, Path]):
    from cyclesem.export.onnx import OPSET

    return m.WeightsDescr(onnx=m.OnnxWeightsDescr(source=files["onnx"], opset_version=OPSET))


def _name(info: NetworkInfo) -> str:
    """A package name bioimage.io accepts (letters, digits, space, ``_-()``)."""
    return re.sub(r"[^A-Za-z0-9 _\-()]", "-", f"cyclesem {info.kind} {info.name}")[:100]


def _require_spec():
    try:
        import bioimageio.spec as spec
    except ImportError:
        raise CyclesemError(_HINT) from None
    return spec
