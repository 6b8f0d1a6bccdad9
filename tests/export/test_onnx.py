"""Tests for cyclesem.export.onnx: Keras networks as ONNX files with dynamic H and W."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")
pytest.importorskip("tf2onnx", reason="ONNX export needs tf2onnx (the test extra installs it)")
pytest.importorskip("onnxruntime", reason="running ONNX needs onnxruntime (the test extra installs it)")


from cyclesem.errors import CyclesemError  # noqa: E402
from cyclesem.restore.network_info import NetworkInfo  # noqa: E402
from cyclesem.export.onnx import OPSET, export_network  # noqa: E402
from cyclesem.restore.onnx_runtime import load_onnx  # noqa: E402
from cyclesem.nets.midnet import build_midnet  # noqa: E402
from tests.helpers import randomise_output, tiny_generator, wake_blocks  # noqa: E402

ODD_SIZES = [(67, 45), (130, 97), (1, 1), (33, 200)]


def _generator():
    keras.utils.set_random_seed(0)
    network = tiny_generator()
    randomise_output(network)
    return network


def _midnet():
    keras.utils.set_random_seed(1)
    return wake_blocks(build_midnet(4, (1, 1), 1, (1, 1), "attention", local_pool_size=24))


# NAFNet (MIDNet with plain skips) is exported from a trained run in tests/cli/test_export.py
NETWORKS = {"cyclegan": _generator, "midnet": _midnet}


@pytest.fixture(scope="module", params=sorted(NETWORKS))
def exported(request, tmp_path_factory):
    network = NETWORKS[request.param]()
    info = NetworkInfo(f"tiny-{request.param}", request.param, 1.0, 99.0, "a test network")
    path = export_network(network, tmp_path_factory.mktemp("onnx") / "net.onnx", info)
    return network, path, info


def test_onnx_equals_keras_on_odd_sizes(exported):
    network, path, _ = exported
    onnx_network = load_onnx(path)
    rng = np.random.default_rng(3)
    for height, width in ODD_SIZES:
        tiles = rng.random((2, height, width), dtype=np.float32)
        expected = np.asarray(network(tiles[..., np.newaxis], training=False))[..., 0]
        actual = onnx_network.forward(tiles)
        assert actual.shape == tiles.shape
        np.testing.assert_allclose(actual, expected, atol=1e-4)
        if height > 1:
            assert np.abs(expected - tiles).max() > 1e-3  # the network is not the identity


def test_file_carries_opset_dynamic_axes_and_metadata(exported):
    import onnx

    _, path, info = exported
    model = onnx.load(str(path))
    assert {entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")} == {OPSET}
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert [dim.HasField("dim_value") for dim in dims] == [False, False, False, True]
    assert model.graph.output[0].name == "enhanced"
    assert load_onnx(path).info == info


def test_existing_file_and_mixed_precision_are_refused(exported, tmp_path):
    network, path, info = exported
    with pytest.raises(CyclesemError, match="--overwrite"):
        export_network(network, path, info)
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        half = tiny_generator()
    finally:
        keras.mixed_precision.set_global_policy("float32")
    with pytest.raises(CyclesemError, match="only float32"):
        export_network(half, tmp_path / "half.onnx", info)
    assert not (tmp_path / "half.onnx").exists()


def test_onnx_without_cyclesem_metadata_is_refused(exported, tmp_path):
    import onnx

    _, path, _ = exported
    model = onnx.load(str(path))
    del model.metadata_props[:]
    onnx.save(model, str(tmp_path / "plain.onnx"))
    with pytest.raises(CyclesemError, match="not a cyclesem export"):
        load_onnx(tmp_path / "plain.onnx")


def test_a_conversion_that_changes_the_output_shape_is_refused(tmp_path, monkeypatch):
    """tf2onnx once gave a graph with an extra output axis; such a file is not written."""
    import onnx

    from cyclesem.export import onnx as exporter

    network, info = _generator(), NetworkInfo("tiny-cyclegan", "cyclegan", 1.0, 99.0, "a test network")
    name_output = exporter._name_output

    def with_extra_axis(model):
        name_output(model)
        graph = model.graph
        for node in graph.node:
            node.output[:] = ["raw" if name == "enhanced" else name for name in node.output]
        graph.initializer.append(onnx.helper.make_tensor("test_extra_axis", onnx.TensorProto.INT64, [1], [1]))
        graph.node.append(onnx.helper.make_node("Unsqueeze", ["raw", "test_extra_axis"], ["enhanced"]))
        graph.output[0].CopyFrom(onnx.helper.make_tensor_value_info("enhanced", onnx.TensorProto.FLOAT,
                                                                      [None, 1, None, None, 1]))

    monkeypatch.setattr(exporter, "_name_output", with_extra_axis)
    monkeypatch.setattr(exporter, "HASH_SEEDS", (0, 1))  # one retry shows the retry path; each costs a conversion
    with pytest.raises(CyclesemError, match=r"does not reproduce the network \(output \(1, 1, 37, 51, 1\)"):
        export_network(network, tmp_path / "bad.onnx", info)
    assert list(tmp_path.iterdir()) == []


def test_the_support_limit_travels_in_the_metadata_and_is_applied(exported):
    from dataclasses import replace

    from cyclesem.restore.support import limit_to_support

    _, path, info = exported
    assert NetworkInfo.from_metadata(replace(info, limit_to_support=True).to_metadata()).limit_to_support
    plain = load_onnx(path)
    assert not plain.limit_to_support  # files written before the setting existed read as off
    limited = plain.with_support_limit(True)
    image = np.random.default_rng(4).random((40, 56)).astype(np.float32)
    np.testing.assert_allclose(limited.enhance(image), limit_to_support(plain.enhance(image), image), atol=1e-6)
    assert "supports" in limited.describe() and "supports" not in plain.describe()


def test_the_grey_level_step_travels_in_the_metadata_and_is_applied(exported):
    from dataclasses import replace

    from cyclesem.restore.grey_levels import keep_grey_levels

    _, path, info = exported
    assert NetworkInfo.from_metadata(replace(info, keep_grey_levels=True).to_metadata()).keep_grey_levels
    plain = load_onnx(path)
    assert not plain.keep_grey_levels  # files written before the setting existed read as off
    kept = plain.with_grey_levels(True)
    image = np.random.default_rng(5).random((40, 56)).astype(np.float32)
    np.testing.assert_allclose(kept.enhance(image), keep_grey_levels(plain.enhance(image), image), atol=1e-6)
    assert "grey levels kept" in kept.describe() and "grey levels" not in plain.describe()
