"""experiments/peers: splits, tuning, tiling, the resumable CSV and the tables, on tiny arrays (no shared data)."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.peers import classical, table
from experiments.peers.common import (FIELDS, Pair, Results, aligned_tiles, best_params, central_crop,
                                      leave_one_out, need, read_csv, score, source_of, tiles)


def _pair(name: str, group: str, seed: int = 0) -> Pair:
    rng = np.random.default_rng(seed)
    clean = rng.random((32, 32), dtype=np.float32)
    return Pair(name, group, clean + 0.05 * rng.standard_normal((32, 32)).astype(np.float32), clean, (0.0, 0.0))


def test_source_of_reads_the_source_number():
    assert source_of("3-1_s012.png") == "3"
    assert source_of("017") == "017"


def test_leave_one_out_keeps_the_held_out_source_apart():
    pairs = [_pair(f"{g}-1_s{i:03d}.png", str(g)) for g in (1, 2, 3) for i in range(2)]
    train, test = leave_one_out(pairs, "2")
    assert {p.group for p in test} == {"2"} and len(test) == 2
    assert "2" not in {p.group for p in train} and len(train) == 4
    with pytest.raises(ValueError):
        leave_one_out(pairs, "9")


def test_best_params_looks_at_training_images_only():
    grid = {"a": {"x": 1.0, "y": 1.0, "held": 99.0}, "b": {"x": 2.0, "y": 2.0, "held": 0.0}}
    assert best_params(grid, ["x", "y"]) == "b"
    assert best_params(grid, ["held"]) == "a"
    with pytest.raises(ValueError):
        best_params(grid, [])


def test_tiles_cut_a_grid_and_drop_the_remainder():
    image = np.arange(10 * 9, dtype=np.float32).reshape(10, 9)
    cut = tiles(image, 4)
    assert cut.shape == (4, 4, 4)
    np.testing.assert_array_equal(cut[1], image[0:4, 4:8])
    np.testing.assert_array_equal(cut[2], image[4:8, 0:4])
    with pytest.raises(ValueError):
        tiles(image, 11)


def test_aligned_tiles_undo_a_shift():
    rng = np.random.default_rng(1)
    reference = rng.random((40, 40)).astype(np.float32)
    moved = np.roll(reference, (-2, 3), axis=(0, 1))  # degraded = reference shifted by (-2, +3)
    degraded_tiles, reference_tiles = aligned_tiles(reference, moved, (2.0, -3.0), 16)
    assert degraded_tiles.shape == reference_tiles.shape == (4, 16, 16)
    np.testing.assert_allclose(degraded_tiles, reference_tiles, atol=1e-5)


def test_central_crop():
    image = np.arange(36).reshape(6, 6)
    np.testing.assert_array_equal(central_crop(image, 2), image[2:4, 2:4])
    assert central_crop(image, 10).shape == (6, 6)


def test_score_clips_and_uses_the_shift():
    pair = _pair("p", "1")
    perfect = score(pair, pair.reference + 0.0)
    assert perfect["psnr"] > 90 and perfect["ssim"] > 0.999
    assert score(pair, pair.reference + 5.0)["psnr"] < score(pair, pair.reference)["psnr"]


def test_results_are_resumable(tmp_path):
    results = Results(tmp_path)
    assert not results.done("deblur", "1", "rl")
    row = {"task": "deblur", "fold": "1", "method": "rl", "image": "1-1_s001.png", "psnr": 21.5, "ssim": 0.6,
           "seconds": 0.25}
    results.add([row], {"task": "deblur", "fold": "1", "method": "rl", "seconds": "", "steps": "", "epochs": "",
                        "detail": "chosen gauss:2,iter:15"})
    results.add([dict(row, fold="2")])
    assert results.done("deblur", "1", "rl") and results.done("deblur", "2", "rl")
    assert not results.done("denoise", "1", "rl")
    rows = read_csv(results.path)
    assert list(rows[0]) == FIELDS and len(rows) == 2
    assert len(read_csv(results.fits_path)) == 1


def test_rl_settings_name_real_psfs_and_run():
    setting = classical.rl_setting("disk:2.5", 5)
    assert setting == "disk:2.5,iter:5"
    out = classical.richardson_lucy(_pair("p", "1").degraded, setting)
    assert out.shape == (32, 32) and np.isfinite(out).all()
    for name in classical.RL_PSFS:
        assert abs(float(classical.psf(name).sum()) - 1.0) < 1e-5
    with pytest.raises(ValueError):
        classical.psf("box:3")


def test_grid_scores_are_cached_and_complete(tmp_path):
    pairs = [_pair("a", "1", 1), _pair("b", "2", 2)]
    calls = []

    def apply(pair, missing):
        calls.append((pair.name, tuple(missing)))
        return {s: pair.degraded * float(s) for s in missing}

    grid = classical.grid_scores(tmp_path / "grid.csv", pairs, ["1", "0.5"], apply, log=lambda m: None)
    assert set(grid) == {"1", "0.5"} and set(grid["1"]) == {"a", "b"}
    assert best_params(grid, ["a"]) == "1"
    again = classical.grid_scores(tmp_path / "grid.csv", pairs, ["1", "0.5", "2"], apply, log=lambda m: None)
    assert calls[-2:] == [("a", ("2",)), ("b", ("2",))]
    assert again["1"] == grid["1"]


def _rows():
    rows = []
    psnr = {("input", "1"): 20.0, ("input", "2"): 22.0, ("rl", "1"): 21.0, ("rl", "2"): 21.5}
    for (method, fold), value in psnr.items():
        for k, delta in enumerate((-0.5, 0.5)):
            rows.append({"task": "deblur", "fold": fold, "method": method, "image": f"{fold}-1_s{k}",
                         "psnr": str(value + delta), "ssim": "0.5", "seconds": "1"})
    for method, value in (("input", 10.0), ("tv", 12.0)):
        for image in ("017", "018"):
            rows.append({"task": "denoise", "fold": "017-020", "method": method, "image": image,
                         "psnr": str(value), "ssim": "0.4", "seconds": "1"})
    return rows


def test_tables_average_per_source_then_over_sources(tmp_path):
    from experiments.peers.common import append_csv

    append_csv(tmp_path / "results.csv", FIELDS, _rows())
    text = table.render(tmp_path)
    assert "| input | 2 | 21.00 ± 1.00 | 0.500 ± 0.000 | +0.00..+0.00 |" in text
    assert "| rl | 2 | 21.25 ± 0.25 | 0.500 ± 0.000 | -0.50..+1.00 |" in text
    assert "| tv | 2 | 12.00 ± 0.00 | 0.400 ± 0.000 |" in text
    assert "20.00 / 0.500" in text  # per-source cell


def test_a_missing_peer_names_the_extra():
    with pytest.raises(SystemExit, match="peers"):
        need("no_such_peer_package_xyz")


def test_bm3d_runs_when_installed():
    pytest.importorskip("bm3d")
    pair = _pair("p", "1")
    out = classical.bm3d(pair.degraded, 0.05)
    assert out.shape == (32, 32) and out.dtype == np.float32


def test_careamics_configs_build_when_installed():
    pytest.importorskip("careamics")
    from careamics.config import create_advanced_care_config

    from experiments.peers import learned

    config = create_advanced_care_config(experiment_name="t", data_type="array", axes="SYX",
                                         patch_size=[learned.PATCH] * 2, batch_size=learned.BATCH,
                                         seed=learned.SEED, trainer_params={"max_time": {"seconds": 1}})
    assert config.training_config.lightning_trainer_config["max_time"] == {"seconds": 1}


def test_cyclesem_never_imports_the_peers():
    import subprocess
    import sys

    code = ("import sys, cyclesem, cyclesem.restore.classical, cyclesem.evaluate.metrics; "
            "print(sorted(m for m in ('bm3d', 'careamics', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_cpu_budget_stops_training_when_spent():
    pytest.importorskip("lightning")
    from types import SimpleNamespace

    from experiments.peers.learned import cpu_budget_callback

    callback, trainer = cpu_budget_callback(0.05), SimpleNamespace(should_stop=False)
    callback.on_train_start(trainer, None)
    callback.on_train_batch_end(trainer, None, None, None, 0)
    assert not trainer.should_stop
    import time

    start = time.process_time()
    while time.process_time() - start < 0.06:
        sum(range(1000))
    callback.on_train_batch_end(trainer, None, None, None, 1)
    assert trainer.should_stop and callback.used >= 0.05


def test_cyclesem_rows_score_saved_outputs_with_their_grey_levels_kept(tmp_path):
    from cyclesem.restore.grey_levels import keep_grey_levels
    from experiments.peers.cyclesem_rows import rows_of

    pairs = [_pair("2-1_s001.png", "2", seed=1), _pair("2-1_s002.png", "2", seed=2)]
    outputs = tmp_path / "blurry"
    outputs.mkdir()
    for pair in pairs:  # a "restorer" that doubles the contrast: the grey-level step undoes it
        np.save(outputs / f"{pair.name[:-4]}.npy", 2 * pair.degraded - 0.5)
    rows = rows_of("unpaired-default", outputs, pairs)
    assert [r["image"] for r in rows] == [p.name for p in pairs]
    assert {r["method"] for r in rows} == {"unpaired-default"} and {r["fold"] for r in rows} == {"2"}
    expected = score(pairs[0], keep_grey_levels(2 * pairs[0].degraded - 0.5, pairs[0].degraded))
    assert rows[0]["psnr"] == pytest.approx(expected["psnr"]) and rows[0]["ssim"] == pytest.approx(expected["ssim"])
