"""Helpers shared by several test modules: fake runs, micro configs, test images, checks.

Test modules import from here, never from each other. Keras, TensorFlow and
the training code are imported inside the helpers that need them, so importing
this module stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

# --------------------------------------------------------------------- networks and run folders


def tiny_network(seed: int = 0):
    """A small translation-equivariant conv net: (batch, H, W, 1) -> same."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((None, None, 1))
    hidden = keras.layers.Conv2D(4, 5, padding="same", activation="tanh")(inputs)
    residual = keras.layers.Conv2D(1, 3, padding="same")(hidden)
    return keras.Model(inputs, keras.layers.Add()([inputs, residual]))


def make_run(folder: Path, network=None, *, config=None, state=None) -> Path:
    """Write a fake run folder the way ``cyclesem train`` lays one out."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"norm_low": 1.0, "norm_high": 99.0}
    config = config or {"kind": "cyclegan", "preset": "tiny", "data": data}
    state = state or {"step": 12, "steps": 12, "seconds": 3725.0, "finished": True}
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "state.json").write_text(json.dumps(state))
    (network or tiny_network()).save(folder / "generator.keras")
    return folder


def tiny_generator(**changes):
    """The ``tiny`` preset's U-Net generator, with ``changes`` to its settings."""
    from cyclesem.config.builder import build
    from cyclesem.config.cyclegan import PRESETS, GeneratorSettings
    from cyclesem.nets import build_generator

    settings = build(GeneratorSettings, {**PRESETS["tiny"]["model"]["generator"], **changes})
    return build_generator(settings, name="gen_blurry_to_clear")


def randomise_output(network, seed=0):
    """Give the zero-initialised last conv random weights so the generator acts."""
    layer = network.get_layer("residual_conv")
    kernel, bias = layer.get_weights()
    layer.set_weights([np.random.default_rng(seed).normal(0, 0.3, kernel.shape).astype(np.float32), bias])


def wake_blocks(model, seed=1):
    """Give every MIDNet block non-zero residual scales, so blocks stop being identities."""
    from cyclesem.nets.midnet import MidBlock

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, MidBlock):
            layer.beta.assign(rng.uniform(0.5, 1.5, layer.beta.shape).astype("float32"))
            layer.gamma.assign(rng.uniform(0.5, 1.5, layer.gamma.shape).astype("float32"))
    return model


def checkpoint_arrays(run_dir, step) -> dict:
    """Every array of a run's checkpoint at ``step``."""
    with np.load(Path(run_dir) / "checkpoints" / f"step_{step:06d}.npz") as stored:
        return {key: stored[key] for key in stored.files}


# ------------------------------------------------------------------------ micro training runs

MICRO_CYCLEGAN = ("model.generator.width=4", "model.generator.channel_multipliers=[1, 1, 2, 2, 2]",
                  "model.generator.bottleneck_blocks=1", "model.generator.dilations=[1, 2]",
                  "model.discriminator.width=4", "loss.identity=0", "runtime.eager=true")
"""``--set`` texts making the U-Net generators and the discriminators micro (the paper's CycleGAN task)."""
MICRO_SUPERVISED = ("model.width=4", "model.enc_blocks=[1]", "model.dec_blocks=[1]", "runtime.eager=true")
"""``--set`` texts making a MIDNet / NAFNet micro."""
MICRO_PAIRED_CLI = ("--set", "model.width=4", "--set", "model.enc_blocks=[1]", "--set", "model.dec_blocks=[1]",
                    "--set", "runtime.eager=true", "--set", "train.validation_crops=2")
"""``cyclesem train`` options making a paired run micro."""


def micro_cyclegan_config(steps, **train):
    """A micro config of the paper's CycleGAN (``tiny`` preset) trained for ``steps``."""
    from cyclesem.config.cyclegan import resolve_cyclegan_config

    options = {"train": {"steps": steps, "crop": 32, "batch": 1, "seed": 3, "pool_size": 2,
                         "checkpoint_every": 2, "sample_every": 100, "log_every": 1, **train}}
    return resolve_cyclegan_config("tiny", overrides=MICRO_CYCLEGAN, options=options)


def micro_supervised_config(steps, kind="midnet", *overrides, **train):
    """A micro config of a paired run of ``kind`` trained for ``steps``."""
    from cyclesem.config.supervised import resolve_supervised_config

    options = {"train": {"steps": steps, "crop": 32, "batch": 2, "seed": 3, "checkpoint_every": 2,
                         "sample_every": 100, "log_every": 1, "validate_every": 2,
                         "validation_crops": 4, **train}}
    return resolve_supervised_config(kind, "tiny", overrides=(*MICRO_SUPERVISED, *overrides), options=options)


def loaded_pair(name, rng, shape=(40, 48)):
    """A random sharp image and its darker, lower-contrast 'blurry' twin."""
    from cyclesem.data.pairs import LoadedPair

    sharp = rng.random(shape).astype(np.float32)
    return LoadedPair(name, (0.5 * sharp + 0.2).astype(np.float32), sharp, (0.0, 0.0))


@pytest.fixture(scope="module")
def pairs():
    """Two training pairs and one validation pair."""
    rng = np.random.default_rng(0)
    return [loaded_pair(f"t{i}", rng) for i in range(2)], [loaded_pair("v0", rng, (36, 70))]


