"""Tests for cyclesem.restore.chunked and cyclesem.io.zarr_store in this process (threads, no cluster)."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem.cli import main
from cyclesem.errors import CyclesemError
from cyclesem.restore.runs import load_run
from cyclesem.restore.tiling import TileSpec

zarr = pytest.importorskip("zarr")
pytest.importorskip("dask")

from cyclesem.restore.chunked import enhance_zarr  # noqa: E402 - needs dask
from tests.helpers import make_run, micrograph  # noqa: E402

TILES = TileSpec(tile=128, margin=16, blend=16)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("chunked") / "run")


def ome_image(path, image: np.ndarray, zarr_format: int = 2):
    """A two-level OME-Zarr image (NGFF 0.4 on v2, 0.5 on v3) with pixel sizes."""
    group = zarr.open_group(str(path), mode="w", zarr_format=zarr_format)
    axes = [{"name": "y", "type": "space", "unit": "nanometer"}, {"name": "x", "type": "space", "unit": "nanometer"}]
    datasets = [{"path": str(k), "coordinateTransformations": [{"type": "scale", "scale": [4.0 * 2**k] * 2}]}
                for k in range(2)]
    multiscales = [{"version": "0.4", "name": "mosaic", "axes": axes, "datasets": datasets}]
    ome = {"multiscales": multiscales} if zarr_format == 2 else {"ome": {"version": "0.5", "multiscales": multiscales}}
    group.attrs.update(ome)
    for k in range(2):
        level = image[:: 2**k, :: 2**k]
        group.create_array(str(k), shape=level.shape, chunks=(128, 128), dtype="uint16")[:] = level
    return group


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_ome_zarr_keeps_metadata_and_rebuilds_levels(run_dir, tmp_path, zarr_format):
    image = np.round(micrograph((300, 260)) * 65535).astype(np.uint16)
    source = ome_image(tmp_path / "in.zarr", image, zarr_format)
    enhance_zarr(run_dir, tmp_path / "in.zarr", tmp_path / "out.zarr", tile=TILES)
    out = zarr.open_group(str(tmp_path / "out.zarr"), mode="r")
    assert out.metadata.zarr_format == zarr_format and dict(out.attrs) == dict(source.attrs)
    full, half = out["0"][:], out["1"][:]
    assert full.dtype == np.uint16 and half.shape == source["1"].shape
    expected = load_run(run_dir).enhance(image.astype(np.float32) / 65535, tile=TILES).clip(0, 1)
    np.testing.assert_allclose(full / 65535, expected, atol=1e-3)
    block_means = full[:298, :258].reshape(149, 2, 129, 2).mean((1, 3)) / 65535
    np.testing.assert_allclose(half[:-1, :-1] / 65535, block_means, atol=1e-4)
    info = CliRunner().invoke(main, ["info", str(tmp_path / "out.zarr")])
    assert info.exit_code == 0 and "2 resolution level(s)" in info.stdout
    assert "4 nanometer x 4 nanometer" in info.stdout


def test_volume_is_enhanced_plane_by_plane(run_dir, tmp_path):
    volume = np.stack([micrograph((200, 180), seed=k) * (0.5 + 0.2 * k) for k in range(3)])
    source = zarr.create_array(str(tmp_path / "vol.zarr"), shape=volume.shape, chunks=(2, 96, 96), dtype="float32")
    source[:] = volume
    result = CliRunner().invoke(main, ["enhance", str(run_dir), str(tmp_path / "vol.zarr"),
                                       "--out", str(tmp_path / "out.zarr"), "--tile", "128"])
    assert result.exit_code == 0, result.output
    out = zarr.open_array(str(tmp_path / "out.zarr"), mode="r")
    run = load_run(run_dir)
    for k, plane in enumerate(volume):
        np.testing.assert_allclose(out[k], run.enhance(plane, tile=TileSpec(tile=128)), atol=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.zarr", "vol.zarr"]  # no temporary store left


def test_output_inside_the_input_is_refused(run_dir, tmp_path):
    zarr.create_array(str(tmp_path / "in.zarr"), shape=(64, 64), chunks=(64, 64), dtype="uint8")
    for out in (tmp_path / "in.zarr", tmp_path / "in.zarr" / "sub"):
        with pytest.raises(CyclesemError, match="inside the input"):
            enhance_zarr(run_dir, tmp_path / "in.zarr", out, overwrite=True)
    assert (tmp_path / "in.zarr").is_dir()
    with pytest.raises(CyclesemError, match="not a Zarr store"):
        enhance_zarr(run_dir, tmp_path, tmp_path.parent / "elsewhere.zarr")
