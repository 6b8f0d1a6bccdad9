"""Benchmark folders: layout, disjoint unpaired split, determinism, failures."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from cyclesem import __version__
from cyclesem.errors import CyclesemError
from cyclesem.io import read_image, write_image
from synth import benchmark
from synth.benchmark import make_benchmark, tile_positions


def tree_digest(folder: Path) -> str:
    """One hash over every file's relative path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.fixture
def sources(tmp_path) -> Path:
    """Five clear PNG sources, one larger than a tile."""
    folder = tmp_path / "sources"
    rng = np.random.default_rng(0)
    for i in range(4):
        write_image(folder / f"img{i}.png", rng.random((40, 48)).astype(np.float32), dtype="uint8")
    write_image(folder / "big.png", rng.random((70, 100)).astype(np.float32), dtype="uint8")
    return folder


def test_phantom_benchmark_layout_and_manifest(tmp_path):
    out = make_benchmark("hybrid", tmp_path / "bench", seed=3, n_phantoms=8, size=48, progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "test", "train"]
    test_blurry, test_clear = names(out / "test" / "blurry"), names(out / "test" / "clear")
    assert test_blurry == test_clear and len(test_blurry) == 2  # round(8 * 0.2)
    assert {p.stem for p in (out / "test" / "psf").iterdir()} == {Path(n).stem for n in test_blurry}
    for psf_file in (out / "test" / "psf").iterdir():
        psf = np.load(psf_file)
        assert psf.dtype == np.float32 and psf.sum() == pytest.approx(1.0, abs=1e-5)
    train_blurry, train_clear = names(out / "train" / "blurry"), names(out / "train" / "clear")
    assert len(train_blurry) == len(train_clear) == 3
    assert not train_blurry & train_clear and not (train_blurry | train_clear) & test_blurry
    image = read_image(out / "train" / "blurry" / sorted(train_blurry)[0])
    assert image.info.dtype == "uint16" and image.pixels.shape == (48, 48)

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["cyclesem_version"] == __version__ and manifest["seed"] == 3
    assert manifest["recipe"]["name"] == "hybrid" and manifest["recipe"]["blur"]["kinds"] == ["gaussian", "defocus"]
    files = {e["file"] for e in manifest["images"]}
    assert files == {str(p.relative_to(out)) for p in out.rglob("*.tif")}
    for entry in manifest["images"]:
        assert entry["tile"] == {"y": 0, "x": 0, "height": 48, "width": 48}
        assert entry["phantom"]["kind"] in ("particles", "porous", "grains", "fibres")
        if entry["role"] == "blurry":
            assert entry["params"]["blur_kind"] in ("gaussian", "defocus") and "dose" in entry["params"]
    pairs = [e for e in manifest["images"] if e["split"] == "test" and e["role"] == "blurry"]
    assert all(e["psf"] == f"test/psf/{Path(e['file']).stem}.npy" for e in pairs)


def test_sources_are_split_disjointly_and_tiled(sources, tmp_path):
    out = make_benchmark("gaussian", tmp_path / "bench", seed=1, source_dir=sources, size=32, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    by_group: dict[tuple[str, str], set[str]] = {}
    for entry in manifest["images"]:
        by_group.setdefault((entry["split"], entry["role"]), set()).add(entry["source"])
    train_clear, train_blurry = by_group[("train", "clear")], by_group[("train", "blurry")]
    test = by_group[("test", "blurry")]
    assert test == by_group[("test", "clear")]
    assert not train_clear & train_blurry and not (train_clear | train_blurry) & test
    assert train_clear | train_blurry | test == {f"img{i}.png" for i in range(4)} | {"big.png"}
    big = sorted((e["tile"]["y"], e["tile"]["x"]) for e in manifest["images"] if e["source"] == "big.png")
    big = sorted(set(big))
    assert big == [(y, x) for y in (0, 19, 38) for x in (0, 23, 45, 68)]  # tiles cover 70 x 100


def test_tile_positions_cover_the_image():
    assert tile_positions(20, 32) == [0]
    assert tile_positions(64, 32) == [0, 32]
    assert tile_positions(70, 32) == [0, 19, 38]


def test_same_seed_same_bytes_other_seed_other_bytes(sources, tmp_path):
    runs = [
        make_benchmark("sem_noise", tmp_path / name, seed=seed, source_dir=sources, size=32, progress=False)
        for name, seed in (("a", 5), ("b", 5), ("c", 6))
    ]
    assert tree_digest(runs[0]) == tree_digest(runs[1])
    assert tree_digest(runs[0]) != tree_digest(runs[2])


def test_unreadable_source_is_skipped_and_reported(sources, tmp_path):
    (sources / "broken.png").write_bytes(b"not an image")
    skipped = []
    out = make_benchmark(
        "demo", tmp_path / "bench", seed=0, source_dir=sources, size=32, progress=False,
        on_skip=lambda path, problem: skipped.append((path, problem)),
    )
    assert [Path(p).name for p, _ in skipped] == ["broken.png"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["source"] for s in manifest["skipped"]] == ["broken.png"]
    assert "broken.png" not in {e["source"] for e in manifest["images"]}
    assert names(out / "train" / "blurry") and names(out / "train" / "clear") and names(out / "test" / "clear")


def test_missing_or_empty_source_folder(tmp_path):
    with pytest.raises(CyclesemError, match="source folder not found"):
        make_benchmark("demo", tmp_path / "bench", seed=0, source_dir=tmp_path / "nowhere", progress=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CyclesemError, match="no image files"):
        make_benchmark("demo", tmp_path / "bench", seed=0, source_dir=tmp_path / "empty", progress=False)
    assert not (tmp_path / "bench").exists()


def test_bad_options_are_listed(tmp_path):
    with pytest.raises(CyclesemError) as info:
        make_benchmark("demo", tmp_path / "b", seed=-1, n_phantoms=2, size=8, test_fraction=1.0, progress=False)
    for needle in ("at least 3 phantoms", "seed", "size", "test fraction"):
        assert needle in str(info.value)
    with pytest.raises(CyclesemError, match="either"):
        make_benchmark("demo", tmp_path / "b", seed=0, progress=False)


def test_existing_output_needs_overwrite_and_is_replaced(tmp_path):
    out = make_benchmark("demo", tmp_path / "bench", seed=0, n_phantoms=3, size=32, progress=False)
    with pytest.raises(CyclesemError, match="overwrite"):
        make_benchmark("demo", out, seed=1, n_phantoms=3, size=32, progress=False)
    make_benchmark("demo", out, seed=1, n_phantoms=4, size=32, overwrite=True, progress=False)
    assert json.loads((out / "manifest.json").read_text())["seed"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bench"]  # no temporary folders left
    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.txt").write_text("precious")
    with pytest.raises(CyclesemError, match="not a benchmark folder"):
        make_benchmark("demo", other, seed=0, n_phantoms=3, size=32, overwrite=True, progress=False)
    assert (other / "thesis.txt").exists()


def test_a_failure_leaves_no_partial_output(tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(benchmark, "degrade", explode)
    with pytest.raises(RuntimeError):
        make_benchmark("demo", tmp_path / "bench", seed=0, n_phantoms=3, size=32, progress=False)
    assert list(tmp_path.iterdir()) == []
