"""Tests of cyclesem.models.cyclegan: schedule, image pools and the train step."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from scipy import ndimage  # noqa: E402

from cyclesem.models.cyclegan import NETWORK_NAMES, ConstantThenLinearDecay, CycleGan  # noqa: E402
from cyclesem.nets import build_discriminator, build_generator  # noqa: E402
from cyclesem.config.cyclegan import (  # noqa: E402
    CycleGanLossWeights,
    DiscriminatorSettings,
    GeneratorSettings,
)

MICRO_GENERATOR = GeneratorSettings(width=4, channel_multipliers=(1, 1, 2, 2, 2), encoder_blocks=(0, 0, 0, 0),
                                    bottleneck_blocks=1, decoder_blocks=(0, 0, 0, 0), dilations=(1, 2))


def micro_cyclegan(*, pool_size=4, crop=32, seed=0, learning_rate=1e-2):
    keras.utils.set_random_seed(seed)
    networks = {name: build_generator(MICRO_GENERATOR, name=name) for name in NETWORK_NAMES[:2]}
    networks.update({name: build_discriminator(DiscriminatorSettings(width=4), name=name)
                     for name in NETWORK_NAMES[2:]})
    model = CycleGan(networks, CycleGanLossWeights(), pool_size=pool_size, crop=crop, seed=seed)
    model.compile({name: keras.optimizers.Adam(learning_rate, beta_1=0.5) for name in NETWORK_NAMES},
                  run_eagerly=True)
    return model


def test_schedule_is_constant_then_decays_linearly_to_zero():
    schedule = ConstantThenLinearDecay(2e-4, total_steps=100, decay_start=50)
    rates = [float(schedule(step)) for step in (0, 49, 50, 75, 100, 150)]
    np.testing.assert_allclose(rates, [2e-4, 2e-4, 2e-4, 1e-4, 0.0, 0.0], rtol=1e-6, atol=1e-12)
    assert ConstantThenLinearDecay.from_config(schedule.get_config()).decay_start == 50


def test_pool_fills_then_swaps_half_the_time_deterministically():
    model = micro_cyclegan(pool_size=2, crop=4)
    shown = []
    for step in range(24):
        fake = np.full((1, 4, 4, 1), step, np.float32)
        shown.append(float(np.asarray(model._query_pool("clear", fake, step, salt=1))[0, 0, 0, 0]))
    assert shown[:2] == [0.0, 1.0]  # filling: fresh fakes pass through
    swapped = [step for step, value in enumerate(shown) if value != step]
    assert 4 <= len(swapped) <= 20
    assert all(shown[step] < step for step in swapped)  # a swap shows an older fake
    stored = sorted(np.asarray(model.pools["clear"][0].value)[:, 0, 0, 0])
    assert all(0 <= value < 24 for value in stored) and len(set(stored)) == 2
    again = micro_cyclegan(pool_size=2, crop=4)
    replay = [float(np.asarray(again._query_pool("clear", np.full((1, 4, 4, 1), s, np.float32), s, 1))[0, 0, 0, 0])
              for s in range(24)]
    assert replay == shown


def _batch(seed=0, crop=32):
    rng = np.random.default_rng(seed)
    clear = ndimage.gaussian_filter(rng.random((1, crop, crop, 1)), (0, 1, 1, 0))
    blurry = ndimage.gaussian_filter(rng.random((1, crop, crop, 1)), (0, 3, 3, 0))
    scale = lambda x: ((x - x.min()) / (x.max() - x.min())).astype(np.float32)  # noqa: E731
    return {"blurry": scale(blurry), "clear": scale(clear), "step": np.zeros((1,), np.int64)}


def _set_learning_rates(model, generators: float, discriminators: float):
    for name, optimizer in model.network_optimizers.items():
        optimizer.learning_rate = generators if name.startswith("gen") else discriminators


def _weights(model):
    return {name: [w.numpy() for w in network.trainable_weights]
            for name, network in model.networks.items()}


def _changed(before, model):
    """The networks whose trainable weights differ from ``before``."""
    after = _weights(model)
    return {name for name in before if any(not np.array_equal(a, b) for a, b in zip(before[name], after[name]))}


def test_train_steps_lower_each_players_loss_against_a_fixed_opponent():
    # A fresh generator is the identity: its reconstruction terms start at their
    # minimum (0), so the descent shows in the adversarial term.
    model = micro_cyclegan(pool_size=0)
    batch = _batch()
    _set_learning_rates(model, generators=1e-3, discriminators=0.0)
    before = _weights(model)
    logs = [model.train_step(batch) for _ in range(3)]
    assert set(logs[0]) == {"generators", "adversarial", "cycle", "identity", "ssim", "edge",
                            "disc_clear", "disc_blurry"}
    assert all(np.isfinite(float(v)) for v in logs[0].values())
    adversarial = [float(log["adversarial"]) for log in logs]
    assert max(adversarial[1:]) < 0.95 * adversarial[0]
    assert _changed(before, model) == {"gen_blurry_to_clear", "gen_clear_to_blurry"}

    _set_learning_rates(model, generators=0.0, discriminators=1e-3)
    before = _weights(model)
    disc = [float(model.train_step(batch)["disc_clear"]) for _ in range(3)]
    assert disc[-1] < 0.6 * disc[0]
    assert _changed(before, model) == {"disc_clear", "disc_blurry"}
    assert int(np.asarray(model.completed_steps.value)) == 1  # the batch's step + 1