@pytest.fixture(scope="module")
def images():
    """Unpaired blurry and clear images, two of each."""
    rng = np.random.default_rng(0)
    clear = [rng.random((40, 48)).astype(np.float32) for _ in range(2)]
    blurry = [np.asarray(c, np.float32) * 0.8 + 0.1 for c in clear[::-1]]
    return blurry, clear


def train_supervised(config, pairs, folder, **kwargs):
    """Train a paired run quietly; the runner's result."""
    from cyclesem.train.runner import train
    from cyclesem.train.supervised import SupervisedTask

    task = SupervisedTask(config, *pairs)
    return train(task, folder, progress=False, log=lambda line: None, **kwargs)


def write_pairs(root, names, shift=(0, 0)):
    """PNG pairs under ``root/blurry`` and ``root/sharp`` (the blurry side moved by ``shift``); both folders."""
    import cv2

    rng = np.random.default_rng(1)
    for side in ("blurry", "sharp"):
        (root / side).mkdir(parents=True, exist_ok=True)
    for name in names:
        field = cv2.GaussianBlur((rng.random((80, 80)) * 255).astype(np.float32), (0, 0), 1.5)
        cv2.imwrite(str(root / "sharp" / f"{name}.png"), field[8:72, 8:72].astype(np.uint8))
        moved = field[8 + shift[0]:72 + shift[0], 8 + shift[1]:72 + shift[1]]
        cv2.imwrite(str(root / "blurry" / f"{name}.png"), moved.astype(np.uint8))
    return str(root / "blurry"), str(root / "sharp")


# ------------------------------------------------------------------------------- test images


def micrograph(shape, seed=0) -> np.ndarray:
    """A textured float image in [0.1, 0.9]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    image = 0.5 + 0.25 * np.sin(xx / 5.0) * np.cos(yy / 7.0) + 0.1 * rng.random(shape)
    return image.astype(np.float32).clip(0.1, 0.9)


def with_info_bar(content: np.ndarray, rows: int = 20) -> np.ndarray:
    """``content`` with a black band of white 'text' below it, as instruments draw."""
    bar = np.zeros((rows, content.shape[1]), np.float32)
    bar[rows // 3 : rows // 3 + 6, 10:60] = 1.0
    bar[rows // 3 : rows // 3 + 6, 80:90] = 1.0
    return np.concatenate([content, bar])


def sharp_image(shape=(192, 256), seed=3, noise=0.01):
    """A grain phantom with a little white noise."""
    from synth.phantoms import make_phantom

    image = make_phantom("grains", shape, seed)
    return image + np.random.default_rng(seed).normal(0.0, noise, image.shape).astype(np.float32)


def blurred(image, sigma):
    """``image`` blurred by a Gaussian of ``sigma`` px (float32)."""
    from scipy import ndimage

    return ndimage.gaussian_filter(np.asarray(image, np.float64), sigma, mode="reflect").astype(np.float32)


def composite(sigma=4.0, seed=3):
    """Left half sharp, right half blurred by a Gaussian of ``sigma`` px; the same noise on both."""
    from synth.phantoms import make_phantom

    clean = make_phantom("grains", (192, 256), seed)
    image = clean.copy()
    image[:, 128:] = blurred(clean, sigma)[:, 128:]
    return image + np.random.default_rng(seed).normal(0.0, 0.01, image.shape).astype(np.float32)


def good_images(folder: Path, n: int, size: int = 40, seed: int = 0) -> list[Path]:
    """``n`` random 8-bit PNG files in ``folder``."""
    from cyclesem.io import write_image

    rng = np.random.default_rng(seed)
    return [write_image(folder / f"good{i}.png", rng.random((size, size), dtype=np.float32), dtype="uint8")
            for i in range(n)]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(path: Path, side: int = 100_000) -> Path:
    """A small PNG file whose header claims ``side`` x ``side`` grey pixels."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
    path.write_bytes(data + _chunk(b"IEND", b""))
    return path


NOTE_TAG = 65000  # a private ASCII tag standing in for per-page instrument metadata


def write_stack(path, pages, dtype="uint16"):
    """A stack whose pages carry their own description, resolution and private tag."""
    import tifffile

    scale = np.iinfo(dtype).max
    with tifffile.TiffWriter(path) as writer:
        for k, page in enumerate(pages):
            writer.write(np.round(page * scale).astype(dtype), photometric="minisblack", metadata=None,
                         description=f"slice {k}", resolution=(100 + k, 100 + k), resolutionunit="CENTIMETER",
                         extratags=[(NOTE_TAG, "s", 0, f"z = {10 * k} nm", True)])


# ------------------------------------------------------------------------------------ checks


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes."""
    return {str(p.relative_to(folder)): file_digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def check_enhanced(source: Path, target: Path):
    """Common checks: same format, dtype, shape and info bar; changed content."""
    from cyclesem import io

    before, after = io.read_image(source), io.read_image(target)
    assert after.info.format == before.info.format
    assert after.info.dtype == before.info.dtype and after.info.bit_depth == before.info.bit_depth
    assert after.pixels.shape == before.pixels.shape
    assert after.info.info_bar_rows == before.info.info_bar_rows
    np.testing.assert_array_equal(after.info_bar_raw, before.info_bar_raw)
    assert np.abs(after.content - before.content).max() > 0.01
    return before, after


def one_line_error(result, *fragments):
    """A CLI result that failed with one ``Error`` line holding ``fragments``, and no traceback."""
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    error = [line for line in lines if line.startswith("Error")]
    assert len(error) == 1, result.output
    for fragment in fragments:
        assert fragment in error[0], result.output
    assert "Traceback" not in result.output
