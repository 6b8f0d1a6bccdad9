"""Experiment files of experiments/synthetic and experiments/ablation_edge load and name real things."""

from __future__ import annotations

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
