"""Tests of cyclesem.data: loading folders, crops, and tf.data batches."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cyclesem.data.crops import CropSampler, centre_crops
from cyclesem.data.images import load_folder
from cyclesem.errors import CyclesemError
from cyclesem.data.normalize import PercentileNormalizer


def ramp(height, width, offset=0.0):
    rows, cols = np.mgrid[:height, :width]
    return (rows * 1000 + cols + offset).astype(np.float32)


def test_crops_are_a_function_of_the_generator_state():
    sampler = CropSampler([(ramp(50, 70),), (ramp(40, 40, 1e6),)], crop=16)
    first = sampler.sample(np.random.default_rng([3, 7]))
    again = sampler.sample(np.random.default_rng([3, 7]))
    other = sampler.sample(np.random.default_rng([3, 8]))
    assert first[0].shape == (16, 16) and first[0].dtype == np.float32
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], other[0])


def test_crops_are_flipped_and_rotated_pieces_of_the_image():
    image = ramp(30, 40)
    sampler = CropSampler([(image,)], crop=8)
    seen_orientations = set()
    for seed in range(40):
        crop = sampler.sample(np.random.default_rng(seed))[0]
        top_left = crop.min()
        top, left = divmod(int(top_left), 1000)
        original = image[top:top + 8, left:left + 8]
        matches = [k for k in range(8)
                   if np.array_equal(np.rot90(original if k < 4 else original[::-1], k % 4), crop)]
        assert matches, "every crop is one of the eight flips/rotations of an image window"
        seen_orientations.add(matches[0])
    assert len(seen_orientations) == 8


def test_small_images_are_reflect_padded():
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    sampler = CropSampler([(image,)], crop=6, flips=False, rotations=False)
    crop = sampler.sample(np.random.default_rng(0))[0]
    expected = np.pad(image, ((0, 3), (0, 2)), mode="reflect")
    np.testing.assert_array_equal(crop, expected)


def test_images_are_chosen_in_proportion_to_their_area():
    sampler = CropSampler([(np.zeros((10, 10), np.float32),), (np.ones((30, 10), np.float32),)], crop=4)
    rng = np.random.default_rng(0)
    picks = [sampler.sample(rng)[0][0, 0] for _ in range(2000)]
    assert np.mean(picks) == pytest.approx(0.75, abs=0.04)


def test_paired_groups_get_the_same_crop_and_augmentation():
    blurry = np.random.default_rng(1).random((40, 50)).astype(np.float32)
    sampler = CropSampler([(blurry, blurry * 2)], crop=16)
    for seed in range(5):
        first, second = sampler.sample(np.random.default_rng(seed))
        np.testing.assert_array_equal(second, first * 2)
    with pytest.raises(CyclesemError, match="differ in shape"):
        CropSampler([(blurry, blurry[:-1])], crop=16)


def test_centre_crops_shape():
    crops = centre_crops([ramp(40, 60), ramp(20, 20), ramp(50, 50)], 32, 2)
    assert crops.shape == (2, 32, 32, 1)
    assert crops[0, 0, 0, 0] == ramp(40, 60)[4, 14]


def test_unpaired_batches_replay_the_same_steps_from_any_start():
    pytest.importorskip("tensorflow")
    from cyclesem.data.pipelines import paired_batches, unpaired_batches

    rng = np.random.default_rng(2)
    blurry = CropSampler([(rng.random((40, 40)).astype(np.float32),)], crop=32)
    clear = CropSampler([(rng.random((50, 36)).astype(np.float32),)], crop=32)
    full = list(unpaired_batches(blurry, clear, seed=5, batch=2, start_step=0, steps=4))
    tail = list(unpaired_batches(blurry, clear, seed=5, batch=2, start_step=2, steps=4))
    assert len(full) == 4 and len(tail) == 2
    assert full[0]["blurry"].shape == (2, 32, 32, 1) and full[0]["clear"].dtype.name == "float32"
    assert list(np.asarray(full[3]["step"])) == [3, 3]
    for a, b in zip(full[2:], tail):
        np.testing.assert_array_equal(np.asarray(a["blurry"]), np.asarray(b["blurry"]))
        np.testing.assert_array_equal(np.asarray(a["clear"]), np.asarray(b["clear"]))
    pairs = CropSampler([(np.ones((40, 40), np.float32), np.full((40, 40), 3, np.float32))], crop=32)
    blurry_batch, sharp_batch = next(iter(paired_batches(pairs, seed=0, batch=3, start_step=0, steps=1)))
    assert blurry_batch.shape == sharp_batch.shape == (3, 32, 32, 1)


def _write_png(path, image):
    cv2.imwrite(str(path), np.clip(image * 255, 0, 255).astype(np.uint8))


def test_load_folder_normalises_and_lists_bad_files(tmp_path):
    _write_png(tmp_path / "a.png", np.random.default_rng(3).random((30, 40)) * 0.5)
    _write_png(tmp_path / "b.png", np.linspace(0.2, 0.4, 600).reshape(20, 30))
    (tmp_path / "broken.png").write_bytes(b"not an image")
    loaded = load_folder(tmp_path, PercentileNormalizer(0.0, 100.0))
    assert [p.rsplit("/", 1)[-1] for p in loaded.paths] == ["a.png", "b.png"]
    for image in loaded.images:
        assert image.dtype == np.float32 and image.min() == 0.0 and image.max() == 1.0
    assert [p.rsplit("/", 1)[-1] for p, _ in loaded.failures] == ["broken.png"]


def test_load_folder_errors(tmp_path):
    with pytest.raises(CyclesemError, match="not found"):
        load_folder(tmp_path / "missing", PercentileNormalizer())
    with pytest.raises(CyclesemError, match="no image files"):
        load_folder(tmp_path, PercentileNormalizer())
    (tmp_path / "broken.png").write_bytes(b"junk")
    with pytest.raises(CyclesemError, match="none of the 1 image"):
        load_folder(tmp_path, PercentileNormalizer())
