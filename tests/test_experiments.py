"""Experiment files of experiments/synthetic and experiments/ablation_edge load and name real things; pretrained helpers compute what they say."""

from __future__ import annotations

import numpy as np
import pytest

from cyclesem.evaluate.compare import BUILTIN_METHODS
from cyclesem.errors import CyclesemError
from cyclesem.config.cyclegan import PRESETS, resolve_cyclegan_config
from experiments.synthetic import experiment
from synth.recipes import recipe_names
from tests.conftest import PROJECT_ROOT

EXPERIMENTS = PROJECT_ROOT / "experiments"
CONFIGS = sorted((EXPERIMENTS / "synthetic").glob("*.toml")) + sorted((EXPERIMENTS / "ablation_edge").glob("*.toml"))


def test_every_experiment_has_a_config():
    names = {path.relative_to(EXPERIMENTS).as_posix() for path in CONFIGS}
    assert {"synthetic/gaussian.toml", "synthetic/fog.toml", "synthetic/hybrid.toml",
            "ablation_edge/hybrid.toml"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.relative_to(EXPERIMENTS).as_posix())
def test_config_loads_and_names_valid_recipe_preset_methods(path):
    loaded = experiment.load_experiment(path)
    assert loaded.benchmark.recipe in recipe_names()
    assert loaded.training.preset in PRESETS
    assert set(loaded.methods) <= set(BUILTIN_METHODS)
    for overrides in loaded.runs.values():
        config = resolve_cyclegan_config(loaded.training.preset, None, overrides)
        assert config.preset == loaded.training.preset


def test_ablation_differs_from_default_only_in_edge_and_ssim():
    loaded = experiment.load_experiment(EXPERIMENTS / "ablation_edge" / "hybrid.toml")
    default, ablated = (resolve_cyclegan_config(loaded.training.preset, None, o) for o in loaded.runs.values())
    assert (default.loss.edge, default.loss.ssim) == (1.0, 1.0)
    assert (ablated.loss.edge, ablated.loss.ssim) == (0.0, 0.0)
    assert ablated.model == default.model and ablated.loss.cycle == default.loss.cycle


def test_ablation_uses_the_synthetic_hybrid_benchmark_and_training():
    ablation = experiment.load_experiment(EXPERIMENTS / "ablation_edge" / "hybrid.toml")
    synthetic = experiment.load_experiment(EXPERIMENTS / "synthetic" / "hybrid.toml")
    assert ablation.benchmark == synthetic.benchmark
    assert ablation.training == synthetic.training


def test_bad_names_are_all_reported_at_once(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('methods = ["wiener", "magic"]\ncolor = 1\n[benchmark]\nrecipe = "smoke"\n'
                    '[training]\npreset = "huge"\n[runs]\ncyclegan = ["loss.edgy=0"]\n', encoding="utf-8")
    with pytest.raises(CyclesemError) as caught:
        experiment.load_experiment(path)
    message = caught.value.one_line()
    for word in ("magic", "color", "smoke", "huge", "edgy"):
        assert word in message


def test_band_statistics_of_a_perfect_and_an_empty_output():
    from experiments.pretrained.spectral_bands import EDGES, band_statistics, spectra

    sharp = np.random.default_rng(0).random((96, 96))
    reference, same, radius = spectra(sharp, sharp, (0.0, 0.0))
    perfect = band_statistics(reference, same, radius)
    np.testing.assert_allclose(perfect, np.tile([1.0, 1.0, 1.0, 0.0], (len(EDGES) - 1, 1)), atol=1e-9)
    empty = band_statistics(reference, np.zeros_like(same), radius)
    np.testing.assert_allclose(empty[:, [0, 1, 3]], np.tile([0.0, 0.0, 1.0], (len(EDGES) - 1, 1)), atol=1e-9)


def test_chunkwise_support_limit_equals_the_whole_image_limit_for_one_chunk():
    from cyclesem.restore.support import limit_to_support
    from experiments.pretrained.support_chunks import chunkwise_limit

    rng = np.random.default_rng(1)
    image, restored = rng.random((80, 72)).astype(np.float32), rng.random((80, 72)).astype(np.float32)
    np.testing.assert_array_equal(chunkwise_limit(restored, image, 96, 16), limit_to_support(restored, image))
    assert not np.array_equal(chunkwise_limit(restored, image, 32, 16), limit_to_support(restored, image))
